import { beforeAll, describe, expect, it } from 'vitest';
import { createConnectorCredential, type NewConnectorCredential, type Tenant } from '@anh/db';
import { seedField, seedTenant } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { storeUpload, syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import type { VariableBinding } from '@anh/db/telemetry';
import { bogotaDayStart } from '@anh/domain/bogota-day';
import { createLogger } from '../log';
import { processJob } from '../workers';

/**
 * The stages on the real PostgreSQL, called the way a worker calls them: what they store,
 * that running them again changes nothing, and how late data re-aggregates its slot and
 * flags the day's report for an amendment.
 */
const testDb = useTestDatabase();
const log = createLogger('error', {}, () => undefined);
let tenant: Tenant;
let connector: NewConnectorCredential;
let bindings: VariableBinding[];
const DAY = '2026-11-20';
const dayStart = (bogotaDayStart(DAY) as { ok: true; ms: number }).ms;
const BROKEN_TS = new Date(dayStart + 5 * 60_000).toISOString();
const run = (name: string, data: Record<string, unknown>, now = Date.now()) =>
  processJob({ db: testDb().db, log, now: () => now }, { id: '1', name, data });

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return testDb().db.withTenantClient(
    tenant.id,
    async (client) => (await client.query(sql, params)).rows as T[],
  );
}

beforeAll(async () => {
  const { db } = testDb();
  tenant = await seedTenant(db);
  await seedField(db, tenant.id, { wells: 2 });
  connector = await createConnectorCredential(db, tenant.id, { name: 'PLC', actor: 'test' });
  bindings = await tenantBindings(db, tenant.id);
  // One reading a minute for 60 minutes (6 full slots), in three batches.
  // One tubing head pressure reading is beyond the physical range (a broken transmitter).
  for (let b = 0; b < 3; b++) {
    const batch = syntheticBatch({
      connectorId: connector.connectorId,
      bindings,
      startMs: dayStart,
      readingsPerVariable: 20,
      firstIndex: b * 20,
      stepMs: 60_000,
      sequence: b,
    });
    if (b === 0) {
      const thp = bindings.find((v) => v.code === 'tubing_head_pressure')!;
      const broken = batch.samples.find((s) => s.binding === thp.id && s.ts === BROKEN_TS)!;
      broken.value = 1e9;
    }
    await storeUpload(db, tenant.id, batch);
  }
});

describe('pipeline stages', () => {
  it('validate runs every batch once, storing flags only where not good', async () => {
    const outcome = (await run('pipeline.validate', { tenantId: tenant.id })) as {
      batches: number;
      samples: number;
      dirtySlots: number;
    };
    expect(outcome.batches).toBe(3);
    expect(outcome.samples).toBe(60 * bindings.length);
    expect(outcome.dirtySlots).toBe(6 * bindings.length);
    const [pending] = await query<{ n: string }>(
      `SELECT count(*) AS n FROM ingest_batches WHERE status <> 'validated'`,
    );
    expect(Number(pending!.n)).toBe(0);
    // Only the broken reading carries a flag (B); the good ones are good by default.
    const flagged = await query<{ ts: Date; flag: number; code: string }>(
      `SELECT s.ts, s.flag, v.code FROM samples s JOIN variables v ON v.id = s.variable_id WHERE s.flag IS NOT NULL`,
    );
    expect(flagged).toEqual([{ ts: new Date(BROKEN_TS), flag: 3, code: 'tubing_head_pressure' }]);
    const events = await query<{ rule_id: string; value: number }>(
      `SELECT rule_id, value FROM validation_events WHERE ts = $1 AND severity = 'error'`,
      [BROKEN_TS],
    );
    expect(events).toContainEqual({ rule_id: 'range.tubing_head_pressure', value: 1e9 });
    const again = (await run('pipeline.validate', { tenantId: tenant.id })) as { batches: number };
    expect(again.batches).toBe(0);
    const [state] = await query<{ n: string }>('SELECT count(*) AS n FROM channel_state');
    expect(Number(state!.n)).toBe(bindings.length);
  });

  it('aggregate computes each closed slot from all its samples; a second run changes nothing', async () => {
    const now = dayStart + 2 * 86_400_000;
    const first = (await run('pipeline.aggregate', { tenantId: tenant.id }, now)) as {
      slots: number;
      changed: number;
      days: string[];
    };
    expect(first.slots).toBe(6 * bindings.length);
    expect(first.changed).toBe(6 * bindings.length);
    expect(first.days).toEqual([DAY]);
    const slots = await query<{
      count: number;
      revision: number;
      flag: string;
      start: Date;
      code: string;
    }>(
      `SELECT s.count, s.revision, s.flag, s.slot_start AS start, v.code FROM slots s JOIN variables v ON v.id = s.variable_id`,
    );
    expect(slots.every((s) => s.revision === 1)).toBe(true);
    // The bad reading is left out of its slot's statistics, and the slot says so.
    const broken = slots.filter((s) => s.count !== 10);
    expect(broken).toEqual([
      { count: 9, revision: 1, flag: 'B', start: new Date(dayStart), code: 'tubing_head_pressure' },
    ]);
    // The fiscal totalizer rises 0.5 bbl a minute: 59 steps of 0.5 over the hour.
    const totalizer = bindings.find((b) => b.code === 'fiscal_gross_totalizer')!;
    const deltas = await query<{ delta: number }>(
      'SELECT delta FROM slots WHERE variable_id = $1 ORDER BY slot_start',
      [totalizer.id],
    );
    expect(deltas.map((d) => d.delta)).toEqual([4.5, 5, 5, 5, 5, 5]);
    // Marked again (as a crash and retry would): same numbers, no new revision.
    await query(
      'INSERT INTO dirty_slots (variable_id, slot_start) SELECT variable_id, slot_start FROM slots',
    );
    const second = (await run('pipeline.aggregate', { tenantId: tenant.id }, now)) as {
      changed: number;
    };
    expect(second.changed).toBe(0);
    const [max] = await query<{ r: number }>('SELECT max(revision) AS r FROM slots');
    expect(max!.r).toBe(1);
  });

  it('late data re-aggregates only its slot and marks the reported day for amendment', async () => {
    await query(`INSERT INTO report_days (day, generated_at) VALUES ($1, now())`, [DAY]);
    const totalizer = bindings.find((b) => b.code === 'fiscal_gross_totalizer')!;
    const thp = bindings.find((b) => b.code === 'tubing_head_pressure')!;
    // A reading 30 s into slot 2 that the connector had kept while its link was down.
    const late = syntheticBatch({
      connectorId: connector.connectorId,
      bindings: [thp, totalizer],
      startMs: dayStart + 30_000,
      readingsPerVariable: 1,
      firstIndex: 20,
      stepMs: 60_000,
      sequence: 9,
    });
    await storeUpload(testDb().db, tenant.id, late);
    await run('pipeline.validate', { tenantId: tenant.id });
    const now = dayStart + 3 * 86_400_000;
    const outcome = (await run('pipeline.aggregate', { tenantId: tenant.id }, now)) as {
      changed: number;
      amendments: string[];
    };
    expect(outcome.changed).toBe(2);
    expect(outcome.amendments).toEqual([DAY]);
    const changed = await query<{ variable_id: string; count: number; revision: number }>(
      'SELECT variable_id, count, revision FROM slots WHERE revision > 1',
    );
    expect(changed.map((c) => c.count)).toEqual([11, 11]);
    const [day] = await query<{ needs_amendment: boolean; late_slots: number }>(
      'SELECT needs_amendment, late_slots FROM report_days WHERE day = $1',
      [DAY],
    );
    expect(day).toEqual({ needs_amendment: true, late_slots: 2 });
  });

  it('analyse evaluates the day rules of the day and replaces them on a re-run', async () => {
    const outcome = (await run('pipeline.analyse', { tenantId: tenant.id, day: DAY })) as {
      rules: number;
      violations: number;
    };
    expect(outcome.rules).toBeGreaterThan(bindings.length);
    // Only 6 of 144 slots have data: completeness is violated for every variable.
    const missing = await query<{ status: string }>(
      `SELECT status FROM day_rule_results WHERE day = $1 AND rule_id = 'completeness.slot_missing'`,
      [DAY],
    );
    expect(missing.length).toBe(bindings.length);
    expect(missing.every((m) => m.status === 'violation')).toBe(true);
    await run('pipeline.analyse', { tenantId: tenant.id, day: DAY });
    const [n] = await query<{ n: string }>(
      'SELECT count(*) AS n FROM day_rule_results WHERE day = $1',
      [DAY],
    );
    expect(Number(n!.n)).toBe(outcome.rules);
  });
});
