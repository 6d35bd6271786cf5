import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/use-test-database';
import { loadCompletenessHeatmap, loadDailyProduction, loadDashboard } from './dashboard';
import { seedTenant } from './seed';
import { seedProductionHistory, type SeededHistory } from './seed-history';
import type { Tenant } from './tenants';

/**
 * The dashboard's numbers against the seeded slots, recomputed here by plain arithmetic
 * (the history seeder returns every slot it wrote).
 */
const testDb = useTestDatabase();
let acme: Tenant;
let rival: Tenant;
let history: SeededHistory;
// 15:37 in Bogotá: 93 slots of today are closed.
const NOW = Date.UTC(2026, 10, 27, 20, 37, 12);
const TODAY_START = Date.UTC(2026, 10, 27, 5);
const YESTERDAY_START = TODAY_START - 86_400_000;

const slotsOf = (code: string, point: string, from: number, to: number) =>
  history.variables
    .find((v) => v.code === code && v.pointCode === point)!
    .slots.filter((s) => s.start >= from && s.start < to);

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  history = await seedProductionHistory(db, acme.id, {
    wells: 4,
    days: 2,
    nowMs: NOW,
    seed: 7,
    missingShare: 0.05,
  });
  await seedProductionHistory(db, rival.id, { wells: 1, days: 1, nowMs: NOW, seed: 8 });
});

describe('dashboard reads', () => {
  it('well rates: the mean of the covered slots, today so far and yesterday', async () => {
    const data = await testDb().db.withTenantClient(acme.id, (c) =>
      loadDashboard(c, { siteId: null, nowMs: NOW }),
    );
    expect(data.day).toBe('2026-11-27');
    expect(data.elapsedSlots).toBe(93);
    expect(data.wells.map((w) => w.code)).toEqual(['W-001', 'W-002', 'W-003', 'W-004']);
    for (const well of data.wells) {
      for (const [product, code] of [
        ['oil', 'well_test_oil_rate'],
        ['water', 'well_test_water_rate'],
        ['gas', 'well_test_gas_rate'],
      ] as const) {
        const today = slotsOf(code, well.code, TODAY_START, TODAY_START + 93 * 600_000);
        const yesterday = slotsOf(code, well.code, YESTERDAY_START, TODAY_START);
        const mean = (xs: typeof today) => xs.reduce((s, x) => s + x.mean!, 0) / xs.length;
        expect(well.today[product]).toBeCloseTo(mean(today), 6);
        expect(well.yesterday[product]).toBeCloseTo(mean(yesterday), 6);
      }
      expect(well.open).toBe(1);
    }
  });

  it('field oil from the fiscal totalizer: Σ deltas, per day over the time they cover', async () => {
    const data = await testDb().db.withTenantClient(acme.id, (c) =>
      loadDashboard(c, { siteId: null, nowMs: NOW }),
    );
    const oil = data.production.find((p) => p.product === 'oil')!;
    expect(oil.source?.code).toBe('fiscal_nsv_totalizer');
    expect(oil.points).toEqual(['LACT-01']);
    const today = slotsOf(
      'fiscal_nsv_totalizer',
      'LACT-01',
      TODAY_START,
      TODAY_START + 93 * 600_000,
    );
    const volume = today.reduce((s, x) => s + x.delta!, 0);
    const covered = (today[today.length - 1]!.start - TODAY_START) / 600_000 + 1;
    expect(oil.today.volume).toBeCloseTo(volume, 6);
    expect(oil.today.rate).toBeCloseTo((volume * 144) / covered, 6);
    const yesterday = slotsOf('fiscal_nsv_totalizer', 'LACT-01', YESTERDAY_START, TODAY_START);
    expect(oil.yesterday.volume).toBeCloseTo(
      yesterday.reduce((s, x) => s + x.delta!, 0),
      6,
    );
    // The LACT runs at 98 % of the wells' oil: the field rate is close to Σ well rates.
    const wellsOil = data.wells.reduce((s, w) => s + (w.yesterday.oil ?? 0), 0);
    expect(oil.yesterday.rate! / wellsOil).toBeGreaterThan(0.95);
    expect(oil.yesterday.rate! / wellsOil).toBeLessThan(1.01);
    expect(data.production.find((p) => p.product === 'gas')!.source?.code).toBe(
      'separator_gas_totalizer',
    );
  });

  it('quality: completeness and flags over every variable of the closed slots', async () => {
    const data = await testDb().db.withTenantClient(acme.id, (c) =>
      loadDashboard(c, { siteId: null, nowMs: NOW }),
    );
    const today = history.variables.flatMap((v) =>
      v.slots.filter((s) => s.start >= TODAY_START && s.start < TODAY_START + 93 * 600_000),
    );
    const expected = history.variables.length * 93;
    expect(data.quality.expectedSlots).toBe(expected);
    expect(data.quality.completeness).toBeCloseTo(
      today.reduce((s, x) => s + x.completeness, 0) / expected,
      9,
    );
    expect(data.quality.slotsByFlag.S).toBe(today.filter((s) => s.flag === 'S').length);
    expect(data.quality.slotsByFlag.M).toBe(expected - today.length);
    expect(data.trend.series.oil.filter((x) => x !== null).length).toBeGreaterThan(100);
  });

  it('heatmap: per variable code and slot, the mean completeness over its points', async () => {
    const map = await testDb().db.withTenantClient(acme.id, (c) =>
      loadCompletenessHeatmap(c, { siteId: null, nowMs: NOW, day: '2026-11-26' }),
    );
    expect(map.elapsedSlots).toBe(144);
    const thp = map.rows.find((r) => r.code === 'tubing_head_pressure')!;
    expect(thp.points).toBe(4);
    for (const k of [0, 50, 143]) {
      const start = YESTERDAY_START + k * 600_000;
      const expected =
        history.variables
          .filter((v) => v.code === 'tubing_head_pressure')
          .map((v) => v.slots.find((s) => s.start === start)?.completeness ?? 0)
          .reduce((a, b) => a + b, 0) / 4;
      expect(thp.slots[k]).toBeCloseTo(expected, 9);
    }
  });

  it('daily production for the forecast: whole days, oldest first', async () => {
    const daily = await testDb().db.withTenantClient(acme.id, (c) =>
      loadDailyProduction(c, { siteId: null, nowMs: NOW, days: 3 }),
    );
    expect(daily.oil.map((d) => d.day)).toEqual(['2026-11-24', '2026-11-25', '2026-11-26']);
    expect(daily.oil[0]!.value).toBeNull(); // before the history began
    const day = slotsOf('fiscal_nsv_totalizer', 'LACT-01', YESTERDAY_START, TODAY_START);
    expect(daily.oil[2]!.value).toBeCloseTo(
      day.reduce((s, x) => s + x.delta!, 0),
      6,
    );
  });

  it('one site only; another tenant sees none of it', async () => {
    const rivalView = await testDb().db.withTenantClient(rival.id, (c) =>
      loadDashboard(c, { siteId: null, nowMs: NOW }),
    );
    expect(rivalView.wells.map((w) => w.code)).toEqual(['W-001']);
    expect(rivalView.quality.variables).toBe(6 + 6);
    await expect(
      testDb().db.withTenantClient(rival.id, (c) =>
        loadDashboard(c, { siteId: history.siteId, nowMs: NOW }),
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reads the corrections in force, as the report does', async () => {
    const { db } = testDb();
    const before = await db.withTenantClient(acme.id, (c) =>
      loadDashboard(c, { siteId: null, nowMs: NOW }),
    );
    const end = TODAY_START + 93 * 600_000;
    const oil = history.variables.find(
      (v) => v.code === 'well_test_oil_rate' && v.pointCode === 'W-001',
    )!;
    const stored = oil.slots.filter((s) => s.start >= TODAY_START && s.start < end);
    // A slot of today with no data gets a substituted rate; the LACT's first delta an estimate.
    let missing = TODAY_START;
    while (stored.some((s) => s.start === missing)) missing += 600_000;
    const lact = history.variables.find((v) => v.code === 'fiscal_nsv_totalizer')!;
    const lactToday = lact.slots.filter((s) => s.start >= TODAY_START && s.start < end);
    await db.withTenantClient(acme.id, async (c) => {
      const insert = `INSERT INTO slot_corrections (variable_id, slot_start, method, value, reason, user_id)
                      VALUES ($1, $2, $3, $4, 'tiquete de medición de prueba', gen_random_uuid())`;
      await c.query(insert, [oil.id, new Date(missing).toISOString(), 'substitute', 5000]);
      await c.query(insert, [
        lact.id,
        new Date(lactToday[0]!.start).toISOString(),
        'interpolate',
        1,
      ]);
    });
    const after = await db.withTenantClient(acme.id, (c) =>
      loadDashboard(c, { siteId: null, nowMs: NOW }),
    );
    const w1 = after.wells.find((w) => w.code === 'W-001')!;
    expect(w1.today.oil).toBeCloseTo(
      (stored.reduce((s, x) => s + x.mean!, 0) + 5000) / (stored.length + 1),
      6,
    );
    const field = after.production.find((p) => p.product === 'oil')!;
    expect(field.today.volume).toBeCloseTo(
      lactToday.reduce((s, x) => s + x.delta!, 0) - lactToday[0]!.delta! + 1,
      6,
    );
    expect(after.quality.slotsByFlag.S).toBe(before.quality.slotsByFlag.S + 1);
    expect(after.quality.slotsByFlag.M).toBe(before.quality.slotsByFlag.M - 1);
    expect(after.quality.slotsByFlag.E).toBe(before.quality.slotsByFlag.E + 1);
  });
});
