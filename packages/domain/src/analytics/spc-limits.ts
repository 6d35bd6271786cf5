import { z } from 'zod';
import { AppError, validationError } from '../errors';

/**
 * Control limits learned from a baseline window of slot means (family 12 of the domain
 * brief: statistical anomaly, flags only). The limits are a plain, versioned, JSON-safe
 * object: they are learned once, stored next to the variable, and every violation quotes
 * the limits it was judged against, so a flag raised today can be explained next year.
 *
 * Sigma is the within (short-term) sigma of an individuals chart: the average moving range
 * divided by d2. The overall standard deviation is kept for reference (and for Pp/Ppk) but
 * not used for the limits, because slow drifts in the baseline inflate it and would hide
 * exactly the shifts SPC is meant to find (Montgomery, Introduction to SPC, §6.4).
 */
export const SPC_LIMITS_VERSION = 'spc-1';

/** d2 for moving ranges of two consecutive points: E[|X1 − X2|] = d2 · σ. */
export const D2 = 1.128;
/** D4 for ranges of two: the upper limit of the moving-range chart is D4 · MR̄ (D3 = 0). */
export const D4 = 3.267;
/** Width of the Shewhart limits, in sigmas. */
export const SHEWHART_WIDTH = 3;
/**
 * The usual minimum for Phase I limits (Montgomery recommends 20–25). Even at 20 points the
 * moving-range sigma is only known to about ±40 % (95 %, ~0.62·(n − 1) degrees of freedom),
 * so longer baselines (a few days of slots) are better; shorter ones are refused.
 */
export const MIN_BASELINE_POINTS = 20;

export interface SpcLimits {
  version: typeof SPC_LIMITS_VERSION;
  /** When the limits were learned (ISO 8601, supplied by the caller: the domain reads no clock). */
  learnedAt?: string;
  /** Unit of the values, used in messages (e.g. 'psig'). */
  unit?: string;
  /** Points in the baseline. */
  n: number;
  /** Centre line: the baseline mean. */
  mean: number;
  /** Within sigma, MR̄ / d2. */
  sigma: number;
  /** Overall sample standard deviation of the baseline (n − 1), for reference. */
  overallSigma: number;
  /** Average moving range of the baseline. */
  mrBar: number;
  /** mean ± 3σ. */
  ucl: number;
  lcl: number;
  /** Upper limit of the moving-range chart, D4 · MR̄. */
  mrUcl: number;
  /**
   * True when the baseline does not vary (σ = 0, or below floating-point resolution of the
   * mean). A frozen signal is a data-quality matter (family 4, stuck value), not a process
   * one: every rule evaluated against degenerate limits stays silent.
   */
  degenerate: boolean;
}

export interface LearnLimitsOptions {
  learnedAt?: string;
  unit?: string;
}

/**
 * The mean, moving-range sigma and overall sigma of a series. Shared by the limits and
 * the capability indices so that both use exactly the same estimators.
 */
export function describeSeries(values: ArrayLike<number>): {
  n: number;
  mean: number;
  mrBar: number;
  sigmaWithin: number;
  sigmaOverall: number;
} {
  const n = values.length;
  // Summed as offsets from the first value: a constant series then has exactly its value
  // as mean (a plain sum of 30 × 812.4 gives 812.4000000000002), and large levels with
  // small variation lose fewer digits.
  const origin = n > 0 ? values[0]! : 0;
  let offsets = 0;
  for (let i = 0; i < n; i++) offsets += values[i]! - origin;
  const mean = origin + offsets / n;
  let squares = 0;
  let ranges = 0;
  for (let i = 0; i < n; i++) {
    const deviation = values[i]! - mean;
    squares += deviation * deviation;
    if (i > 0) ranges += Math.abs(values[i]! - values[i - 1]!);
  }
  const mrBar = n > 1 ? ranges / (n - 1) : 0;
  return {
    n,
    mean,
    mrBar,
    sigmaWithin: mrBar / D2,
    sigmaOverall: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
  };
}

/** Throws VALIDATION unless every value is finite; names the first offender. */
export function assertFinite(what: string, values: ArrayLike<number>): void {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      bad += 1;
      if (first < 0) first = i;
    }
  }
  if (bad > 0)
    throw new AppError(
      'VALIDATION',
      `${what} has ${bad} non-finite value(s), first at index ${first}: remove missing slots first`,
      { details: { nonFinite: bad, firstIndex: first } },
    );
}

/**
 * Learns I-MR limits from a baseline of slot means. The baseline must be at least
 * MIN_BASELINE_POINTS finite values; the caller chooses a window it believes to be in
 * control (no trimming is done here, so that the limits are a pure function of the data
 * the engineer picked).
 */
export function learnLimits(
  values: Float64Array | readonly number[],
  options: LearnLimitsOptions = {},
): SpcLimits {
  if (values.length < MIN_BASELINE_POINTS)
    throw new AppError(
      'VALIDATION',
      `SPC baseline needs at least ${MIN_BASELINE_POINTS} points, got ${values.length}`,
      { details: { minimum: MIN_BASELINE_POINTS, actual: values.length } },
    );
  assertFinite('SPC baseline', values);
  const { n, mean, mrBar, sigmaWithin: sigma, sigmaOverall } = describeSeries(values);
  // Relative test, not `=== 0`: a "constant" series of decimals can leave rounding residue
  // of a few ulps in the moving range, which is still no variation at all.
  const degenerate = sigma <= Math.abs(mean) * 1e-12;
  return {
    version: SPC_LIMITS_VERSION,
    ...(options.learnedAt === undefined ? {} : { learnedAt: options.learnedAt }),
    ...(options.unit === undefined ? {} : { unit: options.unit }),
    n,
    mean,
    sigma,
    overallSigma: sigmaOverall,
    mrBar,
    ucl: mean + SHEWHART_WIDTH * sigma,
    lcl: mean - SHEWHART_WIDTH * sigma,
    mrUcl: D4 * mrBar,
    degenerate,
  };
}

// zod 4's number() already refuses NaN and ±Infinity.
const finite = z.number();
const limitsSchema = z.object({
  version: z.literal(SPC_LIMITS_VERSION),
  learnedAt: z.string().optional(),
  unit: z.string().optional(),
  n: z.number().int().min(MIN_BASELINE_POINTS),
  mean: finite,
  sigma: finite.min(0),
  overallSigma: finite.min(0),
  mrBar: finite.min(0),
  ucl: finite,
  lcl: finite,
  mrUcl: finite.min(0),
  degenerate: z.boolean(),
});

/**
 * Reads limits back from storage (parsed JSON). Refuses, with VALIDATION, anything that
 * is not a complete 'spc-1' object, so an old or hand-edited record cannot silently
 * judge new data.
 */
export function parseSpcLimits(input: unknown): SpcLimits {
  const parsed = limitsSchema.safeParse(input);
  if (!parsed.success) throw validationError('SPC limits', parsed.error.issues);
  const { learnedAt, unit, ...rest } = parsed.data;
  return {
    ...rest,
    ...(learnedAt === undefined ? {} : { learnedAt }),
    ...(unit === undefined ? {} : { unit }),
  };
}
