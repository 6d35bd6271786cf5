import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableBuffer, PRIORITY } from '../buffer/store';
import { startTestCloud, type TestCloud } from '../../test/cloud-endpoint';
import { Uploader } from './uploader';
import { until } from '../../test/wait';

const CREDENTIAL = 'key123.s3cret-value';
const CONNECTOR = '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  maxSamples = 100,
): Promise<{ buffer: DurableBuffer; cloud: TestCloud; uploader: Uploader }> {
  const dir = mkdtempSync(join(tmpdir(), 'anh-upload-'));
  const buffer = DurableBuffer.open(join(dir, 'b.sqlite'));
  const cloud = await startTestCloud(CREDENTIAL);
  const uploader = new Uploader({
    buffer,
    cloudUrl: cloud.url,
    connectorId: CONNECTOR,
    credential: CREDENTIAL,
    maxSamples,
    maxDelayMs: 50,
    maxBackoffMs: 200,
    requestTimeoutMs: 2000,
  });
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => buffer.close(),
    () => cloud.close(),
    () => uploader.stop(),
  );
  return { buffer, cloud, uploader };
}

const samples = (from: number, count: number, binding = 'v-thp') =>
  Array.from({ length: count }, (_, k) => ({
    source: 'plc1',
    binding,
    ts: 1_800_000_000_000 + (from + k) * 1000,
    value: from + k,
    status: 0,
    code: null,
    priority: PRIORITY.regulated,
  }));

describe('Uploader', () => {
  it('reports its version, buffer depth and oldest reading with each upload', async () => {
    const { buffer, cloud, uploader } = await setup(10);
    buffer.append(samples(0, 35));
    uploader.start();
    await until(() => cloud.lastStatus !== null);
    // Counted as the first batch (10) left: 25 still waiting; the oldest buffered reading is
    // the first sample (in the batch on the wire, still in the buffer until acknowledged).
    expect(cloud.lastStatus).toEqual({
      version: '0.0.0',
      bufferDepth: 25,
      bufferOldestAt: new Date(1_800_000_000_000),
    });
    await until(() => buffer.stats().depth === 0 && buffer.stats().leasedBatches === 0);
  });

  it('sets a refused batch aside, whole and with the reason, and keeps delivering the rest', async () => {
    const { buffer, cloud, uploader } = await setup(50);
    const broken = { ...samples(60, 1)[0]!, binding: 'x'.repeat(65) }; // the contract allows 64
    buffer.append([...samples(0, 60), broken, ...samples(61, 89)]);
    uploader.start();
    await until(() => buffer.stats().depth === 0 && buffer.stats().leasedBatches === 0);
    // Batches of 50: the second one (samples 50–99, with the broken one) was refused.
    const delivered = cloud.samples.get('v-thp')!.map((s) => s.value);
    expect(delivered).toEqual([
      ...Array.from({ length: 50 }, (_, i) => i),
      ...Array.from({ length: 50 }, (_, i) => 100 + i),
    ]);
    const rejected = buffer.rejected();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toMatch(/^400: .*samples\.10\.binding/);
    expect(buffer.stats().rejectedBatches).toBe(1);
    expect(uploader.status().rejected).toBe(1);
  });

  it('delivers in order, deletes only what the cloud acknowledged', async () => {
    const { buffer, cloud, uploader } = await setup(100);
    buffer.append(samples(0, 250));
    uploader.start();
    await until(() => buffer.stats().depth === 0 && buffer.stats().leasedBatches === 0);
    expect(cloud.samples.get('v-thp')!.map((s) => s.value)).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
    expect(cloud.batches).toBe(3);
  });

  it('keeps everything while the cloud is down and delivers it exactly once when it is back', async () => {
    const { buffer, cloud, uploader } = await setup(100);
    cloud.setMode('down');
    uploader.start();
    buffer.append(samples(0, 300));
    await until(() => uploader.status().failures >= 3);
    expect(buffer.stats().depth + 100 * buffer.stats().leasedBatches).toBe(300);
    cloud.setMode('up');
    buffer.append(samples(300, 50));
    await until(() => buffer.stats().depth === 0 && buffer.stats().leasedBatches === 0);
    const values = cloud.samples.get('v-thp')!.map((s) => s.value);
    expect(values).toEqual(Array.from({ length: 350 }, (_, i) => i));
    console.log(
      JSON.stringify({
        test: 'upload_cloud_down_then_up',
        failuresWhileDown: uploader.status().failures,
        delivered: values.length,
        duplicatesAtCloud: cloud.duplicates,
      }),
    );
  });

  it('survives a cloud that refuses connections (nothing listening), then delivers', async () => {
    const { buffer, cloud } = await setup(100);
    const { freePort } = await import('../../test/modbus-server');
    const closedPort = await freePort();
    const refused = new Uploader({
      buffer,
      cloudUrl: `http://127.0.0.1:${closedPort}`,
      connectorId: CONNECTOR,
      credential: CREDENTIAL,
      maxSamples: 100,
      maxDelayMs: 50,
      maxBackoffMs: 100,
    });
    buffer.append(samples(0, 250));
    refused.start();
    await until(() => refused.status().failures >= 3);
    await refused.stop();
    expect(refused.status().lastError).toMatch(/fetch failed/);
    const working = new Uploader({
      buffer,
      cloudUrl: cloud.url,
      connectorId: CONNECTOR,
      credential: CREDENTIAL,
      maxSamples: 100,
      maxDelayMs: 50,
    });
    cleanups.push(() => working.stop());
    working.start();
    await until(() => buffer.stats().depth === 0 && buffer.stats().leasedBatches === 0);
    expect(cloud.samples.get('v-thp')!.map((s) => s.value)).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
  });

  it('re-sends a batch whose acknowledgement was lost, and the cloud stores it once', async () => {
    const { buffer, cloud, uploader } = await setup(100);
    cloud.setMode('lose-acks');
    buffer.append(samples(0, 100));
    uploader.start();
    await until(() => cloud.batches === 1 && uploader.status().failures >= 2);
    cloud.setMode('up');
    await until(() => buffer.stats().leasedBatches === 0);
    expect(cloud.duplicates).toBeGreaterThanOrEqual(1);
    expect(cloud.samples.get('v-thp')).toHaveLength(100);
  });

  it('sends samples the contract accepts, with source quality and codes', async () => {
    const { buffer, cloud, uploader } = await setup(10);
    buffer.append([
      {
        source: 'opc1',
        binding: 'v-bad',
        ts: 1_800_000_000_000,
        value: null,
        status: 2,
        code: 0x80340000,
        priority: PRIORITY.regulated,
      },
    ]);
    uploader.start();
    await until(() => cloud.batches === 1);
    expect(cloud.rejected).toBe(0);
    expect(cloud.samples.get('v-bad')).toEqual([
      {
        binding: 'v-bad',
        ts: new Date(1_800_000_000_000).toISOString(),
        value: null,
        quality: { status: 'bad', code: 0x80340000 },
      },
    ]);
  });
});
