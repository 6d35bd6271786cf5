/**
 * Turns what the FTP client threw into a reason a tenant admin can act on, in Spanish
 * and English. The raw text stays available as detail for support.
 */
export type FtpFailureReason =
  'dns' | 'refused' | 'timeout' | 'unreachable' | 'login' | 'tls' | 'folder' | 'other';

const MESSAGES: Record<FtpFailureReason, { es: string; en: string }> = {
  dns: {
    es: 'No se encontró el servidor: revise el nombre del host',
    en: 'Server not found: check the host name',
  },
  refused: {
    es: 'El servidor rechazó la conexión: revise el host y el puerto, o si el servicio FTP está activo',
    en: 'The server refused the connection: check host and port, or whether its FTP service is running',
  },
  timeout: {
    es: 'El servidor no respondió a tiempo: revise la red, el firewall o el puerto',
    en: 'The server did not answer in time: check the network, firewall or port',
  },
  unreachable: {
    es: 'No hay ruta hacia el servidor: revise la red',
    en: 'No route to the server: check the network',
  },
  login: {
    es: 'El servidor rechazó el usuario o la contraseña',
    en: 'The server refused the user name or password',
  },
  tls: {
    es: 'Falló la conexión segura (TLS): revise el certificado o el modo TLS',
    en: 'The secure connection (TLS) failed: check the certificate or the TLS mode',
  },
  folder: {
    es: 'No se pudo abrir o crear la carpeta remota',
    en: 'The remote folder could not be opened or created',
  },
  other: { es: 'La conexión falló', en: 'The connection failed' },
};

export function explainFtpFailure(raw: string): {
  reason: FtpFailureReason;
  message: string;
} {
  const text = raw.toLowerCase();
  const reason: FtpFailureReason = /enotfound|eai_again|getaddrinfo/.test(text)
    ? 'dns'
    : /econnrefused/.test(text)
      ? 'refused'
      : /timeout|timed out|etimedout/.test(text)
        ? 'timeout'
        : /ehostunreach|enetunreach/.test(text)
          ? 'unreachable'
          : /^530|login|password|not logged in|authentication/.test(text)
            ? 'login'
            : /certificate|tls|ssl|self.signed|handshake/.test(text)
              ? 'tls'
              : /^55\d|no such file|directory|permission denied/.test(text)
                ? 'folder'
                : 'other';
  const { es, en } = MESSAGES[reason];
  return { reason, message: `${es} / ${en}` };
}
