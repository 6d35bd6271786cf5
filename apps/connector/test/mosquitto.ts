import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openssl, selfSignedCertificate } from './certificates';
import { freePort } from './modbus-server';

/**
 * Our own Mosquitto on its own port, with TLS (a CA and a server certificate made here
 * with openssl) and a password file, for the MQTT tests. The machine's Mosquitto on 1883
 * is left alone.
 */
export interface TestBroker {
  url: string;
  caFile: string;
  username: string;
  password: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`broker did not open port ${port}`);
}

export async function startTestBroker(): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'anh-mosquitto-'));
  selfSignedCertificate(join(dir, 'ca.key'), join(dir, 'ca.crt'), 'ANH test CA');
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    ],
    dir,
  );
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'san.cnf',
    ],
    dir,
  );
  const username = 'connector';
  const password = 'clave-de-prueba-mqtt';
  const passwd = spawnSync(
    'mosquitto_passwd',
    ['-b', '-c', join(dir, 'passwd'), username, password],
    { encoding: 'utf8' },
  );
  if (passwd.status !== 0) throw new Error(`mosquitto_passwd failed: ${passwd.stderr}`);
  const port = await freePort();
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${join(dir, 'ca.crt')}`,
      `certfile ${join(dir, 'server.crt')}`,
      `keyfile ${join(dir, 'server.key')}`,
      'allow_anonymous false',
      `password_file ${join(dir, 'passwd')}`,
      'persistence false',
      'user root',
      '',
    ].join('\n'),
  );
  let broker: ChildProcess | null = null;
  const start = async () => {
    broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    await waitForPort(port);
  };
  const stop = async () => {
    const current = broker;
    broker = null;
    if (!current || current.exitCode !== null) return;
    current.kill('SIGTERM');
    await new Promise((resolve) => current.once('exit', resolve));
  };
  await start();
  return {
    url: `mqtts://127.0.0.1:${port}`,
    caFile: join(dir, 'ca.crt'),
    username,
    password,
    restart: async () => {
      await stop();
      await start();
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
