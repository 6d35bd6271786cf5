import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from '../test/cloud-endpoint';
import { startModbusServer, type TestModbusServer } from '../test/modbus-server';
import { startOpcuaServer, type TestOpcuaServer } from '../test/opcua-server';
import { parseConfig } from './config/load';
import { encodeRegisters } from './modbus/registers';
import { startConnector, type ConnectorRuntime } from './runtime';

/**
 * Faults at the sources, end to end: the OPC UA server restarts, one Modbus slave stops
 * answering while another keeps going, the cloud goes down and comes back. Afterwards
 * every sample the connector read is at the cloud exactly once and in order per variable.
 */
const CREDENTIAL = 'faults.credential-1';
let cloud: TestCloud;
let modbus: TestModbusServer;
let opcua: TestOpcuaServer;
let dir: string;
let counter = 0;

beforeAll(async () => {
  cloud = await startTestCloud(CREDENTIAL);
  modbus = await startModbusServer({
    beforeRead: (unit, address) => {
      if (address === 0)
        modbus.holding(unit).set(encodeRegisters(++counter, 'uint32', 'BE', 'BE'), 0);
    },
  });
  opcua = await startOpcuaServer();
  dir = mkdtempSync(join(tmpdir(), 'anh-faults-'));
}, 60_000);

afterAll(async () => {
  await opcua?.stop();
  await modbus?.close();
  await cloud?.close();
  rmSync(dir, { recursive: true, force: true });
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function check(binding: string) {
  const values = (cloud.samples.get(binding) ?? []).map((s) => s.value!);
  const timestamps = (cloud.samples.get(binding) ?? []).map((s) => Date.parse(s.ts));
  return {
    count: values.length,
    duplicates: timestamps.length - new Set(timestamps.map((t, i) => `${t}:${values[i]}`)).size,
    inOrder: timestamps.every((t, i) => i === 0 || t >= timestamps[i - 1]!),
  };
}

describe('connector under source and cloud faults', () => {
  it('OPC UA restart, a dead Modbus slave and a cloud outage lose nothing and duplicate nothing', async () => {
    const parsed = parseConfig(`version: 1
connector:
  id: 1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d
  cloudUrl: ${cloud.url}
  buffer: { path: ./data/buffer.sqlite }
  batch: { maxSamples: 200, maxDelayMs: 200 }
sources:
  - { id: plc1, type: modbus-tcp, host: 127.0.0.1, port: ${modbus.port}, intervalMs: 50, timeoutMs: 200 }
  - { id: opc1, type: opcua, endpoint: "${opcua.endpoint}", samplingIntervalMs: 50, publishingIntervalMs: 100 }
tags:
  - { source: plc1, binding: healthy, point: LACT-01, variable: fiscal_gross_totalizer, unit: bbl, modbus: { unit: 1, address: 0, type: uint32 } }
  - { source: plc1, binding: dying, point: SEP-01, variable: separator_oil_totalizer, unit: bbl, modbus: { unit: 2, address: 0, type: uint32 } }
  - { source: opc1, binding: thp, point: W-001, variable: tubing_head_pressure, unit: psig, opcua: { nodeId: "ns=1;s=W-001.THP" } }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const runtime: ConnectorRuntime = await startConnector({
      config: parsed.config,
      configPath: join(dir, 'connector.yaml'),
      connectorId: parsed.config.connector.id!,
      credential: CREDENTIAL,
      statusPort: 0,
    });
    await wait(1000);
    // 1. The OPC UA server restarts.
    await opcua.restart();
    await wait(2000);
    // 2. Unit 2 stops answering; unit 1 must keep its pace.
    modbus.silence(2, true);
    const healthyBefore = check('healthy').count;
    await wait(1500);
    const healthyDuring = check('healthy').count - healthyBefore;
    modbus.silence(2, false);
    // 3. The cloud goes down for two seconds, then comes back.
    cloud.setMode('down');
    await wait(2000);
    cloud.setMode('up');
    await wait(1500);
    await runtime.stop();
    // Drain what is left with a fresh runtime (as after a restart of the service).
    const drain = await startConnector({
      config: { ...parsed.config, sources: [], tags: parsed.config.tags },
      configPath: join(dir, 'connector.yaml'),
      connectorId: parsed.config.connector.id!,
      credential: CREDENTIAL,
      statusPort: 0,
    });
    for (
      let i = 0;
      i < 100 && (drain.buffer.stats().depth > 0 || drain.buffer.stats().leasedBatches > 0);
      i++
    )
      await wait(100);
    const left = drain.buffer.stats();
    await drain.stop();

    const result = { healthy: check('healthy'), dying: check('dying'), thp: check('thp') };
    console.log(
      JSON.stringify({
        test: 'connector_faults',
        healthyReadsWhileSlave2Dead: healthyDuring,
        ...result,
        duplicateBatchesAtCloud: cloud.duplicates,
        leftInBuffer: left.depth,
      }),
    );
    expect(left.depth).toBe(0);
    expect(healthyDuring).toBeGreaterThan(10);
    for (const r of Object.values(result)) {
      expect(r.count).toBeGreaterThan(0);
      expect(r.duplicates).toBe(0);
      expect(r.inOrder).toBe(true);
    }
    // Values that count up on every read arrive strictly increasing: nothing twice, nothing swapped.
    const healthy = cloud.samples.get('healthy')!.map((s) => s.value!);
    expect(healthy.every((v, i) => i === 0 || v > healthy[i - 1]!)).toBe(true);
  }, 60_000);
});
