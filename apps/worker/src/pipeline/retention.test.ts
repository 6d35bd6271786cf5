import { beforeAll, describe, expect, it } from 'vitest';
import { createConnectorCredential, type Tenant } from '@anh/db';
import { seedField, seedTenant } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { storeUpload, syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import { createLogger } from '../log';
import { processJob } from '../workers';

/** Retention drops whole months older than the limit and touches nothing newer. */
const testDb = useTestDatabase();
const log = createLogger('error', {}, () => undefined);
let tenant: Tenant;
const NOW = Date.UTC(2031, 5, 15, 12); // 15 June 2031
const months = (y: number, m: number) => Date.UTC(y, m - 1, 10, 12);

async function query<T>(sql: string): Promise<T[]> {
  return testDb().db.withTenantClient(tenant.id, async (c) => (await c.query(sql)).rows as T[]);
}

beforeAll(async () => {
  const { db } = testDb();
  tenant = await seedTenant(db);
  await seedField(db, tenant.id, { wells: 1 });
  const connector = await createConnectorCredential(db, tenant.id, { name: 'PLC', actor: 'test' });
  const bindings = (await tenantBindings(db, tenant.id)).slice(0, 3);
  // Readings in May 2026 (older than 5 years on NOW), June 2026 (the cutoff month), July 2026, May 2031.
  for (const startMs of [
    months(2026, 5),
    months(2026, 6),
    Date.UTC(2026, 5, 20),
    months(2026, 7),
    months(2031, 5),
  ]) {
    await storeUpload(
      db,
      tenant.id,
      syntheticBatch({
        connectorId: connector.connectorId,
        bindings,
        startMs,
        readingsPerVariable: 5,
        stepMs: 60_000,
      }),
    );
  }
});

describe('retention', () => {
  it('drops partitions whose month ended before the cutoff, and only those', async () => {
    const before = await query<{ month: string; n: string }>(
      `SELECT to_char(ts, 'YYYY-MM') AS month, count(*) AS n FROM samples GROUP BY 1 ORDER BY 1`,
    );
    expect(before.map((r) => r.month)).toEqual(['2026-05', '2026-06', '2026-07', '2031-05']);
    const result = (await processJob(
      {
        db: testDb().db,
        log,
        now: () => NOW,
        settings: { aggregateGraceMs: 0, retentionMonths: 60, partitionMonthsAhead: 2 },
      },
      { id: '1', name: 'storage.partitions', data: { tenantId: tenant.id } },
    )) as { tenants: Array<{ dropped: string[]; created: number }> };
    // The cutoff is 15 June 2026 12:00: May 2026 has wholly left the retention, June has not.
    expect(result.tenants[0]!.dropped).toEqual([
      'samples_2026_05',
      'slots_2026_05',
      'validation_events_2026_05',
    ]);
    expect(result.tenants[0]!.created).toBe(3 * 3); // June, July, August 2031 ahead
    const after = await query<{ month: string; n: string }>(
      `SELECT to_char(ts, 'YYYY-MM') AS month, count(*) AS n FROM samples GROUP BY 1 ORDER BY 1`,
    );
    expect(after).toEqual(before.slice(1));
    const registry = await query<{ name: string }>(
      `SELECT name FROM time_partitions WHERE parent = 'samples' ORDER BY name`,
    );
    expect(registry.map((r) => r.name)).toEqual([
      'samples_2026_06',
      'samples_2026_07',
      'samples_2031_05',
      'samples_2031_06',
      'samples_2031_07',
      'samples_2031_08',
    ]);
  });
});
