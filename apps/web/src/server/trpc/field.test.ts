import { beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { tenantBindings } from '@anh/db/test-fixtures';
import type { VariableBinding } from '@anh/db/telemetry';
import { storeManualReadings } from '../ingest/manual';
import { createCaller } from './root';

/** The field operators' overview: each point's last values, open/shut, open alerts. */
const testDb = useTestDatabase();
let acme: Tenant;
let rival: Tenant;
let operator: User;
let rivalAdmin: User;
let acmeVars: VariableBinding[];
let rivalVars: VariableBinding[];
const MINUTE = 60_000;
const at = (minutesAgo: number) => Math.floor(Date.now() / MINUTE) * MINUTE - minutesAgo * MINUTE;

const callerFor = (user: User) => createCaller({ db: testDb().db, userId: user.id });

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  await seedField(db, acme.id, { wells: 2 });
  await seedField(db, rival.id, { wells: 1 });
  operator = await seedUser(db);
  rivalAdmin = await seedUser(db);
  await seedMembership(db, acme.id, operator.id, 'operator');
  await seedMembership(db, rival.id, rivalAdmin.id, 'admin');
  acmeVars = await tenantBindings(db, acme.id);
  rivalVars = await tenantBindings(db, rival.id);
  const of = (vars: VariableBinding[], point: string, code: string) =>
    vars.find((v) => v.pointCode === point && v.code === code)!.id;
  const store = (tenantId: string, readings: Array<[string, number, number]>) =>
    storeManualReadings(
      db,
      tenantId,
      operator.id,
      {
        kind: 'other',
        readings: readings.map(([variableId, minutes, value]) => ({
          variableId,
          ts: new Date(at(minutes)).toISOString(),
          value,
        })),
      },
      { nowMs: Date.now(), retentionMonths: 60 },
    );
  await store(acme.id, [
    [of(acmeVars, 'W-001', 'tubing_head_pressure'), 30, 400],
    [of(acmeVars, 'W-001', 'tubing_head_pressure'), 10, 410],
    [of(acmeVars, 'TK-01', 'tank_level'), 120, 18.25],
  ]);
  await store(rival.id, [[of(rivalVars, 'W-001', 'tubing_head_pressure'), 5, 999]]);
  // A well status variable for W-002 (the demo field has none), last read as shut.
  await db.withTenantClient(acme.id, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO variables (point_id, code, unit)
       SELECT id, 'well_status', '' FROM measurement_points WHERE code = 'W-002' RETURNING id`,
    );
    acmeVars.push({ ...acmeVars[0]!, id: rows[0]!.id, code: 'well_status', pointCode: 'W-002' });
    await client.query(
      `INSERT INTO alerts (kind, severity, audience, subject, message, data, raised_at)
       VALUES ('anomaly.point', 'critical', ARRAY['operator'], 'W-001', 'a / a', '{"point": "W-001"}', now()),
              ('anomaly.spc', 'warning', ARRAY['operator'], 'W-001/x', 'b / b', '{"point": "W-001"}', now()),
              ('anomaly.point', 'warning', ARRAY['operator'], 'TK-01', 'c / c', '{"point": "TK-01"}', now())`,
    );
    await client.query(`UPDATE alerts SET resolved_at = now() WHERE subject = 'TK-01'`);
  });
  await store(acme.id, [[acmeVars.at(-1)!.id, 15, 0]]);
});

describe('field.overview with last values', () => {
  it("gives each point its variables' last values, open/shut and open alerts", async () => {
    const before = Date.now();
    const overview = await callerFor(operator).field.overview({
      tenantSlug: acme.slug,
      last: true,
    });
    expect(overview.asOf).toBeGreaterThanOrEqual(before);
    const points = overview.sites.flatMap((s) => s.points);
    const point = (code: string) => points.find((p) => p.code === code)!;
    const w1 = point('W-001').state!;
    const thp = w1.variables.find((v) => v.code === 'tubing_head_pressure')!;
    // The newest raw reading, in the unit it was sent in.
    expect(thp).toMatchObject({
      unit: 'psig',
      name: { es: 'Presión en cabeza de tubería (THP)' },
      last: { value: 410, at: at(10), unit: 'psig', source: 'sample' },
    });
    expect(w1.variables.find((v) => v.code === 'casing_head_pressure')!.last).toBeNull();
    expect(w1).toMatchObject({
      lastDataAt: at(10),
      open: null,
      openAlerts: 2,
      worstSeverity: 'critical',
    });
    // Resolved alerts do not count; a shut-in well says so.
    expect(point('TK-01').state).toMatchObject({
      lastDataAt: at(120),
      openAlerts: 0,
      worstSeverity: null,
    });
    expect(point('W-002').state).toMatchObject({ open: 0, lastDataAt: at(15) });
    expect(point('SEP-01').state).toMatchObject({ lastDataAt: null, openAlerts: 0 });
  });

  it('without `last`, the overview stays as it was: no states, no extra reads', async () => {
    const overview = await callerFor(operator).field.overview({ tenantSlug: acme.slug });
    expect(overview.sites.flatMap((s) => s.points).every((p) => !('state' in p))).toBe(true);
  });

  it('a company sees only its own readings', async () => {
    const mine = await callerFor(rivalAdmin).field.overview({ tenantSlug: rival.slug, last: true });
    const values = mine.sites
      .flatMap((s) => s.points)
      .flatMap((p) => p.state!.variables)
      .flatMap((v) => (v.last ? [v.last.value] : []));
    expect(values).toEqual([999]);
    const error = await callerFor(rivalAdmin)
      .field.overview({ tenantSlug: acme.slug, last: true })
      .then(() => null)
      .catch((e: { code?: string }) => e.code);
    expect(error).toBe('NOT_FOUND');
  });
});
