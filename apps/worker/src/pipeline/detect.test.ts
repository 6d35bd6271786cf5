import { beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { seedField, seedTenant } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { ensurePartitionsFor } from '@anh/db/telemetry';
import { variableByCode } from '@anh/domain/catalog';
import { createRandom } from '@anh/domain/random';
import { runDetectStage } from './detect';

/**
 * The detect stage on the real PostgreSQL: a well's first model after its baseline, quiet
 * on normal slots, an excursion raised with its evidence and model version, escalated
 * after half an hour and resolved after an hour; a gauge flagged bad is left to data
 * quality; operators' false-alarm verdicts raise the threshold; retraining versions.
 */
const testDb = useTestDatabase();
const SLOT = 600_000;
const START = Date.UTC(2026, 10, 1, 5, 0); // 00:00 Bogotá, 1 Nov 2026
let tenant: Tenant;
let well: { id: string; code: string };
let control: { id: string; code: string };
let variables: Array<{
  id: string;
  point: string;
  code: string;
  typical: readonly [number, number];
}>;
const random = createRandom(42);
/**
 * Normal operation here is Gaussian noise clipped at ±2.5σ: the quiet-period assertions
 * must not hinge on whether a 1-in-2,000 draw lands in them (a real detector rightly flags
 * that draw). The excursions below are many σ beyond.
 */
const noise = () => Math.max(-2.5, Math.min(2.5, random.normal()));

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return testDb().db.withTenantClient(
    tenant.id,
    async (client) => (await client.query(sql, params)).rows as T[],
  );
}

/** Slots of both wells from slot index `from` (inclusive) to `to` (exclusive). */
async function writeSlots(
  from: number,
  to: number,
  shape: (
    code: string,
    index: number,
    normal: number,
    point: string,
  ) => { mean: number; flag?: string },
) {
  const rows: { v: string[]; s: string[]; m: number[]; f: string[] } = {
    v: [],
    s: [],
    m: [],
    f: [],
  };
  for (let i = from; i < to; i++) {
    const daily = Math.sin((2 * Math.PI * i) / 144);
    const common = noise();
    for (const variable of variables) {
      const [lo, hi] = variable.typical;
      const mid = (lo + hi) / 2;
      const spread = (hi - lo) / 20;
      const normal = mid + spread * (daily + 0.5 * common + 0.3 * noise());
      const { mean, flag } = shape(variable.code, i, normal, variable.point);
      rows.v.push(variable.id);
      rows.s.push(new Date(START + i * SLOT).toISOString());
      rows.m.push(mean);
      rows.f.push(flag ?? 'G');
    }
  }
  await query(
    `INSERT INTO slots (variable_id, slot_start, count, mean, min, max, first, last, completeness, flag, manual_count, from_connector_aggregate, revision, computed_at)
     SELECT v, s, 10, m, m, m, m, m, 1, f, 0, false, 1, now()
       FROM unnest($1::uuid[], $2::timestamptz[], $3::float8[], $4::text[]) AS u(v, s, m, f)`,
    [rows.v, rows.s, rows.m, rows.f],
  );
}

const detect = (slotIndex: number, options: { retrain?: boolean } = {}) =>
  // "Now" is 1 minute after slot `slotIndex` closed: it and all before it are scored.
  runDetectStage(testDb().db, tenant.id, {
    nowMs: START + (slotIndex + 2) * SLOT + 60_000,
    ...options,
  });

const normal = (_: string, __: number, value: number) => ({ mean: value });

beforeAll(async () => {
  const { db } = testDb();
  tenant = await seedTenant(db);
  await seedField(db, tenant.id, { wells: 2 });
  await ensurePartitionsFor(db, tenant.id, { first: START, last: START + 10 * 86_400_000 });
  // W-001 is the well under test; W-002, treated the same, is the control.
  [well, control] = (await query<{ id: string; code: string }>(
    `SELECT id, code FROM measurement_points WHERE kind = 'well' ORDER BY code`,
  )) as [{ id: string; code: string }, { id: string; code: string }];
  variables = (
    await query<{ id: string; point: string; code: string }>(
      `SELECT v.id, p.code AS point, v.code FROM variables v JOIN measurement_points p ON p.id = v.point_id
        WHERE p.kind = 'well' ORDER BY p.code, v.code`,
    )
  )
    .map((v) => ({ ...v, definition: variableByCode(v.code)! }))
    .filter((v) => v.definition.kind === 'analog')
    .map((v) => ({ id: v.id, point: v.point, code: v.code, typical: v.definition.typicalRange }));
}, 60_000);

describe('detect stage', () => {
  it('trains a first model after the baseline and stays quiet on normal slots', async () => {
    expect(variables.filter((v) => v.point === 'W-001').length).toBeGreaterThanOrEqual(3);
    await writeSlots(0, 3 * 144, normal);
    const first = await detect(3 * 144 - 1);
    expect(first).toMatchObject({ trained: 2, anomalies: 0 });
    const models = await query<{ kind: string; version: number; rows: number }>(
      `SELECT kind, version, rows FROM anomaly_models WHERE point_id = $1 ORDER BY kind`,
      [well.id],
    );
    expect(models).toEqual([
      { kind: 'iforest', version: 1, rows: 3 * 144 - 5 },
      { kind: 'spc', version: 1, rows: 3 * 144 - 5 },
    ]);
    await writeSlots(3 * 144, 3 * 144 + 36, normal);
    const quiet = await detect(3 * 144 + 35);
    expect(quiet.trained).toBe(0);
    expect(quiet.scoredSlots).toBe(72);
    expect(await query(`SELECT kind, subject FROM alerts`)).toEqual([]);
  });

  it('raises an excursion with its evidence and version; a flagged gauge is data quality', async () => {
    const base = 3 * 144 + 36;
    const [thp, chp] = ['tubing_head_pressure', 'casing_head_pressure'];
    await writeSlots(base, base + 4, (code, _, value, point) =>
      point !== 'W-001'
        ? { mean: value }
        : code === thp
          ? { mean: value * 1.6 }
          : code === chp
            ? { mean: 0, flag: 'B' } // stuck gauge, flagged by validation
            : { mean: value },
    );
    const found = await detect(base + 3);
    expect(found.anomalies).toBeGreaterThan(0);
    const anomalies = await query<{
      detector: string;
      model_version: number;
      evidence: {
        drivers: Array<{ variable: string; z: number }>;
        excludedForDataQuality: string[];
        message: { es: string };
      };
      alert_id: string | null;
    }>(
      `SELECT detector, model_version, evidence, alert_id FROM anomalies WHERE point_id = $1 ORDER BY slot_start`,
      [well.id],
    );
    // The point model: its forest, or its baseline envelope (one gross excursion).
    const forest = anomalies.filter((a) => a.detector === 'iforest' || a.detector === 'envelope');
    expect(forest.length).toBeGreaterThanOrEqual(2);
    for (const a of forest) {
      expect(a.model_version).toBe(1);
      expect(a.evidence.drivers[0]!.variable).toBe(thp);
      expect(a.evidence.drivers[0]!.z).toBeGreaterThan(3);
      expect(a.evidence.message.es).toMatch(
        /^W-001: (comportamiento conjunto inusual|fuera de todo lo visto)/,
      );
      expect(a.alert_id).not.toBeNull();
    }
    // The stuck casing gauge is never the anomaly: its slots were flagged bad.
    expect(anomalies.some((a) => a.detector.includes(chp))).toBe(false);
    expect(forest.every((a) => !a.evidence.drivers.some((d) => d.variable === chp))).toBe(true);
    expect(anomalies.some((a) => a.detector === `spc:nelson-1:${thp}`)).toBe(true);

    const [alert] = await query<{
      severity: string;
      occurrences: number;
      escalated_at: Date | null;
      message: string;
    }>(
      `SELECT severity, occurrences, escalated_at, message FROM alerts
        WHERE kind = 'anomaly.point' AND subject = 'W-001' AND resolved_at IS NULL`,
    );
    // Four anomalous slots: raised, then escalated to critical at the third.
    expect(alert).toMatchObject({ severity: 'critical' });
    expect(alert!.occurrences).toBeGreaterThanOrEqual(3);
    expect(alert!.escalated_at).not.toBeNull();
    expect(alert!.message).toMatch(/^W-001: .+ \/ W-001: .+/);

    // Running again finds nothing new.
    expect(await detect(base + 3)).toMatchObject({ scoredSlots: 0, anomalies: 0 });
  });

  it('resolves the alert after an hour of normal slots', async () => {
    const base = 3 * 144 + 40;
    await writeSlots(base, base + 12, normal);
    const outcome = await detect(base + 11);
    expect(outcome.resolved).toBeGreaterThanOrEqual(1);
    expect(
      await query(
        `SELECT 1 FROM alerts WHERE kind = 'anomaly.point' AND subject = 'W-001' AND resolved_at IS NULL`,
      ),
    ).toEqual([]);
  });

  it('false-alarm verdicts raise the point threshold; retraining makes a new version', async () => {
    await query(
      `INSERT INTO anomaly_feedback (anomaly_id, verdict, user_id)
       SELECT id, 'false_alarm', gen_random_uuid() FROM anomalies
        WHERE point_id = $1 AND detector IN ('iforest', 'envelope')`,
      [well.id],
    );
    const [{ max }] = (await query<{ max: number }>(
      `SELECT max(score) AS max FROM anomalies WHERE point_id = $1 AND detector = 'envelope'`,
      [well.id],
    )) as [{ max: number }];
    expect(max).toBeGreaterThan(1);
    const base = 3 * 144 + 52;
    // A milder excursion than the one W-001's operators called a false alarm, on both wells.
    await writeSlots(base, base + 3, (code, _, value) =>
      code === 'tubing_head_pressure' ? { mean: value * 1.3 } : { mean: value },
    );
    await detect(base + 2);
    const later = (pointId: string) =>
      query<{ score: number; threshold: number }>(
        `SELECT score, threshold FROM anomalies
          WHERE point_id = $1 AND detector = 'envelope' AND slot_start >= $2`,
        [pointId, new Date(START + base * SLOT).toISOString()],
      );
    // The control well, without verdicts, alerts on it; W-001 stays quiet below its tuned
    // threshold (anything it still raises is above every false alarm).
    expect((await later(control.id)).length).toBeGreaterThan(0);
    for (const a of await later(well.id)) {
      expect(a.threshold).toBeGreaterThan(max);
      expect(a.score).toBeGreaterThan(max);
    }
    expect((await later(well.id)).length).toBeLessThan((await later(control.id)).length);

    const retrained = await detect(base + 2, { retrain: true });
    expect(retrained.trained).toBe(2);
    const active = await query<{ kind: string; version: number }>(
      `SELECT kind, version FROM anomaly_models WHERE point_id = $1 AND active ORDER BY kind`,
      [well.id],
    );
    expect(active).toEqual([
      { kind: 'iforest', version: 2 },
      { kind: 'spc', version: 2 },
    ]);
  });
});
