import { canonicalJson } from '../canonical-json';
import type { DailyReport, ReportCheck } from './build';

/**
 * What changed between two versions of one day's report for one field (an amendment and
 * what it corrected): totals, daily values per point and variable, how many 10-minute
 * slot values moved, checks that appeared, disappeared or changed outcome, and any other
 * part of the header. Pure: two parsed reports in, a structured answer out.
 */
export type TotalKey = keyof DailyReport['totals'];
type Daily = DailyReport['points'][number]['variables'][number]['daily'];
type Slots = DailyReport['points'][number]['variables'][number]['slots'];
export type DailyField = keyof Daily;

export interface ValueChange<T = number | null> {
  before: T;
  after: T;
  /** after − before, when both are numbers. */
  delta: number | null;
}

export interface TotalChange extends ValueChange {
  total: TotalKey;
}

export interface DailyChange extends ValueChange<number | string | null> {
  point: string;
  variable: string;
  unit: string;
  field: DailyField;
}

export interface SlotChanges {
  point: string;
  variable: string;
  /** Slots (of 144) where any of mean, min, max, completeness, delta or flag differs. */
  slots: number;
  /** Individual values that differ (a slot can count for several). */
  values: number;
}

export type CheckKey = Pick<ReportCheck, 'rule' | 'point' | 'variable'>;

export interface CheckChange extends CheckKey {
  before: Pick<ReportCheck, 'status' | 'value' | 'reference' | 'message'>;
  after: Pick<ReportCheck, 'status' | 'value' | 'reference' | 'message'>;
}

export interface ReportDiff {
  /** Nothing but the generation time and the chain link differ. */
  identical: boolean;
  totals: TotalChange[];
  daily: DailyChange[];
  slots: { changedSlots: number; changedValues: number; byVariable: SlotChanges[] };
  checks: { added: ReportCheck[]; removed: ReportCheck[]; changed: CheckChange[] };
  completeness: {
    before: number;
    after: number;
    missingSlotsBefore: number;
    missingSlotsAfter: number;
  } | null;
  /** Points or variables present in only one of the two. */
  series: {
    added: Array<{ point: string; variable: string }>;
    removed: Array<{ point: string; variable: string }>;
  };
  /** Other top-level parts that differ (operator, field, gasBase, events…), by name. */
  other: string[];
}

export type ReportDiffResult =
  { ok: true; diff: ReportDiff } | { ok: false; reason: 'different_day' | 'different_field' };

const DAILY_FIELDS: readonly DailyField[] = [
  'mean',
  'min',
  'max',
  'total',
  'completeness',
  'worstFlag',
];
const SLOT_ARRAYS = ['mean', 'min', 'max', 'completeness', 'delta'] as const;
/** Parts compared on their own above, or expected to differ between any two versions. */
const COMPARED_APART = new Set([
  'points',
  'totals',
  'balances',
  'checks',
  'completeness',
  'generatedAt',
  'integrity',
]);

const delta = (before: unknown, after: unknown): number | null =>
  typeof before === 'number' && typeof after === 'number' ? roundDelta(after - before) : null;

/** Differences of numbers with at most 4 decimals, without binary noise (0.1 + 0.2). */
function roundDelta(value: number): number {
  return Math.round(value * 1e6) / 1e6 + 0;
}

const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

type Variable = DailyReport['points'][number]['variables'][number];

function seriesOf(report: DailyReport): Map<string, { point: string; variable: Variable }> {
  const out = new Map<string, { point: string; variable: Variable }>();
  for (const point of report.points)
    for (const variable of point.variables)
      out.set(`${point.code}\u0000${variable.code}`, { point: point.code, variable });
  return out;
}

function slotChanges(before: Slots, after: Slots): { slots: number; values: number } {
  const length = Math.max(
    before.mean.length,
    after.mean.length,
    before.flags.length,
    after.flags.length,
  );
  let slots = 0;
  let values = 0;
  for (let k = 0; k < length; k++) {
    let changed = 0;
    for (const name of SLOT_ARRAYS) {
      const a = before[name]?.[k];
      const b = after[name]?.[k];
      if ((a ?? null) !== (b ?? null)) changed++;
    }
    if (before.flags[k] !== after.flags[k]) changed++;
    if (changed > 0) slots++;
    values += changed;
  }
  return { slots, values };
}

const checkKey = (c: CheckKey) => `${c.rule}\u0000${c.point ?? ''}\u0000${c.variable ?? ''}`;
const checkState = (c: ReportCheck) => ({
  status: c.status,
  value: c.value,
  reference: c.reference,
  message: c.message,
});

function groupChecks(checks: readonly ReportCheck[]): Map<string, ReportCheck[]> {
  const out = new Map<string, ReportCheck[]>();
  for (const check of checks) {
    const key = checkKey(check);
    const list = out.get(key);
    if (list) list.push(check);
    else out.set(key, [check]);
  }
  return out;
}

/** `before` is the older version (e.g. v1), `after` the newer one (its amendment). */
export function diffReports(before: DailyReport, after: DailyReport): ReportDiffResult {
  if (before.day !== after.day) return { ok: false, reason: 'different_day' };
  if (before.field.code !== after.field.code) return { ok: false, reason: 'different_field' };

  const totals: TotalChange[] = [];
  const totalKeys = new Set([...Object.keys(before.totals), ...Object.keys(after.totals)]);
  for (const key of [...totalKeys].sort() as TotalKey[]) {
    const a = before.totals[key] ?? null;
    const b = after.totals[key] ?? null;
    if (a !== b) totals.push({ total: key, before: a, after: b, delta: delta(a, b) });
  }

  const daily: DailyChange[] = [];
  const byVariable: SlotChanges[] = [];
  const added: ReportDiff['series']['added'] = [];
  const removed: ReportDiff['series']['removed'] = [];
  const beforeSeries = seriesOf(before);
  const afterSeries = seriesOf(after);
  for (const [key, { point, variable }] of afterSeries) {
    const old = beforeSeries.get(key);
    if (!old) {
      added.push({ point, variable: variable.code });
      continue;
    }
    for (const field of DAILY_FIELDS) {
      const a = old.variable.daily[field] ?? null;
      const b = variable.daily[field] ?? null;
      if (a !== b)
        daily.push({
          point,
          variable: variable.code,
          unit: variable.unit,
          field,
          before: a,
          after: b,
          delta: delta(a, b),
        });
    }
    const moved = slotChanges(old.variable.slots, variable.slots);
    if (moved.slots > 0) byVariable.push({ point, variable: variable.code, ...moved });
  }
  for (const [key, { point, variable }] of beforeSeries)
    if (!afterSeries.has(key)) removed.push({ point, variable: variable.code });

  const checks: ReportDiff['checks'] = { added: [], removed: [], changed: [] };
  const beforeChecks = groupChecks(before.checks);
  const afterChecks = groupChecks(after.checks);
  for (const [key, list] of afterChecks) {
    const old = beforeChecks.get(key) ?? [];
    // Usually one check per key; when a rule repeats, pair them in order.
    list.forEach((check, i) => {
      const previous = old[i];
      if (!previous) checks.added.push(check);
      else if (!same(checkState(previous), checkState(check)))
        checks.changed.push({
          rule: check.rule,
          point: check.point,
          variable: check.variable,
          before: checkState(previous),
          after: checkState(check),
        });
    });
  }
  for (const [key, list] of beforeChecks) {
    const now = afterChecks.get(key) ?? [];
    list.slice(now.length).forEach((check) => checks.removed.push(check));
  }

  const completeness =
    before.completeness.overall !== after.completeness.overall ||
    before.completeness.missingSlots !== after.completeness.missingSlots
      ? {
          before: before.completeness.overall,
          after: after.completeness.overall,
          missingSlotsBefore: before.completeness.missingSlots,
          missingSlotsAfter: after.completeness.missingSlots,
        }
      : null;

  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const other = [...keys]
    .filter((key) => !COMPARED_APART.has(key))
    .filter(
      (key) =>
        !same(
          (before as unknown as Record<string, unknown>)[key],
          (after as unknown as Record<string, unknown>)[key],
        ),
    )
    .sort();

  const changedSlots = byVariable.reduce((sum, v) => sum + v.slots, 0);
  const changedValues = byVariable.reduce((sum, v) => sum + v.values, 0);
  const identical =
    totals.length === 0 &&
    daily.length === 0 &&
    changedSlots === 0 &&
    checks.added.length + checks.removed.length + checks.changed.length === 0 &&
    completeness === null &&
    added.length + removed.length === 0 &&
    other.length === 0;
  return {
    ok: true,
    diff: {
      identical,
      totals,
      daily,
      slots: { changedSlots, changedValues, byVariable },
      checks,
      completeness,
      series: { added, removed },
      other,
    },
  };
}
