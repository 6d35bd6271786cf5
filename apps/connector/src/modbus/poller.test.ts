import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BufferedSample } from '../buffer/store';
import { startModbusServer, type TestModbusServer } from '../../test/modbus-server';
import { ModbusPoller, type ModbusSourceConfig, type ModbusTag } from './poller';
import { encodeRegisters, type ModbusType } from './registers';

let server: TestModbusServer;
beforeAll(async () => {
  server = await startModbusServer();
});
afterAll(async () => {
  await server.close();
});

const source = (
  overrides: { intervalMs?: number; timeoutMs?: number } = {},
): ModbusSourceConfig => ({
  id: 'plc1',
  type: 'modbus-tcp',
  host: '127.0.0.1',
  port: server.port,
  intervalMs: 50,
  timeoutMs: 200,
  maxGap: 8,
  ...overrides,
});

function tag(
  index: number,
  unitId: number,
  address: number,
  type: ModbusType,
  extra: Partial<ModbusTag> = {},
): ModbusTag {
  return {
    tag: index,
    unitId,
    table: 'holding',
    address,
    type,
    byteOrder: 'BE',
    wordOrder: 'BE',
    binding: `b${index}`,
    priority: 0,
    scale: 1,
    offset: 0,
    ...extra,
  };
}

function write(
  unit: number,
  address: number,
  value: number,
  type: ModbusType,
  byteOrder: 'BE' | 'LE' = 'BE',
  wordOrder: 'BE' | 'LE' = 'BE',
  table: 'holding' | 'input' = 'holding',
) {
  const words = encodeRegisters(value, type, byteOrder, wordOrder);
  (table === 'holding' ? server.holding(unit) : server.input(unit)).set(words, address);
}

describe('ModbusPoller against a Modbus TCP server on 127.0.0.1', () => {
  it('reads every type and order, scaled, in as few requests as the plan allows', async () => {
    write(1, 100, 851.25, 'float32');
    write(1, 102, -42, 'int16');
    write(1, 103, 4_000_000_000, 'uint32', 'BE', 'LE');
    write(1, 105, 123456.789, 'float64');
    write(1, 109, 7.5, 'float32', 'LE', 'LE');
    write(1, 10, 1234, 'uint16', 'BE', 'BE', 'input');
    const sink: BufferedSample[][] = [];
    const poller = new ModbusPoller({
      source: source(),
      tags: [
        tag(0, 1, 100, 'float32'),
        tag(1, 1, 102, 'int16'),
        tag(2, 1, 103, 'uint32', { wordOrder: 'LE' }),
        tag(3, 1, 105, 'float64'),
        tag(4, 1, 109, 'float32', { byteOrder: 'LE', wordOrder: 'LE' }),
        tag(5, 1, 10, 'uint16', { table: 'input', scale: 0.1, offset: -3 }),
      ],
      sink: (s) => sink.push(s),
    });
    expect(poller.plan).toHaveLength(2);
    await poller.connect();
    const samples = await poller.runCycle();
    expect(poller.status().requests).toBe(2);
    expect(Object.fromEntries(samples.map((s) => [s.binding, s.value]))).toEqual({
      b0: 851.25,
      b1: -42,
      b2: 4_000_000_000,
      b3: 123456.789,
      b4: 7.5,
      b5: 1234 * 0.1 - 3,
    });
    expect(samples.every((s) => s.status === 0 && s.source === 'plc1')).toBe(true);
    expect(sink.flat()).toHaveLength(6);
    await poller.stop();
  });

  it('backs off a slave that stops answering without slowing the others', async () => {
    write(1, 0, 1, 'float32');
    write(2, 0, 2, 'float32');
    const counts = { 1: 0, 2: 0 } as Record<number, number>;
    const poller = new ModbusPoller({
      source: source({ intervalMs: 20, timeoutMs: 100 }),
      tags: [
        tag(0, 1, 0, 'float32', { binding: 'healthy' }),
        tag(1, 2, 0, 'float32', { binding: 'dying' }),
      ],
      sink: (samples) => samples.forEach((s) => (counts[s.binding === 'healthy' ? 1 : 2]! += 1)),
      maxBackoffMs: 10_000,
    });
    poller.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(counts[2]).toBeGreaterThan(3);
    server.silence(2, true);
    const healthyBefore = counts[1]!;
    await new Promise((r) => setTimeout(r, 1500));
    const healthyDuringOutage = counts[1]! - healthyBefore;
    const status = poller.status();
    expect(status.slaves[2]).toMatchObject({ state: 'backoff' });
    expect(status.slaves[1]).toMatchObject({ state: 'ok' });
    // At a 20 ms interval the healthy slave keeps ~40+ reads in 1.5 s; timeouts were paid only on retries.
    expect(healthyDuringOutage).toBeGreaterThan(25);
    server.silence(2, false);
    await poller.stop();
    console.log(
      JSON.stringify({
        test: 'modbus_dead_slave',
        healthyReadsDuringOutage: healthyDuringOutage,
        deadSlaveFailures: status.slaves[2]!.consecutiveFailures,
      }),
    );
  });

  it('turns a Modbus exception into Bad samples carrying the exception code', async () => {
    const poller = new ModbusPoller({
      source: source(),
      tags: [tag(0, 1, 65534, 'float64')],
      sink: () => undefined,
    });
    await poller.connect();
    const samples = await poller.runCycle();
    expect(samples).toEqual([
      expect.objectContaining({ binding: 'b0', value: null, status: 2, code: 2 }),
    ]);
    await poller.stop();
  });

  it('1,000 float32 tags at 50 ms: overruns are reported, the connection is kept, every tag gets values', async () => {
    const slow = await startModbusServer({ delayMs: 4 });
    try {
      const tags = Array.from({ length: 1000 }, (_, i) =>
        tag(i, 1 + (i % 4), Math.floor(i / 4) * 2, 'float32'),
      );
      const counts = new Map<string, number>();
      const poller = new ModbusPoller({
        source: {
          id: 'plc1',
          type: 'modbus-tcp',
          host: '127.0.0.1',
          port: slow.port,
          intervalMs: 50,
          timeoutMs: 1000,
          maxGap: 8,
        },
        tags,
        sink: (samples) =>
          samples.forEach((s) => counts.set(s.binding, (counts.get(s.binding) ?? 0) + 1)),
      });
      poller.start();
      await new Promise((r) => setTimeout(r, 2500));
      await poller.stop();
      const status = poller.status();
      const fewest = Math.min(...tags.map((t) => counts.get(t.binding) ?? 0));
      console.log(
        JSON.stringify({
          test: 'modbus_1000_tags_50ms',
          cycles: status.cycles,
          overruns: status.overruns,
          reconnects: status.reconnects,
          lastCycleMs: status.lastCycleMs,
          fewestValuesPerTag: fewest,
          requestsPerCycle: poller.plan.length,
        }),
      );
      expect(status.reconnects).toBe(0);
      expect(status.overruns).toBeGreaterThan(0);
      expect(counts.size).toBe(1000);
      expect(fewest).toBeGreaterThanOrEqual(status.cycles - 1);
    } finally {
      await slow.close();
    }
  });
});
