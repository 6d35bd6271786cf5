import { describe, expect, it } from 'vitest';
import { GAS_BASE_COLOMBIA } from '../measurement/gas-base';
import type { FieldDay } from '../validation/day-rules';
import {
  aggregateSimulatedField,
  DEMO_FIELD,
  DEMO_OPERATOR,
  simulateField,
} from '../simulation/field';
import { buildDailyReport, type DailyReport, type ReportCheck } from './build';
import { diffReports, type ReportDiff } from './diff';

const DAY = '2026-11-27';
const baseDay = aggregateSimulatedField(DAY, simulateField({ day: DAY, wells: 2, seed: 7 }));

function build(fieldDay: FieldDay, generatedAt = '2026-11-28T06:00:00-05:00'): DailyReport {
  const result = buildDailyReport({
    operator: DEMO_OPERATOR,
    field: DEMO_FIELD,
    fieldDay,
    gasBase: GAS_BASE_COLOMBIA,
    events: [],
    previousReportSha256: null,
    generatedAt,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.report;
}

const v1 = build(baseDay);
const copy = <T>(value: T): T => structuredClone(value);

function diff(before: DailyReport, after: DailyReport): ReportDiff {
  const result = diffReports(before, after);
  if (!result.ok) throw new Error(result.reason);
  return result.diff;
}

/** The field day with `extra` barrels added to one slot of a totalizer (and its day total). */
function withExtra(point: string, variable: string, slot: number, extra: number): FieldDay {
  const day = copy(baseDay);
  const aggregation = day.points
    .find((p) => p.code === point)!
    .variables.find((v) => v.code === variable)!.aggregation;
  const s = aggregation.slots[slot]!;
  s.delta = (s.delta ?? 0) + extra;
  s.last = (s.last ?? 0) + extra;
  s.max = (s.max ?? 0) + extra;
  aggregation.total = (aggregation.total ?? 0) + extra;
  return day;
}

describe('diff of two versions of a daily report', () => {
  it('finds nothing between two builds of the same data (only time and chain differ)', () => {
    const again = build(baseDay, '2026-11-28T09:30:00-05:00');
    const d = diff(v1, again);
    expect(d.identical).toBe(true);
    expect(d).toMatchObject({
      totals: [],
      daily: [],
      slots: { changedSlots: 0, changedValues: 0, byVariable: [] },
      checks: { added: [], removed: [], changed: [] },
      completeness: null,
      other: [],
    });
  });

  it('an amended totalizer: the total, the daily value and exactly one slot change', () => {
    const v2 = build(withExtra('LACT-01', 'fiscal_nsv_totalizer', 40, 12.5));
    const d = diff(v1, v2);
    expect(d.identical).toBe(false);
    expect(d.totals).toContainEqual({
      total: 'oilNsvBbl',
      before: v1.totals.oilNsvBbl,
      after: v2.totals.oilNsvBbl,
      delta: 12.5,
    });
    // Only totals fed by that counter move (water is the separator's own counter here).
    expect(d.totals.map((t) => t.total)).toEqual(['oilNsvBbl']);
    expect(d.daily.filter((c) => c.field === 'total')).toEqual([
      {
        point: 'LACT-01',
        variable: 'fiscal_nsv_totalizer',
        unit: 'bbl',
        field: 'total',
        before: v1.points
          .find((p) => p.code === 'LACT-01')!
          .variables.find((v) => v.code === 'fiscal_nsv_totalizer')!.daily.total,
        after: v2.totals.oilNsvBbl,
        delta: 12.5,
      },
    ]);
    expect(d.slots.changedSlots).toBe(1);
    expect(d.slots.byVariable).toEqual([
      { point: 'LACT-01', variable: 'fiscal_nsv_totalizer', slots: 1, values: 2 },
    ]);
    expect(d.series).toEqual({ added: [], removed: [] });
  });

  it('lists checks added, removed and changed', () => {
    const v2 = copy(v1);
    const [first, second] = v2.checks as [ReportCheck, ReportCheck, ...ReportCheck[]];
    const removed = v2.checks.splice(v2.checks.indexOf(second), 1)[0]!;
    first.status = 'violation';
    first.value = 99;
    const added: ReportCheck = {
      rule: 'balance.tank',
      family: 9,
      status: 'violation',
      point: 'TK-99',
      variable: null,
      value: 7,
      reference: 5,
      message: { es: 'x', en: 'x' },
    };
    v2.checks.push(added);
    const d = diff(v1, v2);
    expect(d.checks.added).toEqual([added]);
    expect(d.checks.removed).toEqual([removed]);
    expect(d.checks.changed).toEqual([
      {
        rule: first.rule,
        point: first.point,
        variable: first.variable,
        before: {
          status: v1.checks[0]!.status,
          value: v1.checks[0]!.value,
          reference: v1.checks[0]!.reference,
          message: v1.checks[0]!.message,
        },
        after: {
          status: 'violation',
          value: 99,
          reference: first.reference,
          message: first.message,
        },
      },
    ]);
  });

  it('counts every slot value that moved, and completeness', () => {
    const v2 = copy(v1);
    const thp = v2.points[0]!.variables.find((v) => v.code === 'tubing_head_pressure')!;
    thp.slots.mean[3] = 1;
    thp.slots.min[3] = 1;
    thp.slots.mean[4] = null;
    thp.slots.flags = `${thp.slots.flags.slice(0, 4)}M${thp.slots.flags.slice(5)}`;
    v2.completeness.missingSlots += 1;
    const d = diff(v1, v2);
    expect(d.slots).toEqual({
      changedSlots: 2,
      changedValues: 4,
      byVariable: [{ point: 'W-001', variable: 'tubing_head_pressure', slots: 2, values: 4 }],
    });
    expect(d.completeness).toMatchObject({
      missingSlotsBefore: v1.completeness.missingSlots,
      missingSlotsAfter: v1.completeness.missingSlots + 1,
    });
  });

  it('names series only in one version and other parts that changed', () => {
    const v2 = copy(v1);
    v2.points[0]!.variables.pop();
    v2.operator.legalName = 'Otra S.A.S.';
    const d = diff(v1, v2);
    const gone = v1.points[0]!.variables.at(-1)!.code;
    expect(d.series).toEqual({ added: [], removed: [{ point: 'W-001', variable: gone }] });
    expect(d.other).toEqual(['operator']);
    expect(diff(v2, v1).series).toEqual({
      added: [{ point: 'W-001', variable: gone }],
      removed: [],
    });
  });

  it('refuses versions of another day or another field', () => {
    expect(diffReports(v1, { ...v1, day: '2026-11-26' })).toEqual({
      ok: false,
      reason: 'different_day',
    });
    expect(diffReports(v1, { ...v1, field: { ...v1.field, code: 'OTRO' } })).toEqual({
      ok: false,
      reason: 'different_field',
    });
  });
});
