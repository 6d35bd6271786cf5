/**
 * Drain throughput: samples leaving the durable buffer for a local endpoint that follows
 * the upload contract (gzip JSON over HTTP on 127.0.0.1, validated with the shared zod
 * schema, acknowledged), 5,000-sample batches (the default). Baseline in the same run: lease + ack
 * without any network (the buffer's own ceiling).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableBuffer, type BufferedSample } from '../src/buffer/store';
import { Uploader } from '../src/upload/uploader';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const SAMPLES = 500_000;
const BATCH = 5000;
const dir = mkdtempSync(join(tmpdir(), 'anh-drain-bench-'));

function fill(buffer: DurableBuffer): void {
  for (let offset = 0; offset < SAMPLES; offset += 1000) {
    const chunk: BufferedSample[] = Array.from({ length: 1000 }, (_, i) => ({
      source: 'plc1',
      binding: `v${i % 200}`,
      ts: 1_800_000_000_000 + offset + i,
      value: Math.sin(offset + i),
      status: 0,
      code: null,
      priority: 0,
    }));
    buffer.append(chunk);
  }
}

// The endpoint runs in its own process, as the cloud would.
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    join(import.meta.dirname, '..', 'test', 'cloud-endpoint-main.ts'),
    'bench.credential-1',
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const lines = createInterface({ input: child.stdout });
const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve));
const cloud = { url: await nextLine() };
try {
  const local = DurableBuffer.open(join(dir, 'local.sqlite'), { synchronous: 'NORMAL' });
  fill(local);
  let t = process.hrtime.bigint();
  for (let batch = local.leaseBatch(BATCH); batch; batch = local.leaseBatch(BATCH))
    local.acknowledge(batch.batchId);
  const baseline = SAMPLES / (Number(process.hrtime.bigint() - t) / 1e9);
  local.close();

  const buffer = DurableBuffer.open(join(dir, 'drain.sqlite'), { synchronous: 'NORMAL' });
  fill(buffer);
  const uploader = new Uploader({
    buffer,
    cloudUrl: cloud.url,
    connectorId: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
    credential: 'bench.credential-1',
    maxSamples: BATCH,
    maxDelayMs: 100,
  });
  t = process.hrtime.bigint();
  while (await uploader.sendOnce());
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  buffer.close();
  child.stdin.write('count\n');
  const received = Number(await nextLine());
  if (received !== SAMPLES) throw new Error(`endpoint received ${received} of ${SAMPLES}`);
  console.log(
    JSON.stringify({
      name: 'drain.to_local_endpoint',
      value: Math.round(SAMPLES / seconds),
      unit: 'samples/s',
      samples: SAMPLES,
      batchSize: BATCH,
      baseline: {
        name: 'drain.lease_and_ack_only',
        value: Math.round(baseline),
        unit: 'samples/s',
      },
    }),
  );
} finally {
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
