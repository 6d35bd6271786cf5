import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FtpSrv } from 'ftp-srv';

/**
 * A real FTP server on 127.0.0.1 (npm ftp-srv), for tests and as the demo's stand-in for
 * the ANH's server, with explicit TLS (AUTH TLS) under a
 * self-signed certificate made here, one user, files in a temporary folder. It can be
 * stopped and started again on the same port to play an outage, and counts the uploads.
 */
export interface TestFtpServer {
  port: number;
  root: string;
  caPem: string;
  user: string;
  password: string;
  uploads: string[];
  /** The next upload is stored damaged (cut to half its size), as a faulty disk would. */
  corruptNextUpload(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function createTestFtpServer(
  options: { port?: number; dir?: string; password?: string } = {},
): Promise<TestFtpServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'anh-ftp-'));
  const root = join(dir, 'root');
  mkdirSync(root, { recursive: true });
  // A kept folder keeps its certificate (the demo's delivery settings trust it).
  if (!existsSync(join(dir, 'cert.pem')))
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '3650',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  const caPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const port = options.port ?? (await freePort());
  const user = 'anh';
  const password = options.password ?? 'ftp-test-password';
  const uploads: string[] = [];
  let server: FtpSrv | null = null;
  let corrupt = false;
  return {
    port,
    root,
    caPem,
    user,
    password,
    uploads,
    corruptNextUpload() {
      corrupt = true;
    },
    async start() {
      server = new FtpSrv({
        url: `ftp://127.0.0.1:${port}`,
        pasv_url: '127.0.0.1',
        pasv_min: 40000,
        pasv_max: 40999,
        anonymous: false,
        greeting: ['ANH test FTP'],
        tls: { key: readFileSync(join(dir, 'key.pem')), cert: caPem },
        log: {
          trace() {},
          debug() {},
          info() {},
          warn() {},
          error() {},
          child() {
            return this;
          },
        } as never,
      });
      server.on('login', ({ connection, username, password: given }, resolve, reject) => {
        if (username !== user || given !== password) return reject(new Error('bad login'));
        connection.on('STOR', (error: unknown, fileName: string) => {
          if (error) return;
          uploads.push(fileName);
          if (corrupt) {
            corrupt = false;
            truncateSync(fileName, Math.floor(statSync(fileName).size / 2));
          }
        });
        resolve({ root });
      });
      await server.listen();
    },
    async stop() {
      await server?.close();
      server = null;
    },
  };
}
