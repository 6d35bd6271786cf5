import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readCertificate } from 'node-opcua-crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusCodes } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BufferedSample } from '../buffer/store';
import { selfSignedCertificate } from '../../test/certificates';
import { startOpcuaServer, type TestOpcuaServer } from '../../test/opcua-server';
import { certificateManager, OpcuaSource, statusOf, type OpcuaSourceConfig } from './source';
import { until } from '../../test/wait';

let server: TestOpcuaServer;
let dir: string;
beforeAll(async () => {
  server = await startOpcuaServer();
  dir = mkdtempSync(join(tmpdir(), 'anh-opcua-client-'));
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const config = (overrides: Partial<OpcuaSourceConfig> = {}): OpcuaSourceConfig => ({
  id: 'opc1',
  type: 'opcua',
  endpoint: server.endpoint,
  securityPolicy: 'None',
  securityMode: 'None',
  samplingIntervalMs: 50,
  publishingIntervalMs: 100,
  mode: 'subscription',
  pkiDir: './data/pki',
  ...overrides,
});

const TAGS = [
  { binding: 'thp', priority: 0, scale: 1, offset: 0, nodeId: 'ns=1;s=W-001.THP' },
  { binding: 'chp', priority: 0, scale: 1, offset: 0, nodeId: 'ns=1;s=W-001.CHP' },
];

describe('OPC UA source against a node-opcua server on 127.0.0.1', () => {
  it('maps StatusCode severity', () => {
    expect(statusOf(0)).toBe(0);
    expect(statusOf(0x40000000)).toBe(1);
    expect(statusOf(0x808b0000)).toBe(2);
  });

  it('subscribes anonymously without security: values, StatusCodes and source timestamps', async () => {
    const received: BufferedSample[] = [];
    const source = new OpcuaSource({
      source: config(),
      tags: TAGS,
      sink: (s) => received.push(...s),
      pkiDir: join(dir, 'pki-none'),
    });
    await source.start();
    await until(() => received.filter((s) => s.binding === 'thp').length >= 5);
    await source.stop();
    const thp = received.filter((s) => s.binding === 'thp');
    expect(thp.every((s) => s.status === 0 && s.code === 0 && typeof s.value === 'number')).toBe(
      true,
    );
    expect(thp.every((s, i) => i === 0 || s.value! >= thp[i - 1]!.value!)).toBe(true);
    expect(Math.abs(thp.at(-1)!.ts - Date.now())).toBeLessThan(5000);
    const chp = received.find((s) => s.binding === 'chp')!;
    expect(chp).toMatchObject({
      status: 2,
      code: StatusCodes.BadSensorFailure.value,
      ts: Date.UTC(2026, 10, 27, 15),
    });
  });

  it('Basic256Sha256 SignAndEncrypt with a username: refuses an untrusted server, connects once trusted', async () => {
    const pkiDir = join(dir, 'pki-secure');
    const secure = config({
      securityPolicy: 'Basic256Sha256',
      securityMode: 'SignAndEncrypt',
      username: server.username,
    });
    const first = new OpcuaSource({
      source: secure,
      tags: TAGS,
      sink: () => undefined,
      pkiDir,
      password: server.password,
    });
    await expect(first.start()).rejects.toThrow();
    await first.stop();
    expect(
      existsSync(join(pkiDir, 'rejected')) && readdirSync(join(pkiDir, 'rejected')).length,
    ).toBeGreaterThan(0);

    const store = certificateManager(pkiDir);
    await store.initialize();
    await store.trustCertificate(server.certificate());
    const received: BufferedSample[] = [];
    const trusted = new OpcuaSource({
      source: secure,
      tags: TAGS,
      sink: (s) => received.push(...s),
      pkiDir,
      password: server.password,
    });
    await trusted.start();
    await until(() => received.some((s) => s.binding === 'thp'));
    await trusted.stop();

    const wrongPassword = new OpcuaSource({
      source: secure,
      tags: TAGS,
      sink: () => undefined,
      pkiDir,
      password: 'incorrecta',
    });
    await expect(wrongPassword.start()).rejects.toThrow();
    await wrongPassword.stop();
  }, 60_000);

  it('logs in with an X.509 user certificate the server trusts, and not with one it does not', async () => {
    const certDir = join(dir, 'user-cert');
    mkdirSync(certDir, { recursive: true });
    selfSignedCertificate(
      join(certDir, 'user.key'),
      join(certDir, 'user.crt'),
      'anh-connector-user',
    );
    const pkiDir = join(dir, 'pki-x509');
    const secure = config({
      securityPolicy: 'Basic256Sha256',
      securityMode: 'Sign',
      userCertificate: join(certDir, 'user.crt'),
      userPrivateKey: join(certDir, 'user.key'),
    });
    const store = certificateManager(pkiDir);
    await store.initialize();
    await store.trustCertificate(server.certificate());

    const stranger = new OpcuaSource({ source: secure, tags: TAGS, sink: () => undefined, pkiDir });
    await expect(stranger.start()).rejects.toThrow();
    await stranger.stop();

    await server.trustUserCertificate(readCertificate(join(certDir, 'user.crt')));
    const received: BufferedSample[] = [];
    const known = new OpcuaSource({
      source: secure,
      tags: TAGS,
      sink: (s) => received.push(...s),
      pkiDir,
    });
    await known.start();
    await until(() => received.some((s) => s.binding === 'thp'));
    await known.stop();
  }, 60_000);

  it('keeps reading after the server restarts', async () => {
    const received: BufferedSample[] = [];
    const source = new OpcuaSource({
      source: config(),
      tags: TAGS,
      sink: (s) => received.push(...s),
      pkiDir: join(dir, 'pki-restart'),
    });
    await source.start();
    await until(() => received.length >= 3);
    await server.restart();
    const before = received.length;
    await until(() => received.filter((s) => s.binding === 'thp').length > before + 5, 30_000);
    console.log(
      JSON.stringify({
        test: 'opcua_server_restart',
        reconnects: source.status().reconnects,
        valuesAfterRestart: received.length - before,
      }),
    );
    await source.stop();
  }, 60_000);

  it('polls when asked to', async () => {
    const received: BufferedSample[] = [];
    const source = new OpcuaSource({
      source: config({ mode: 'polling', publishingIntervalMs: 50 }),
      tags: TAGS,
      sink: (s) => received.push(...s),
      pkiDir: join(dir, 'pki-poll'),
    });
    await source.start();
    await until(() => received.length >= 10);
    await source.stop();
    expect(received.filter((s) => s.binding === 'thp').every((s) => s.status === 0)).toBe(true);
  });
});
