/**
 * Modbus TCP polling throughput into the durable buffer: 1,000 float32 tags read from a
 * real Modbus TCP server on 127.0.0.1 in another process — Debian's pymodbus
 * (`apt-get update && apt-get install -y python3-pymodbus`; the bench says so if missing) —
 * cycles back to back, every sample committed to the SQLite buffer. Baseline in the same
 * run: the same reads without the buffer (the poller's own ceiling).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DurableBuffer } from '../src/buffer/store';
import { ModbusPoller, type ModbusTag } from '../src/modbus/poller';
import { freePort } from '../test/modbus-server';

const TAGS = 1000;
const SECONDS = 5;

const probe = spawnSync('/usr/bin/python3', ['-c', 'import pymodbus']);
if (probe.status !== 0) {
  console.error(
    'modbus bench: needs Debian python3-pymodbus (apt-get update && apt-get install -y python3-pymodbus)',
  );
  process.exit(1);
}
const port = await freePort();
const server = spawn(
  '/usr/bin/python3',
  [join(import.meta.dirname, '..', 'test', 'pymodbus_server.py'), 'tcp', String(port)],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await new Promise<void>((resolve) =>
  createInterface({ input: server.stdout }).once('line', () => resolve()),
);
await new Promise((resolve) => setTimeout(resolve, 300));
const dir = mkdtempSync(join(tmpdir(), 'anh-modbus-bench-'));

const tags: ModbusTag[] = Array.from({ length: TAGS }, (_, i) => ({
  tag: i,
  unitId: 1 + (i % 4),
  table: 'holding',
  address: Math.floor(i / 4) * 2,
  type: 'float32',
  byteOrder: 'BE',
  wordOrder: 'BE',
  binding: `tag-${i}`,
  priority: 0,
  scale: 1,
  offset: 0,
}));

async function measure(
  withBuffer: boolean,
): Promise<{ rate: number; requestsPerSecond: number; cycles: number }> {
  const buffer = withBuffer
    ? DurableBuffer.open(join(dir, `b-${Date.now()}.sqlite`), { synchronous: 'NORMAL' })
    : null;
  const poller = new ModbusPoller({
    source: {
      id: 'bench',
      type: 'modbus-tcp',
      host: '127.0.0.1',
      port,
      intervalMs: 10,
      timeoutMs: 1000,
      maxGap: 8,
    },
    tags,
    sink: (samples) => buffer?.append(samples),
  });
  await poller.connect();
  let samples = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + SECONDS * 1000;
  while (Date.now() < deadline) samples += (await poller.runCycle()).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const status = poller.status();
  await poller.stop();
  buffer?.close();
  return {
    rate: samples / seconds,
    requestsPerSecond: status.requests / seconds,
    cycles: status.cycles,
  };
}

try {
  const bare = await measure(false);
  const buffered = await measure(true);
  console.log(
    JSON.stringify({
      name: 'modbus_tcp.poll_into_buffer',
      value: Math.round(buffered.rate),
      unit: 'tags/s',
      tags: TAGS,
      requestsPerSecond: Math.round(buffered.requestsPerSecond),
      cycles: buffered.cycles,
      baseline: {
        name: 'modbus_tcp.poll_without_buffer',
        value: Math.round(bare.rate),
        unit: 'tags/s',
      },
    }),
  );
} finally {
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
