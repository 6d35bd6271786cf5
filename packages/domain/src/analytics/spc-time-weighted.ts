import { AppError } from '../errors';
import { formatterFor, type MessageOptions } from './spc-format';
import type { SpcLimits } from './spc-limits';
import type { SpcViolation } from './spc-rules';

/**
 * Time-weighted charts: EWMA and tabular CUSUM. Shewhart rule 1 needs a shift of about
 * 3σ to react quickly; a sustained 1σ shift (a choke change, a slowly failing pump) takes
 * it some 44 points on average, while these two accumulate evidence and see it in about
 * ten (Montgomery, ch. 9). Same streaming contract as the I-MR step: the state is a plain
 * JSON object owned by the caller and updated in place, and it carries the chart
 * parameters, so a resumed stream cannot silently change λ or h halfway.
 *
 * Both flag every point at which the statistic is beyond its limit (no reset after a
 * signal): the product only flags, nobody is there to restart the chart, and a flag per
 * point matches the per-point flags of the Shewhart rules.
 */

/** Evidence is the current excursion, capped: enough to show what moved, bounded in size. */
export const EVIDENCE_POINTS = 32;

interface Recent {
  recentIndices: number[];
  recentValues: number[];
}

function remember(state: Recent, index: number, value: number): void {
  state.recentIndices.push(index);
  state.recentValues.push(value);
  if (state.recentIndices.length > EVIDENCE_POINTS) {
    state.recentIndices.shift();
    state.recentValues.shift();
  }
}

/** The remembered points with index ≥ from. */
function since(state: Recent, from: number): { indices: number[]; values: number[] } {
  let start = 0;
  while (start < state.recentIndices.length && state.recentIndices[start]! < from) start++;
  return {
    indices: state.recentIndices.slice(start),
    values: state.recentValues.slice(start),
  };
}

/** The last `count` remembered points (fewer if not remembered). */
function last(state: Recent, count: number): { indices: number[]; values: number[] } {
  const start = Math.max(0, state.recentIndices.length - count);
  return {
    indices: state.recentIndices.slice(start),
    values: state.recentValues.slice(start),
  };
}

function positive(name: string, value: number, max = Number.POSITIVE_INFINITY): void {
  if (!(Number.isFinite(value) && value > 0 && value <= max))
    throw new AppError(
      'VALIDATION',
      `${name} must be a finite number in (0, ${max}], got ${value}`,
      {
        details: { [name]: value },
      },
    );
}

// ---------------------------------------------------------------------------------------
// EWMA

export interface EwmaOptions {
  /** Weight of the newest point, 0 < λ ≤ 1 (default 0.2; smaller sees smaller shifts). */
  lambda?: number;
  /** Width L of the limits in sigmas of the EWMA (default 3). */
  width?: number;
}

export interface EwmaState {
  lambda: number;
  width: number;
  /** Stream index of the next point (missing points counted). */
  next: number;
  /** Finite points folded into the EWMA: sets the width of the time-varying limits. */
  count: number;
  /** Current EWMA; null before the first point (it then starts at the limits' mean). */
  z: number | null;
  /** Side of the mean the EWMA is on (−1, 0, 1) and the index at which it got there. */
  side: number;
  sideSince: number;
  recentIndices: number[];
  recentValues: number[];
}

export function createEwmaState(options: EwmaOptions = {}): EwmaState {
  const lambda = options.lambda ?? 0.2;
  const width = options.width ?? 3;
  positive('lambda', lambda, 1);
  positive('width', width);
  return {
    lambda,
    width,
    next: 0,
    count: 0,
    z: null,
    side: 0,
    sideSince: 0,
    recentIndices: [],
    recentValues: [],
  };
}

/**
 * z_i = λ·x_i + (1 − λ)·z_{i−1}, z_0 = mean; limits mean ± L·σ·√(λ/(2−λ)·(1 − (1−λ)^{2i})).
 * The exact (time-varying) limits are narrow at the start, where the EWMA is still close
 * to its starting value, which lets a shift present from the first point be seen early.
 * A missing point leaves the EWMA unchanged.
 */
export function stepEwma(
  state: EwmaState,
  limits: SpcLimits,
  value: number,
  options: MessageOptions = {},
): SpcViolation[] {
  const index = state.next;
  state.next = index + 1;
  if (!Number.isFinite(value)) return [];
  remember(state, index, value);
  const { lambda, width } = state;
  const { mean, sigma } = limits;
  const z = lambda * value + (1 - lambda) * (state.z ?? mean);
  state.z = z;
  state.count += 1;
  const side = Math.sign(z - mean);
  if (side !== state.side) {
    state.side = side;
    state.sideSince = index;
  }
  if (limits.degenerate) return [];
  const half =
    width *
    sigma *
    Math.sqrt((lambda / (2 - lambda)) * (1 - Math.pow(1 - lambda, 2 * state.count)));
  const up = z > mean + half;
  if (!up && !(z < mean - half)) return [];
  const limit = up ? mean + half : mean - half;
  const evidence = since(state, state.sideSince);
  const f = formatterFor(limits, options);
  const shift = (z - mean) / sigma;
  const n = evidence.indices.length;
  return [
    {
      rule: 'ewma',
      chart: 'ewma',
      index,
      ...evidence,
      direction: up ? 'up' : 'down',
      statistic: { value: z, limit },
      limits,
      message: {
        es: `EWMA ${f.value('es', z)} ${up ? 'por encima de su límite superior' : 'por debajo de su límite inferior'} (${f.value('es', limit)}): desplazamiento sostenido de la media de ${f.sigmas('es', shift, true)} (${f.delta('es', z - mean)}) en ${n === 1 ? 'el último punto' : `los últimos ${n} puntos`}`,
        en: `EWMA ${f.value('en', z)} ${up ? 'above its upper' : 'below its lower'} limit (${f.value('en', limit)}): sustained shift of the mean of ${f.sigmas('en', shift, true)} (${f.delta('en', z - mean)}) over the last ${n === 1 ? 'point' : `${n} points`}`,
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------
// CUSUM

export interface CusumOptions {
  /** Reference value k in sigmas (default 0.5: tuned to detect a 1σ shift). */
  k?: number;
  /** Decision interval h in sigmas (default 5: in-control ARL about 465 points two-sided). */
  h?: number;
}

export interface CusumState {
  k: number;
  h: number;
  next: number;
  /** Upper and lower sums, in sigmas (standardised, so re-learned limits keep their meaning). */
  upper: number;
  lower: number;
  /** Consecutive points for which each sum has been above zero. */
  upperRun: number;
  lowerRun: number;
  recentIndices: number[];
  recentValues: number[];
}

export function createCusumState(options: CusumOptions = {}): CusumState {
  const k = options.k ?? 0.5;
  const h = options.h ?? 5;
  // k = 0 is legitimate (a pure random-walk sum); only negatives are nonsense.
  if (!(Number.isFinite(k) && k >= 0))
    throw new AppError('VALIDATION', `k must be a finite number ≥ 0, got ${k}`, {
      details: { k },
    });
  positive('h', h);
  return {
    k,
    h,
    next: 0,
    upper: 0,
    lower: 0,
    upperRun: 0,
    lowerRun: 0,
    recentIndices: [],
    recentValues: [],
  };
}

/**
 * C⁺_i = max(0, C⁺_{i−1} + (x_i − mean)/σ − k), C⁻_i = max(0, C⁻_{i−1} − (x_i − mean)/σ − k);
 * a signal when either exceeds h. The size of the shift is estimated as k + C/N, N being the
 * number of points since the sum left zero (Montgomery §9.1.3). A missing point changes
 * nothing; degenerate limits leave the sums at zero (there is no σ to standardise by).
 */
export function stepCusum(
  state: CusumState,
  limits: SpcLimits,
  value: number,
  options: MessageOptions = {},
): SpcViolation[] {
  const index = state.next;
  state.next = index + 1;
  if (!Number.isFinite(value)) return [];
  remember(state, index, value);
  if (limits.degenerate) return [];
  const { mean, sigma } = limits;
  const z = (value - mean) / sigma;
  state.upper = Math.max(0, state.upper + z - state.k);
  state.lower = Math.max(0, state.lower - z - state.k);
  state.upperRun = state.upper > 0 ? state.upperRun + 1 : 0;
  state.lowerRun = state.lower > 0 ? state.lowerRun + 1 : 0;
  const found: SpcViolation[] = [];
  for (const up of [true, false]) {
    const sum = up ? state.upper : state.lower;
    if (!(sum > state.h)) continue;
    // Counted in points, not indices: a missing slot inside the run is skipped, not counted.
    const run = up ? state.upperRun : state.lowerRun;
    const shift = (state.k + sum / run) * (up ? 1 : -1);
    const estimate = mean + shift * sigma;
    const evidence = last(state, run);
    const f = formatterFor(limits, options);
    found.push({
      rule: 'cusum',
      chart: 'cusum',
      index,
      ...evidence,
      direction: up ? 'up' : 'down',
      statistic: { value: sum * sigma, limit: state.h * sigma },
      limits,
      message: {
        es: `CUSUM ${up ? 'superior' : 'inferior'} ${f.sigmas('es', sum)} por encima del umbral h = ${f.sigmas('es', state.h)}: la media estimada ${up ? 'subió' : 'bajó'} a ${f.value('es', estimate)} (${f.sigmas('es', shift, true)}) en los últimos ${run} puntos`,
        en: `${up ? 'Upper' : 'Lower'} CUSUM ${f.sigmas('en', sum)} above the decision interval h = ${f.sigmas('en', state.h)}: the estimated mean ${up ? 'rose' : 'fell'} to ${f.value('en', estimate)} (${f.sigmas('en', shift, true)}) over the last ${run} points`,
      },
    });
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// Batch helpers

export function evaluateEwma(
  values: Float64Array | readonly number[],
  limits: SpcLimits,
  options: EwmaOptions & MessageOptions & { state?: EwmaState } = {},
): SpcViolation[] {
  const state = options.state ?? createEwmaState(options);
  const found: SpcViolation[] = [];
  for (let i = 0; i < values.length; i++)
    found.push(...stepEwma(state, limits, values[i]!, options));
  return found;
}

export function evaluateCusum(
  values: Float64Array | readonly number[],
  limits: SpcLimits,
  options: CusumOptions & MessageOptions & { state?: CusumState } = {},
): SpcViolation[] {
  const state = options.state ?? createCusumState(options);
  const found: SpcViolation[] = [];
  for (let i = 0; i < values.length; i++)
    found.push(...stepCusum(state, limits, values[i]!, options));
  return found;
}
