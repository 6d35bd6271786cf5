import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusPoller } from './poller';

/**
 * Modbus RTU over a serial line: a socat pty pair (Debian socat) with Debian's pymodbus
 * serving RTU on one end and the connector polling the other. scripts/test-deps.sh
 * installs both.
 */
let dir: string;
let socat: ChildProcess;
let server: ChildProcess;

beforeAll(async () => {
  for (const [binary, check] of [
    ['socat', ['-V']],
    ['/usr/bin/python3', ['-c', 'import pymodbus']],
  ] as const) {
    if (spawnSync(binary, check).status !== 0)
      throw new Error(
        `${binary} missing: run scripts/test-deps.sh (apt-get install socat python3-pymodbus)`,
      );
  }
  dir = mkdtempSync(join(tmpdir(), 'anh-rtu-'));
  socat = spawn(
    'socat',
    [`pty,raw,echo=0,link=${join(dir, 'server')}`, `pty,raw,echo=0,link=${join(dir, 'client')}`],
    { stdio: 'ignore' },
  );
  for (
    let i = 0;
    i < 50 && !(existsSync(join(dir, 'server')) && existsSync(join(dir, 'client')));
    i++
  )
    await new Promise((r) => setTimeout(r, 50));
  server = spawn(
    '/usr/bin/python3',
    [
      join(import.meta.dirname, '..', '..', 'test', 'pymodbus_server.py'),
      'rtu',
      join(dir, 'server'),
      '19200',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise<void>((resolve) =>
    createInterface({ input: server.stdout! }).once('line', () => resolve()),
  );
  await new Promise((r) => setTimeout(r, 300));
});

afterAll(() => {
  server?.kill('SIGKILL');
  socat?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('Modbus RTU over a serial line', () => {
  it('reads float32 values from several units on one line', async () => {
    const poller = new ModbusPoller({
      source: {
        id: 'rtu1',
        type: 'modbus-rtu',
        path: join(dir, 'client'),
        baudRate: 19200,
        parity: 'none',
        dataBits: 8,
        stopBits: 1,
        intervalMs: 100,
        timeoutMs: 500,
        maxGap: 8,
      },
      tags: [1, 2, 3].map((unit, i) => ({
        tag: i,
        unitId: unit,
        table: 'holding' as const,
        address: 10,
        type: 'float32' as const,
        byteOrder: 'BE' as const,
        wordOrder: 'BE' as const,
        binding: `unit-${unit}`,
        priority: 0,
        scale: 1,
        offset: 0,
      })),
      sink: () => undefined,
    });
    await poller.connect();
    const samples = await poller.runCycle();
    await poller.stop();
    // Register pair 5 (address 10) of unit u holds 5 + u/10.
    expect(samples.map((s) => [s.binding, Math.round(s.value! * 1000) / 1000])).toEqual([
      ['unit-1', 5.1],
      ['unit-2', 5.2],
      ['unit-3', 5.3],
    ]);
  });
});
