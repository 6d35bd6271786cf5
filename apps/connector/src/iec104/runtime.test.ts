import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../../test/cloud-endpoint';
import { Slave } from '../../test/iec104/slave';
import { freePort } from '../../test/modbus-server';
import { until } from '../../test/wait';
import { parseConfig } from '../config/load';
import { startConnector, type ConnectorRuntime } from '../runtime';
import type { Iec104SourceStatus } from './source';

/**
 * End to end: a YAML file with an IEC 104 station, the connector's runtime, the lib60870
 * slave and a local endpoint that follows the upload contract. Values and quality reach
 * the cloud; the station's health, malformed frames included, is in `/status`.
 */
const CREDENTIAL = 'iec104.credential-1';
let cloud: TestCloud;
let slave: Slave;
let runtime: ConnectorRuntime | null = null;
let dir: string;

beforeAll(async () => {
  cloud = await startTestCloud(CREDENTIAL);
  slave = await Slave.start();
  dir = mkdtempSync(join(tmpdir(), 'anh-iec104-'));
  await slave.command('point 1 1001 13');
  await slave.command('set 1 1001 851.5 64 0'); // NT: not topical
  await slave.command('point 1 2001 37');
  await slave.command(`set 1 2001 52340 0 ${Date.UTC(2026, 0, 15, 6, 0)}`);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await slave?.stop();
  await cloud?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('connector runtime with an IEC 104 station', () => {
  it('uploads what the station holds with its quality, and shows the link in /status', async () => {
    const parsed = parseConfig(`version: 1
connector:
  id: 1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d
  cloudUrl: ${cloud.url}
  buffer: { path: ./data/buffer.sqlite }
  batch: { maxSamples: 200, maxDelayMs: 200 }
sources:
  - { id: rtu1, type: iec104, host: 127.0.0.1, port: ${slave.port}, t2Ms: 200, counterInterrogationIntervalMs: 600000 }
tags:
  - { source: rtu1, binding: thp, point: W-001, variable: tubing_head_pressure, unit: psig, iec104: { ca: 1, ioa: 1001, type: float } }
  - { source: rtu1, binding: tot, point: LACT-01, variable: fiscal_gross_totalizer, unit: bbl, scale: 0.1, iec104: { ca: 1, ioa: 2001, type: integrated } }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    runtime = await startConnector({
      config: parsed.config,
      configPath: join(dir, 'connector.yaml'),
      connectorId: parsed.config.connector.id!,
      credential: CREDENTIAL,
      statusPort: await freePort(),
    });
    await until(() => cloud.samples.has('thp') && cloud.samples.has('tot'), 30_000);
    expect(cloud.samples.get('thp')![0]).toMatchObject({
      value: 851.5,
      quality: { status: 'uncertain', code: 0x40 },
    });
    // The counter's CP56Time2a time tag is the sample's time; its scale applies.
    expect(cloud.samples.get('tot')![0]).toMatchObject({
      ts: '2026-01-15T06:00:00.000Z',
      value: 5234,
      quality: { status: 'good' },
    });
    const status = async () => {
      const response = await fetch(runtime!.statusUrl!);
      const body = (await response.json()) as { sources: Record<string, Iec104SourceStatus> };
      return body.sources.rtu1!;
    };
    expect(await status()).toMatchObject({
      state: 'active',
      interrogations: { completed: 1 },
      counterInterrogations: { completed: 1 },
      malformed: {},
    });

    // A frame of the wrong length: counted, shown with its bytes, the link starts over.
    await slave.command('raw 680501000000ff');
    await until(
      () => (runtime!.iec104Sources[0]!.status().interrogations.completed ?? 0) >= 2,
      30_000,
    );
    const after = await status();
    expect(after.malformed).toEqual({ length: 1 });
    expect(after.recentMalformed[0]).toMatchObject({ reason: 'length', hex: '680501000000ff' });
    expect(after.closes).toEqual({ malformed: 1 });
    expect(after.state).toBe('active');
  }, 60_000);
});
