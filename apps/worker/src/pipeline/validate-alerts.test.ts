import { beforeAll, describe, expect, it } from 'vitest';
import { createConnectorCredential, type NewConnectorCredential, type Tenant } from '@anh/db';
import { readAlertFeed } from '@anh/db/alert-feed';
import { seedField, seedTenant } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { storeUpload, syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import type { VariableBinding } from '@anh/db/telemetry';
import { runValidateStage } from './validate';

/** A reading the rules reject raises an alert at validation; accepted readings close it. */
const testDb = useTestDatabase();
let tenant: Tenant;
let siteId: string;
let connector: NewConnectorCredential;
let bindings: VariableBinding[];
let thp: VariableBinding;
const START = Date.UTC(2026, 10, 20, 5);
let sequence = 0;

async function upload(firstIndex: number, broken: number[]): Promise<void> {
  const batch = syntheticBatch({
    connectorId: connector.connectorId,
    bindings,
    startMs: START,
    readingsPerVariable: 10,
    firstIndex,
    stepMs: 60_000,
    sequence: sequence++,
  });
  const thpSamples = batch.samples.filter((s) => s.binding === thp.id);
  for (const i of broken) thpSamples[i]!.value = 1e9;
  await storeUpload(testDb().db, tenant.id, batch);
}

const openAlerts = () =>
  testDb().db.withTenantClient(
    tenant.id,
    async (c) =>
      (
        await c.query<{ subject: string; site_id: string; occurrences: number; message: string }>(
          `SELECT subject, site_id, occurrences, message FROM alerts
            WHERE kind = 'validation.error' AND resolved_at IS NULL`,
        )
      ).rows,
  );

beforeAll(async () => {
  const { db } = testDb();
  tenant = await seedTenant(db);
  siteId = (await seedField(db, tenant.id, { wells: 1 })).siteId;
  connector = await createConnectorCredential(db, tenant.id, { name: 'PLC', actor: 'test' });
  bindings = await tenantBindings(db, tenant.id);
  thp = bindings.find((v) => v.code === 'tubing_head_pressure')!;
});

describe('validation alerts', () => {
  it('rejected readings raise one alert per variable, with its site, in the feed', async () => {
    await upload(0, [2, 5]);
    const outcome = await runValidateStage(testDb().db, tenant.id);
    expect(outcome.alerted).toBe(1);
    const [alert, ...none] = await openAlerts();
    expect(none).toEqual([]);
    expect(alert).toMatchObject({ subject: thp.id, site_id: siteId, occurrences: 1 });
    expect(alert!.message).toMatch(/W-001: .*rango físico.*\(y 1 lectura\(s\) más rechazadas\)/);
    const feed = await testDb().db.withTenantClient(tenant.id, (c) => readAlertFeed(c, 0));
    expect(feed.map((e) => [e.event, e.alert.kind])).toEqual([['raised', 'validation.error']]);

    // More rejected readings while it is open: an occurrence, not a new alert.
    await upload(10, [0]);
    await runValidateStage(testDb().db, tenant.id);
    expect(await openAlerts()).toMatchObject([{ subject: thp.id, occurrences: 2 }]);
  });

  it('a run whose readings of that variable were all accepted resolves it', async () => {
    await upload(20, []);
    const outcome = await runValidateStage(testDb().db, tenant.id);
    expect(outcome.alerted).toBe(0);
    expect(await openAlerts()).toEqual([]);
    const feed = await testDb().db.withTenantClient(tenant.id, (c) => readAlertFeed(c, 0));
    expect(feed.map((e) => e.event)).toEqual(['raised', 'resolved']);
  });
});
