import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { variableByCode } from '@anh/domain/catalog';
import { parseConfig } from '../config/load';
import { startConnector } from '../runtime';
import { startTestCloud } from '../../test/cloud-endpoint';
import { freePort } from '../../test/modbus-server';
import { startSimulatedField } from './field';

describe('simulated field → connector → cloud, over real Modbus TCP, OPC UA and MQTT', () => {
  it('delivers every tag of the simulated field to the cloud, in range', async () => {
    const credential = 'sim.credential-123';
    const cloud = await startTestCloud(credential);
    const field = await startSimulatedField({
      wells: 3,
      modbusPort: await freePort(),
      opcuaPort: await freePort(),
      mqttUrl: 'mqtt://127.0.0.1:1883',
      cloudUrl: cloud.url,
    });
    const dir = mkdtempSync(join(tmpdir(), 'anh-sim-'));
    try {
      const configPath = join(dir, 'connector.yaml');
      writeFileSync(configPath, field.config);
      const parsed = parseConfig(field.config);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      const config = {
        ...parsed.config,
        connector: { ...parsed.config.connector, batch: { maxSamples: 500, maxDelayMs: 200 } },
      };
      const runtime = await startConnector({
        config,
        configPath,
        connectorId: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
        credential,
        statusPort: 0,
      });
      const bindings = config.tags.map((t) => t.binding);
      const deadline = Date.now() + 30_000;
      while (bindings.some((b) => !cloud.samples.has(b)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      await runtime.stop();
      expect(bindings.filter((b) => !cloud.samples.has(b))).toEqual([]);
      for (const tag of config.tags) {
        const definition = variableByCode(tag.variable)!;
        for (const sample of cloud.samples.get(tag.binding)!) {
          expect(sample.quality.status).toBe('good');
          expect(sample.value!).toBeGreaterThanOrEqual(definition.typicalRange[0]);
          expect(sample.value!).toBeLessThanOrEqual(definition.typicalRange[1]);
        }
      }
      console.log(
        JSON.stringify({
          test: 'simulated_field_end_to_end',
          tags: bindings.length,
          samples: [...cloud.samples.values()].reduce((n, l) => n + l.length, 0),
          rejectedByCloud: cloud.rejected,
        }),
      );
      expect(cloud.rejected).toBe(0);
    } finally {
      await field.stop();
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
