/**
 * Durable buffer benchmarks: append throughput (1,000-sample transactions, synchronous
 * FULL), lease + acknowledge throughput (drain without network), and process RSS with
 * 10 million samples buffered. Baseline in the same process: the same appends with
 * synchronous NORMAL (crash-safe but not power-loss-safe).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableBuffer, type BufferedSample } from '../src/buffer/store';

const dir = mkdtempSync(join(tmpdir(), 'anh-buffer-bench-'));
const CHUNK = 1000;

function chunk(offset: number): BufferedSample[] {
  return Array.from({ length: CHUNK }, (_, i) => ({
    source: `modbus:plc${i % 4}`,
    binding: `v${i % 250}`,
    ts: 1_800_000_000_000 + offset + i,
    value: Math.sin(offset + i),
    status: 0,
    code: null,
    priority: i % 5 === 0 ? 1 : 0,
  }));
}

function appendRate(path: string, synchronous: 'FULL' | 'NORMAL', total: number): number {
  const buffer = DurableBuffer.open(path, { synchronous });
  const chunks = Array.from({ length: 20 }, (_, k) => chunk(k * CHUNK));
  const start = process.hrtime.bigint();
  for (let written = 0; written < total; written += CHUNK)
    buffer.append(chunks[(written / CHUNK) % chunks.length]!);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  buffer.close();
  return total / seconds;
}

try {
  const measured = 1_000_000;
  const full = appendRate(join(dir, 'full.sqlite'), 'FULL', measured);
  const normal = appendRate(join(dir, 'normal.sqlite'), 'NORMAL', measured);
  console.log(
    JSON.stringify({
      name: 'buffer.append',
      value: Math.round(full),
      unit: 'samples/s',
      synchronous: 'FULL',
      samples: measured,
      baseline: {
        name: 'buffer.append.synchronous_normal',
        value: Math.round(normal),
        unit: 'samples/s',
      },
    }),
  );

  const buffer = DurableBuffer.open(join(dir, 'full.sqlite'));
  const drainStart = process.hrtime.bigint();
  let drained = 0;
  for (let batch = buffer.leaseBatch(5000); batch; batch = buffer.leaseBatch(5000)) {
    drained += batch.samples.length;
    buffer.acknowledge(batch.batchId);
  }
  const drainSeconds = Number(process.hrtime.bigint() - drainStart) / 1e9;
  buffer.close();
  console.log(
    JSON.stringify({
      name: 'buffer.lease_and_ack',
      value: Math.round(drained / drainSeconds),
      unit: 'samples/s',
      batchSize: 5000,
      samples: drained,
    }),
  );

  const big = DurableBuffer.open(join(dir, 'big.sqlite'), { synchronous: 'NORMAL' });
  const target = 10_000_000;
  const bigChunk = Array.from({ length: 10 }, (_, k) => chunk(k * CHUNK));
  for (let written = 0; written < target; written += CHUNK)
    big.append(bigChunk[(written / CHUNK) % 10]!);
  const stats = big.stats();
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  big.close();
  console.log(
    JSON.stringify({
      name: 'buffer.rss_with_10m_samples',
      value: Math.round(rssMb),
      unit: 'MB',
      depth: stats.depth,
      fileMb: Math.round(stats.fileBytes / 2 ** 20),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
