import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../test/cloud-endpoint';
import { freePort, startModbusServer, type TestModbusServer } from '../test/modbus-server';
import { parseConfig } from './config/load';
import { createLogger } from './log';
import { encodeRegisters } from './modbus/registers';
import { startConnector, type ConnectorRuntime } from './runtime';

/**
 * The connector's /metrics, scraped over HTTP from its status endpoint while it reads a
 * real Modbus TCP server and uploads to the contract endpoint: readings per source,
 * uploads by outcome, the source's connection, and a buffer that grows and ages while the
 * cloud is down.
 */
const CREDENTIAL = 'metrics.credential-1';
let cloud: TestCloud;
let modbus: TestModbusServer;
let runtime: ConnectorRuntime;
let dir: string;
let url: string;
let counter = 0;
const lines: string[] = [];

beforeAll(async () => {
  cloud = await startTestCloud(CREDENTIAL);
  modbus = await startModbusServer({
    beforeRead: (unit, address) => {
      if (address === 0)
        modbus.holding(unit).set(encodeRegisters(++counter, 'uint32', 'BE', 'BE'), 0);
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'anh-metrics-'));
  const parsed = parseConfig(`version: 1
connector:
  id: 1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d
  cloudUrl: ${cloud.url}
  buffer: { path: ./buffer.sqlite }
  batch: { maxSamples: 20, maxDelayMs: 200 }
sources:
  - { id: plc1, type: modbus-tcp, host: 127.0.0.1, port: ${modbus.port}, intervalMs: 50, timeoutMs: 500 }
tags:
  - { source: plc1, binding: v-counter, point: LACT-01, variable: fiscal_gross_totalizer, unit: bbl, modbus: { unit: 1, address: 0, type: uint32 } }
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const statusPort = await freePort();
  runtime = await startConnector({
    config: parsed.config,
    configPath: join(dir, 'connector.yaml'),
    connectorId: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
    credential: CREDENTIAL,
    statusPort,
    log: createLogger('debug', { service: 'connector' }, (line) => lines.push(line)),
  });
  url = `http://127.0.0.1:${statusPort}`;
}, 30_000);

afterAll(async () => {
  await runtime?.stop();
  await modbus?.close();
  await cloud?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('connector metrics', () => {
  it('count readings, uploads and the source’s connection', async () => {
    await expect
      .poll(
        async () => (await scrape()).get('anh_connector_uploads_total{outcome="acknowledged"}'),
        {
          timeout: 10_000,
          interval: 100,
        },
      )
      .toBeGreaterThanOrEqual(2);
    const samples = await scrape();
    expect(samples.get('anh_connector_samples_read_total{source="plc1"}')).toBeGreaterThan(0);
    expect(samples.get('anh_connector_source_connected{source="plc1",type="modbus"}')).toBe(1);
    expect(samples.get('anh_connector_uploaded_samples_total')).toBeGreaterThan(0);
    expect(
      samples.get('anh_connector_upload_duration_seconds_count{outcome="acknowledged"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(
      samples.get(
        'anh_connector_info{connector_id="1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",version="0.1.0"}',
      ),
    ).toBe(1);
    // What the cloud holds is what the metrics say was acknowledged (or less: a scrape
    // may fall between an acknowledgement and the next).
    const delivered = cloud.samples.get('v-counter')?.length ?? 0;
    expect(samples.get('anh_connector_uploaded_samples_total')).toBeLessThanOrEqual(delivered);
  });

  it('show a buffer that grows and ages while the cloud is down, and the failed uploads', async () => {
    cloud.setMode('down');
    try {
      const before = await scrape();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const during = await scrape();
      expect(during.get('anh_connector_uploads_total{outcome="failed"}')).toBeGreaterThan(
        before.get('anh_connector_uploads_total{outcome="failed"}')!,
      );
      expect(during.get('anh_connector_buffer_samples')).toBeGreaterThan(
        before.get('anh_connector_buffer_samples')!,
      );
      expect(during.get('anh_connector_buffer_oldest_age_seconds')).toBeGreaterThan(1);
      // The first failure of the streak is logged once, with what the cloud said.
      const failures = lines.filter((l) => l.includes('upload failed'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toContain('cloud answered 503');
      expect(lines.join('\n')).not.toContain(CREDENTIAL);
    } finally {
      cloud.setMode('up');
    }
    await expect
      .poll(async () => (await scrape()).get('anh_connector_buffer_oldest_age_seconds'), {
        timeout: 15_000,
        interval: 200,
      })
      .toBeLessThan(2);
    expect(lines.some((l) => l.includes('cloud reachable again'))).toBe(true);
  }, 30_000);
});
