import type { VariableDefinition } from '../measurement/catalog';
import type { QualityFlag } from '../validation/rules';
import { SLOT_MS, SLOTS_PER_DAY } from './bogota-day';
import type { DayAggregation, SeriesKind, SlotAggregate } from './slots';

/**
 * Corrections of 10-minute slots by engineers: a value typed in from a meter ticket or a
 * gauging (substitution, flag S) or an estimate (flag E): linear between the nearest good
 * neighbours, or the same slot of the previous day. The domain brief: "nothing is changed
 * silently: a substitution or estimate records its method and who or what made it", so a
 * correction is an overlay with its method and reason; the measured slot stays as it was
 * ("raw against corrected").
 *
 * What a correction replaces: for a totalizer the slot's increase (`delta`, what the
 * report adds up); for every other kind the slot's value (`mean`, with min and max).
 */
export const CORRECTION_METHODS = ['substitute', 'interpolate', 'previous_day'] as const;
export type CorrectionMethod = (typeof CORRECTION_METHODS)[number];
export type EstimateMethod = Exclude<CorrectionMethod, 'substitute'>;

/** The flag a corrected slot carries: S substituted, E estimated. */
export const CORRECTION_FLAG: Record<CorrectionMethod, Extract<QualityFlag, 'S' | 'E'>> = {
  substitute: 'S',
  interpolate: 'E',
  previous_day: 'E',
};

export const CORRECTION_METHOD_LABELS: Record<CorrectionMethod, { es: string; en: string }> = {
  substitute: { es: 'Sustitución (valor digitado)', en: 'Substitution (value typed in)' },
  interpolate: {
    es: 'Estimación: interpolación lineal entre vecinos buenos',
    en: 'Estimate: linear interpolation between good neighbours',
  },
  previous_day: {
    es: 'Estimación: mismo intervalo del día anterior',
    en: 'Estimate: same slot of the previous day',
  },
};

/** A reason must say something: at least this many characters. */
export const MIN_REASON_LENGTH = 10;
export const MAX_REASON_LENGTH = 1000;
/** Interpolation does not reach across more than this on either side. */
export const MAX_INTERPOLATION_REACH_MS = 24 * 3600_000;
export const DAY_MS = SLOTS_PER_DAY * SLOT_MS;

export type CorrectedField = 'mean' | 'delta';

/** Which number of a slot a correction replaces for this kind of series. */
export function correctedField(kind: SeriesKind): CorrectedField {
  return kind === 'totalizer' ? 'delta' : 'mean';
}

/** The number a correction would replace (null: none). */
export function slotValue(slot: Pick<SlotAggregate, 'mean' | 'delta'>, kind: SeriesKind) {
  return slot[correctedField(kind)];
}

/** A slot start is on the 10-minute grid (Bogotá is UTC−5: the grids coincide). */
export function isSlotStart(ms: number): boolean {
  return Number.isSafeInteger(ms) && ms % SLOT_MS === 0;
}

/** One slot of a series as an estimate sees it: its start, value and (effective) flag. */
export interface SeriesPoint {
  start: number;
  value: number | null;
  flag: QualityFlag;
}

export interface BasisPoint {
  start: number;
  value: number;
  flag: QualityFlag;
}

/** What an estimate was computed from, kept with the correction as its evidence. */
export type EstimateBasis =
  | { method: 'interpolate'; before: BasisPoint; after: BasisPoint }
  | { method: 'previous_day'; from: BasisPoint };

export type EstimateError =
  | { kind: 'misaligned'; start: number }
  | { kind: 'no_neighbour'; side: 'before' | 'after'; reachMs: number }
  | { kind: 'no_previous_day'; start: number };

export type EstimateResult =
  { ok: true; value: number; basis: EstimateBasis } | { ok: false; error: EstimateError };

const usable = (p: SeriesPoint): p is SeriesPoint & { value: number } =>
  p.value !== null && Number.isFinite(p.value);

/**
 * Linear interpolation at `target` between the nearest good (G) slots before and after
 * it, each at most `reachMs` away. Substituted, estimated, bad and missing slots are not
 * a basis: an estimate is never built on another estimate.
 */
export function interpolateAt(
  target: number,
  series: readonly SeriesPoint[],
  reachMs = MAX_INTERPOLATION_REACH_MS,
): EstimateResult {
  if (!isSlotStart(target)) return { ok: false, error: { kind: 'misaligned', start: target } };
  let before: (SeriesPoint & { value: number }) | null = null;
  let after: (SeriesPoint & { value: number }) | null = null;
  for (const p of series) {
    if (p.flag !== 'G' || !usable(p)) continue;
    if (p.start < target && p.start >= target - reachMs && (!before || p.start > before.start))
      before = p;
    if (p.start > target && p.start <= target + reachMs && (!after || p.start < after.start))
      after = p;
  }
  if (!before) return { ok: false, error: { kind: 'no_neighbour', side: 'before', reachMs } };
  if (!after) return { ok: false, error: { kind: 'no_neighbour', side: 'after', reachMs } };
  const share = (target - before.start) / (after.start - before.start);
  return {
    ok: true,
    value: before.value + (after.value - before.value) * share,
    basis: {
      method: 'interpolate',
      before: { start: before.start, value: before.value, flag: before.flag },
      after: { start: after.start, value: after.value, flag: after.flag },
    },
  };
}

/**
 * The same slot of the previous day (24 h earlier: Bogotá has no daylight saving), when it
 * has a value that is not bad or missing (a corrected value there counts, as corrected).
 */
export function previousDayAt(target: number, series: readonly SeriesPoint[]): EstimateResult {
  if (!isSlotStart(target)) return { ok: false, error: { kind: 'misaligned', start: target } };
  const start = target - DAY_MS;
  const from = series.find((p) => p.start === start);
  if (!from || !usable(from) || from.flag === 'B' || from.flag === 'M')
    return { ok: false, error: { kind: 'no_previous_day', start } };
  return {
    ok: true,
    value: from.value,
    basis: { method: 'previous_day', from: { start, value: from.value, flag: from.flag } },
  };
}

export function estimate(
  method: EstimateMethod,
  target: number,
  series: readonly SeriesPoint[],
): EstimateResult {
  return method === 'interpolate' ? interpolateAt(target, series) : previousDayAt(target, series);
}

/** An estimate's failure for people, `español / English`. */
export function describeEstimateError(error: EstimateError): string {
  switch (error.kind) {
    case 'misaligned':
      return 'El inicio no está en la grilla de 10 minutos / the start is not on the 10-minute grid';
    case 'no_neighbour': {
      const hours = Math.round(error.reachMs / 3600_000);
      return error.side === 'before'
        ? `No hay un intervalo bueno antes (en ${hours} h) para interpolar / no good slot before it (within ${hours} h) to interpolate from`
        : `No hay un intervalo bueno después (en ${hours} h) para interpolar / no good slot after it (within ${hours} h) to interpolate to`;
    }
    case 'no_previous_day':
      return 'El mismo intervalo del día anterior no tiene un valor utilizable / the same slot of the previous day has no usable value';
  }
}

export type CorrectionProblem =
  | { kind: 'reason_too_short'; min: number }
  | { kind: 'reason_too_long'; max: number }
  | { kind: 'value_required' }
  | { kind: 'value_not_allowed' }
  | { kind: 'not_finite' }
  | { kind: 'out_of_range'; min: number; max: number };

/**
 * What a correction must satisfy before it is stored: a reason; a value for a
 * substitution (and none for an estimate, which computes its own); the value inside the
 * variable's physical range (a totalizer's increase: not negative).
 */
export function checkCorrection(input: {
  method: CorrectionMethod;
  value: number | null | undefined;
  reason: string;
  variable: Pick<VariableDefinition, 'kind' | 'physicalRange'>;
  /** Checking the value an estimate computed (not typed by the user). */
  computed?: boolean;
}): CorrectionProblem[] {
  const problems: CorrectionProblem[] = [];
  const reason = input.reason.trim();
  if (reason.length < MIN_REASON_LENGTH)
    problems.push({ kind: 'reason_too_short', min: MIN_REASON_LENGTH });
  if (reason.length > MAX_REASON_LENGTH)
    problems.push({ kind: 'reason_too_long', max: MAX_REASON_LENGTH });
  const value = input.value;
  if (input.method === 'substitute' || input.computed) {
    if (value === null || value === undefined) problems.push({ kind: 'value_required' });
    else if (!Number.isFinite(value)) problems.push({ kind: 'not_finite' });
    else {
      const [min, max] =
        input.variable.kind === 'totalizer'
          ? [0, Number.POSITIVE_INFINITY]
          : input.variable.physicalRange;
      if (value < min || value > max) problems.push({ kind: 'out_of_range', min, max });
    }
  } else if (value !== null && value !== undefined) problems.push({ kind: 'value_not_allowed' });
  return problems;
}

export function describeCorrectionProblem(problem: CorrectionProblem): string {
  switch (problem.kind) {
    case 'reason_too_short':
      return `La razón debe tener al menos ${problem.min} caracteres / the reason needs at least ${problem.min} characters`;
    case 'reason_too_long':
      return `La razón admite hasta ${problem.max} caracteres / the reason allows up to ${problem.max} characters`;
    case 'value_required':
      return 'Una sustitución necesita un valor / a substitution needs a value';
    case 'value_not_allowed':
      return 'Una estimación calcula su propio valor: no escriba uno / an estimate computes its own value: do not type one';
    case 'not_finite':
      return 'El valor no es un número finito / the value is not a finite number';
    case 'out_of_range':
      return Number.isFinite(problem.max)
        ? `El valor está fuera del rango físico [${problem.min}, ${problem.max}] / the value is outside the physical range [${problem.min}, ${problem.max}]`
        : `El valor no puede ser negativo / the value cannot be negative`;
  }
}

/** A correction in force on one slot of a day. */
export interface SlotCorrection {
  /** Slot index in the day (0–143). */
  slot: number;
  method: CorrectionMethod;
  value: number;
}

/**
 * A slot as the correction makes it. For a totalizer only the increase changes (its
 * readings are what they were); for the other kinds the value becomes the slot's mean,
 * min and max. Count and completeness stay as measured: a correction adds no readings.
 */
export function correctSlot(
  slot: SlotAggregate,
  correction: Pick<SlotCorrection, 'method' | 'value'>,
  kind: SeriesKind,
): SlotAggregate {
  const flag = CORRECTION_FLAG[correction.method];
  if (kind === 'totalizer') return { ...slot, delta: correction.value, counterEvent: null, flag };
  const v = correction.value;
  return { ...slot, mean: v, min: v, max: v, first: v, last: v, flag };
}

/**
 * A day's aggregation with its corrections applied (the report's view), and the measured
 * slots that were replaced (the "raw against corrected" view). The input is not changed.
 */
export function applyCorrections(
  aggregation: DayAggregation,
  corrections: readonly SlotCorrection[],
  kind: SeriesKind,
): { aggregation: DayAggregation; originals: Map<number, SlotAggregate> } {
  const originals = new Map<number, SlotAggregate>();
  if (corrections.length === 0) return { aggregation, originals };
  const slots = aggregation.slots.slice();
  for (const c of corrections) {
    const original = slots[c.slot];
    if (!original || !Number.isFinite(c.value)) continue;
    originals.set(c.slot, aggregation.slots[c.slot]!);
    slots[c.slot] = correctSlot(aggregation.slots[c.slot]!, c, kind);
  }
  const total =
    kind === 'totalizer' ? slots.reduce((sum, s) => sum + (s.delta ?? 0), 0) : aggregation.total;
  return { aggregation: { ...aggregation, slots, total }, originals };
}
