import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableBuffer, PRIORITY, type BufferedSample } from './store';

const dirs: string[] = [];
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'anh-buffer-'));
  dirs.push(dir);
  return join(dir, 'buffer.sqlite');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const sample = (n: number, overrides: Partial<BufferedSample> = {}): BufferedSample => ({
  source: 'modbus:plc1',
  binding: 'v-thp',
  ts: 1_800_000_000_000 + n * 1000,
  value: n,
  status: 0,
  code: null,
  priority: PRIORITY.regulated,
  ...overrides,
});

describe('DurableBuffer', () => {
  it('re-sends the same batch until it is acknowledged, then deletes it', () => {
    const buffer = DurableBuffer.open(tempPath());
    buffer.append([sample(1), sample(2), sample(3)]);
    const first = buffer.leaseBatch(2)!;
    expect(first.samples.map((s) => s.value)).toEqual([1, 2]);
    const again = buffer.leaseBatch(2)!;
    expect(again).toEqual(first);
    expect(buffer.acknowledge(first.batchId)).toBe(2);
    expect(buffer.acknowledge(first.batchId)).toBe(0);
    const next = buffer.leaseBatch(2)!;
    expect(next.sequence).toBe(first.sequence + 1);
    expect(next.samples.map((s) => s.value)).toEqual([3]);
    buffer.acknowledge(next.batchId);
    expect(buffer.leaseBatch(2)).toBeNull();
    expect(buffer.stats()).toMatchObject({ depth: 0, leasedBatches: 0, dropped: 0 });
    buffer.close();
  });

  it('drains regulated data first and keeps insertion order within each class', () => {
    const buffer = DurableBuffer.open(tempPath());
    buffer.append([
      sample(1, { priority: PRIORITY.other }),
      sample(2),
      sample(3, { priority: PRIORITY.other }),
      sample(4),
    ]);
    const batch = buffer.leaseBatch(10)!;
    expect(batch.samples.map((s) => s.value)).toEqual([2, 4, 1, 3]);
    buffer.close();
  });

  it('survives reopening: unacknowledged batches and unsent samples are still there', () => {
    const path = tempPath();
    let buffer = DurableBuffer.open(path);
    buffer.append([sample(1), sample(2), sample(3)]);
    const leased = buffer.leaseBatch(2)!;
    buffer.close();
    buffer = DurableBuffer.open(path);
    expect(buffer.leaseBatch(2)).toEqual(leased);
    buffer.acknowledge(leased.batchId);
    expect(buffer.stats().depth).toBe(1);
    buffer.close();
  });

  it('bounds its size: drops the oldest low-priority samples first, never leased ones, and counts them', () => {
    const buffer = DurableBuffer.open(tempPath(), { maxSamples: 4 });
    buffer.append([sample(1), sample(2)]);
    const leased = buffer.leaseBatch(1)!;
    buffer.append([
      sample(3, { priority: PRIORITY.other }),
      sample(4, { priority: PRIORITY.other }),
      sample(5),
      sample(6),
    ]);
    // 5 unsent for a bound of 4: the oldest low-priority one (3) goes.
    buffer.append([sample(7)]);
    const stats = buffer.stats();
    expect(stats.dropped).toBe(2);
    expect(stats.depth).toBe(4);
    buffer.acknowledge(leased.batchId);
    const rest = buffer.leaseBatch(10)!;
    expect(rest.samples.map((s) => s.value)).toEqual([2, 5, 6, 7]);
    buffer.close();
  });

  it('loses no committed sample when the writer is killed with SIGKILL (10 kills)', async () => {
    const path = tempPath();
    let start = 0;
    const kills = 10;
    for (let round = 0; round < kills; round++) {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(import.meta.dirname, '..', '..', 'test', 'buffer-writer.ts'),
          path,
          String(start),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let acknowledged = start - 1;
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = chunk.toString().trim().split('\n');
        acknowledged = Math.max(acknowledged, Number(lines.at(-1)));
      });
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 400));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const buffer = DurableBuffer.open(path);
      const { depth } = buffer.stats();
      buffer.close();
      // Everything the writer reported as committed is on disk, and nothing beyond what it wrote.
      expect(depth).toBeGreaterThanOrEqual(acknowledged + 1);
      start = depth;
    }
    const buffer = DurableBuffer.open(path);
    const all = buffer.leaseBatch(10_000_000)!;
    const values = all.samples.map((s) => s.value);
    expect(values).toEqual(values.map((_, i) => i));
    console.log(JSON.stringify({ test: 'buffer_sigkill', kills, samples: values.length }));
    buffer.close();
  }, 60_000);

  it('keeps what it drops as 10-minute aggregates, which are never dropped and go in the next batch', async () => {
    const { toUploadBatch } = await import('../upload/uploader');
    const { parseUploadBatch } = await import('@anh/domain/upload');
    const buffer = DurableBuffer.open(tempPath(), { maxSamples: 10 });
    const slot = 1_800_000_000_000 - (1_800_000_000_000 % 600_000);
    // 30 samples a minute apart: 3 slots of 10; the 20 oldest must go.
    buffer.append(
      Array.from({ length: 30 }, (_, k) =>
        sample(k, { ts: slot + k * 60_000, value: 100 + k, status: k === 3 ? 1 : 0 }),
      ),
    );
    const stats = buffer.stats();
    expect(stats).toMatchObject({ depth: 10, dropped: 20, aggregates: 2 });
    const batch = buffer.leaseBatch(100)!;
    expect(batch.samples.map((s) => s.value)).toEqual(
      Array.from({ length: 10 }, (_, k) => 120 + k),
    );
    expect(batch.aggregates).toEqual([
      {
        binding: 'v-thp',
        slotStart: slot,
        count: 10,
        sum: 1045,
        min: 100,
        max: 109,
        firstTs: slot,
        firstValue: 100,
        lastTs: slot + 9 * 60_000,
        lastValue: 109,
        worstStatus: 1,
      },
      {
        binding: 'v-thp',
        slotStart: slot + 600_000,
        count: 10,
        sum: 1145,
        min: 110,
        max: 119,
        firstTs: slot + 600_000,
        firstValue: 110,
        lastTs: slot + 19 * 60_000,
        lastValue: 119,
        worstStatus: 0,
      },
    ]);
    const upload = toUploadBatch(batch, '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d');
    expect(parseUploadBatch(upload).ok).toBe(true);
    expect(upload.aggregates![0]).toMatchObject({
      count: 10,
      mean: 104.5,
      worstQuality: 'uncertain',
    });
    buffer.acknowledge(batch.batchId);
    expect(buffer.stats()).toMatchObject({ depth: 0, aggregates: 0 });
    buffer.close();
  });
});
