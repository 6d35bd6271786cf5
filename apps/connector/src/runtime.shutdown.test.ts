import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUploadBatch } from '@anh/domain/upload';
import { ServerTCP } from 'modbus-serial';
import { freePort, startModbusServer, type TestModbusServer } from '../test/modbus-server';
import { parseConfig } from './config/load';
import { createLogger } from './log';
import { startConnector as startRuntime } from './runtime';
import { DurableBuffer } from './buffer/store';
import { encodeRegisters } from './modbus/registers';

/**
 * The connector stopped with SIGTERM while an upload is on the wire, against a cloud that
 * takes 1.5 s to answer: the upload finishes (the cloud's answer is read, the batch leaves
 * the buffer), the sources stop, the SQLite buffer is closed cleanly (no WAL left behind),
 * the process exits 0. Started again, it delivers the rest: every committed reading
 * reaches the cloud once.
 */
const CREDENTIAL = 'key-term.s3cret-value';
let modbus: TestModbusServer;
let cloud: Server;
let cloudUrl: string;
let dir: string;
let counter = 0;
let delayMs = 1500;
const values: number[] = [];
const seen = new Set<string>();
/** Batches whose answer was written, and those whose connection closed first. */
const answered: string[] = [];
const cut: string[] = [];
let inFlight: string | null = null;

beforeAll(async () => {
  modbus = await startModbusServer({
    beforeRead: (unit, address) => {
      if (unit === 1 && address === 0)
        modbus.holding(1).set(encodeRegisters(++counter, 'uint32', 'BE', 'BE'), 0);
    },
  });
  cloud = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.headers.authorization !== `Bearer ${CREDENTIAL}`) {
        response.writeHead(401).end();
        return;
      }
      const parsed = parseUploadBatch(JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()));
      if (!parsed.ok) {
        response.writeHead(400).end();
        return;
      }
      const { batch } = parsed;
      inFlight = batch.batchId;
      let finished = false;
      response.once('finish', () => {
        finished = true;
        answered.push(batch.batchId);
      });
      response.once('close', () => {
        if (!finished) cut.push(batch.batchId);
      });
      setTimeout(() => {
        if (!seen.has(batch.batchId)) {
          seen.add(batch.batchId);
          values.push(...batch.samples.map((s) => s.value!));
        }
        inFlight = null;
        if (!response.destroyed)
          response
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ batchId: batch.batchId, accepted: batch.samples.length }));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => cloud.listen(0, '127.0.0.1', resolve));
  cloudUrl = `http://127.0.0.1:${(cloud.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'anh-term-'));
  writeFileSync(
    join(dir, 'connector.yaml'),
    `version: 1
connector:
  id: 1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d
  cloudUrl: ${cloudUrl}
  buffer: { path: ./data/buffer.sqlite }
  batch: { maxSamples: 20, maxDelayMs: 100 }
sources:
  - { id: plc1, type: modbus-tcp, host: 127.0.0.1, port: ${modbus.port}, intervalMs: 20, timeoutMs: 500 }
tags:
  - { source: plc1, binding: v-counter, point: LACT-01, variable: fiscal_gross_totalizer, unit: bbl, modbus: { unit: 1, address: 0, type: uint32 } }
`,
  );
});

afterAll(async () => {
  cloud.closeAllConnections();
  await new Promise((resolve) => cloud.close(resolve));
  await modbus.close();
  rmSync(dir, { recursive: true, force: true });
});

function startConnector(configFile = 'connector.yaml'): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'cli.ts'),
      'run',
      '--config',
      join(dir, configFile),
    ],
    {
      env: { ...process.env, ANH_CONNECTOR_CREDENTIAL: CREDENTIAL, ANH_CONNECTOR_STATUS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function waitFor(what: () => boolean, ms: number, label: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const bufferFile = () => join(dir, 'data', 'buffer.sqlite');

describe('connector under SIGTERM', () => {
  it('finishes the upload on the wire, closes the buffer and exits 0; nothing is lost', async () => {
    const first = startConnector();
    try {
      await waitFor(() => answered.length >= 1 && inFlight !== null, 30_000, 'an upload in flight');
      const onTheWire = inFlight!;
      const signalled = Date.now();
      first.child.kill('SIGTERM');
      expect(await first.exit).toBe(0);
      const tookMs = Date.now() - signalled;
      // It waited for the cloud's answer (up to 1.5 s), and not much longer.
      expect(tookMs).toBeLessThan(8000);
      expect(answered).toContain(onTheWire);
      expect(cut).toEqual([]);
      const lines = first
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l.message)).toEqual(
        expect.arrayContaining(['connector started', 'connector stopping', 'connector stopped']),
      );
      expect(lines.find((l) => l.message === 'connector stopping')).toMatchObject({
        level: 'info',
        signal: 'SIGTERM',
      });
      expect(first.output()).not.toContain(CREDENTIAL);
      // Closed cleanly: SQLite folds its write-ahead log back into the file on close.
      expect(existsSync(`${bufferFile()}-wal`)).toBe(false);
      const buffer = DurableBuffer.open(bufferFile());
      try {
        // The acknowledged batch is gone; at most the next one (prepared while the first
        // was on the wire) waits, leased, to go again with its id.
        expect(buffer.stats().leasedBatches).toBeLessThanOrEqual(1);
        const next = buffer.leaseBatch(20);
        if (next) expect(answered).not.toContain(next.batchId);
      } finally {
        buffer.close();
      }
    } finally {
      first.child.kill('SIGKILL');
    }

    // Started again with a prompt cloud: it sends what was left, then stops.
    delayMs = 0;
    const readsAtStop = counter;
    const second = startConnector();
    try {
      await waitFor(() => counter > readsAtStop + 20, 30_000, 'the second run to read');
      await waitFor(
        () => {
          const buffer = DurableBuffer.open(bufferFile());
          const { depth, leasedBatches } = buffer.stats();
          buffer.close();
          return depth === 0 && leasedBatches === 0;
        },
        20_000,
        'the buffer to drain',
      );
      second.child.kill('SIGTERM');
      expect(await second.exit).toBe(0);
    } finally {
      second.child.kill('SIGKILL');
    }
    const sorted = [...values].sort((a, b) => a - b);
    expect(new Set(values).size).toBe(values.length);
    // Every reading was committed before its source stopped, so no gaps but the reads a
    // stop cut off between the device's answer and the commit (one per stop at most).
    const gaps = sorted.reduce((n, v, i) => n + (i > 0 && v !== sorted[i - 1]! + 1 ? 1 : 0), 0);
    expect(gaps).toBeLessThanOrEqual(2);
    expect(sorted[0]).toBe(1);
    expect(sorted.length).toBeGreaterThan(40);
  }, 90_000);

  it('stops at once while its device refuses connections, and reconnects when it is back', async () => {
    // Found by this test: after a refused connect the Modbus poller waited for a close
    // that never came, so it neither reconnected nor let the connector stop.
    const port = await freePort();
    const parsed = parseConfig(`version: 1
connector:
  id: 1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d
  cloudUrl: ${cloudUrl}
  buffer: { path: ./late/buffer.sqlite }
  batch: { maxSamples: 20, maxDelayMs: 100 }
sources:
  - { id: late, type: modbus-tcp, host: 127.0.0.1, port: ${port}, intervalMs: 50, timeoutMs: 500 }
tags:
  - { source: late, binding: v-late, point: LACT-01, variable: fiscal_gross_totalizer, unit: bbl, modbus: { unit: 1, address: 0, type: uint32 } }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    delayMs = 0;
    const runtime = await startRuntime({
      config: parsed.config,
      configPath: join(dir, 'late.yaml'),
      connectorId: parsed.config.connector.id!,
      credential: CREDENTIAL,
      statusPort: 0,
      log: createLogger('error', {}, () => undefined),
    });
    let device: ServerTCP | null = null;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(runtime.pollers[0]!.status().state).toBe('connecting');
      expect(runtime.pollers[0]!.status().reconnects).toBeGreaterThanOrEqual(1);
      device = new ServerTCP(
        {
          getMultipleHoldingRegisters: (
            _address: number,
            length: number,
            _unit: number,
            callback: (error: Error | null, value: number[]) => void,
          ) =>
            callback(
              null,
              Array.from({ length }, () => 7),
            ),
        },
        { host: '127.0.0.1', port, unitID: 255 },
      );
      await waitFor(
        () => runtime.pollers[0]!.status().state === 'connected',
        10_000,
        'the poller to reconnect',
      );
      await waitFor(() => runtime.buffer.stats().depth + answered.length > 0, 5000, 'readings');
    } finally {
      const stopping = Date.now();
      await runtime.stop();
      expect(Date.now() - stopping).toBeLessThan(3000);
      await new Promise<void>((resolve) => (device ? device.close(() => resolve()) : resolve()));
    }
    // And the whole process: SIGTERM while the device is gone again exits 0 at once.
    writeFileSync(
      join(dir, 'gone.yaml'),
      `version: 1
connector:
  id: 1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d
  cloudUrl: ${cloudUrl}
  buffer: { path: ./gone/buffer.sqlite }
sources:
  - { id: gone, type: modbus-tcp, host: 127.0.0.1, port: ${port}, intervalMs: 1000, timeoutMs: 500 }
tags:
  - { source: gone, binding: v-gone, point: LACT-01, variable: fiscal_gross_totalizer, unit: bbl, modbus: { unit: 1, address: 0, type: uint32 } }
`,
    );
    const gone = startConnector('gone.yaml');
    try {
      await waitFor(() => gone.output().includes('"connector started"'), 30_000, 'the start');
      // Long enough for a few refused connects and a backoff in progress.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const signalled = Date.now();
      gone.child.kill('SIGTERM');
      expect(await gone.exit).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(5000);
      expect(gone.output()).toContain('"connector stopped"');
    } finally {
      gone.child.kill('SIGKILL');
    }
  }, 60_000);
});
