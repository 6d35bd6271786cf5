import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableBuffer } from './buffer/store';
import { startTestCloud, type TestCloud } from '../test/cloud-endpoint';
import { startModbusServer, type TestModbusServer } from '../test/modbus-server';
import { encodeRegisters } from './modbus/registers';

/**
 * The whole connector, killed with SIGKILL at random moments and restarted, against a
 * real Modbus TCP server whose register counts up on every read and a local endpoint
 * that follows the upload contract. Afterwards every value the connector committed
 * reaches the cloud exactly once and in order.
 */
const CREDENTIAL = 'key-kill.s3cret-value';
const KILLS = 20;
let server: TestModbusServer;
let cloud: TestCloud;
let dir: string;
let counter = 0;

beforeAll(async () => {
  server = await startModbusServer({
    beforeRead: (unit, address) => {
      if (unit === 1 && address === 0)
        server.holding(1).set(encodeRegisters(++counter, 'uint32', 'BE', 'BE'), 0);
    },
  });
  cloud = await startTestCloud(CREDENTIAL);
  dir = mkdtempSync(join(tmpdir(), 'anh-kill-'));
  writeFileSync(
    join(dir, 'connector.yaml'),
    `version: 1
connector:
  id: 1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d
  cloudUrl: ${cloud.url}
  buffer: { path: ./data/buffer.sqlite }
  batch: { maxSamples: 50, maxDelayMs: 200 }
sources:
  - { id: plc1, type: modbus-tcp, host: 127.0.0.1, port: ${server.port}, intervalMs: 20, timeoutMs: 500 }
tags:
  - { source: plc1, binding: v-counter, point: LACT-01, variable: fiscal_gross_totalizer, unit: bbl, modbus: { unit: 1, address: 0, type: uint32 } }
`,
  );
});

afterAll(async () => {
  await server.close();
  await cloud.close();
  rmSync(dir, { recursive: true, force: true });
});

function startConnector(): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'cli.ts'),
      'run',
      '--config',
      join(dir, 'connector.yaml'),
    ],
    {
      env: { ...process.env, ANH_CONNECTOR_CREDENTIAL: CREDENTIAL, ANH_CONNECTOR_STATUS_PORT: '0' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

const exited = (child: ChildProcess) =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));

describe('connector under SIGKILL', () => {
  it(`delivers every committed sample exactly once, in order, across ${KILLS} kills`, async () => {
    for (let round = 0; round < KILLS; round++) {
      const child = startConnector();
      // Killed while it runs, not while it starts: on a loaded machine starting (tsx
      // compiling the CLI) can take longer than a fixed delay, and a connector killed
      // before its first read proves nothing. So: first read, then 0.2–1 s more.
      const readsBefore = counter;
      for (let waited = 0; counter === readsBefore && waited < 15_000; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 200 + Math.random() * 800));
      child.kill('SIGKILL');
      await exited(child);
    }
    // A last, peaceful run drains what is left.
    const child = startConnector();
    const deadline = Date.now() + 30_000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const buffer = DurableBuffer.open(join(dir, 'data', 'buffer.sqlite'));
      const { depth, leasedBatches } = buffer.stats();
      buffer.close();
      if ((depth === 0 && leasedBatches === 0) || Date.now() > deadline) break;
    }
    child.kill('SIGTERM');
    await exited(child);

    const values = (cloud.samples.get('v-counter') ?? []).map((s) => s.value!);
    const duplicates = values.length - new Set(values).size;
    const inOrder = values.every((v, i) => i === 0 || v > values[i - 1]!);
    // Values read but not yet committed when the process died are the only allowed gaps.
    const gaps = values.reduce((n, v, i) => n + (i > 0 && v !== values[i - 1]! + 1 ? 1 : 0), 0);
    console.log(
      JSON.stringify({
        test: 'connector_sigkill',
        kills: KILLS,
        delivered: values.length,
        readsByServer: counter,
        duplicates,
        gaps,
        duplicateBatchesAtCloud: cloud.duplicates,
      }),
    );
    expect(values.length).toBeGreaterThan(KILLS * 10);
    expect(duplicates).toBe(0);
    expect(inOrder).toBe(true);
    expect(gaps).toBeLessThanOrEqual(KILLS);
  }, 120_000);
});
