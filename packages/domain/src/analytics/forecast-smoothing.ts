import { isProducing, type FittedModel, type Series, type StepForecast } from './forecast-model';
import { gridThenRefine, linearFit, Z80, Z95, type Bound } from './forecast-optim';

/**
 * Exponential smoothing with additive errors (Hyndman et al., "Forecasting with
 * Exponential Smoothing", 2008): simple (ETS A,N,N), Holt's linear trend (A,A,N), its
 * damped form (A,Ad,N) and additive Holt–Winters (A,A,A) with a weekly period.
 *
 * The recursions run in error-correction form, which makes a missing or shut-in period
 * easy to treat honestly: the states are propagated by the model with no correction
 * (what a Kalman filter does with a missing observation), and the period adds nothing
 * to the sum of squared one-step errors. Parameters minimise that sum (grid, then
 * Nelder–Mead; deterministic). Initial states come from a least-squares line (and, for
 * Holt–Winters, weekday means of its residuals) over the first producing periods.
 */
export const WEEK = 7;

export type SmoothingKind = 'ses' | 'holt' | 'holt-damped' | 'holt-winters';

interface Spec {
  trend: boolean;
  damped: boolean;
  seasonal: boolean;
}

const SPECS: Record<SmoothingKind, Spec> = {
  ses: { trend: false, damped: false, seasonal: false },
  holt: { trend: true, damped: false, seasonal: false },
  'holt-damped': { trend: true, damped: true, seasonal: false },
  'holt-winters': { trend: true, damped: false, seasonal: true },
};

/** Classical smoothing parameters, all in (0, 1); phi is the damping factor. */
interface Parameters {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

interface States {
  level: number;
  trend: number;
  /** Indexed by period mod `WEEK`. */
  season: number[];
}

const ALPHA: Bound = { lo: 1e-4, hi: 0.9999 };
const BETA: Bound = { lo: 1e-4, hi: 0.9999 };
const GAMMA: Bound = { lo: 1e-4, hi: 0.9999 };
/** Hyndman's usual range: below 0.8 the damping is implausibly fast, above 0.98 it is Holt. */
const PHI: Bound = { lo: 0.8, hi: 0.98 };

/** Producing observations a method needs before it is fitted at all. */
export function smoothingApplicable(kind: SmoothingKind, values: Series): boolean {
  const producing = values.filter(isProducing).length;
  if (kind === 'ses') return producing >= 3;
  if (kind === 'holt-winters') return values.length >= 3 * WEEK && producing >= 2 * WEEK + 3;
  return producing >= 5;
}

/**
 * State-space coefficients: level α, trend β* = α·β, season γ* = γ·(1 − α) (so the
 * classical γ ∈ (0,1) keeps the model forecastable, 0 < γ* < 1 − α).
 */
function stateSpace(p: Parameters, spec: Spec) {
  return {
    alpha: p.alpha,
    beta: spec.trend ? p.alpha * p.beta : 0,
    gamma: spec.seasonal ? p.gamma * (1 - p.alpha) : 0,
    phi: spec.trend ? (spec.damped ? p.phi : 1) : 0,
  };
}

function initialStates(values: Series, spec: Spec, phi: number): States {
  const window = spec.seasonal ? 2 * WEEK : 10;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = 0; t < values.length && xs.length < window; t++) {
    const v = values[t];
    if (isProducing(v)) {
      xs.push(t);
      ys.push(v);
    }
  }
  const season = new Array<number>(WEEK).fill(0);
  if (!spec.trend) {
    const first = ys.slice(0, 5);
    return { level: first.reduce((s, v) => s + v, 0) / first.length, trend: 0, season };
  }
  const line = linearFit(xs, ys);
  if (spec.seasonal) {
    const sums = new Array<number>(WEEK).fill(0);
    const counts = new Array<number>(WEEK).fill(0);
    xs.forEach((t, i) => {
      sums[t % WEEK]! += ys[i]! - (line.a + line.b * t);
      counts[t % WEEK]!++;
    });
    for (let k = 0; k < WEEK; k++) season[k] = counts[k]! > 0 ? sums[k]! / counts[k]! : 0;
    const mean = season.reduce((s, v) => s + v, 0) / WEEK;
    for (let k = 0; k < WEEK; k++) season[k]! -= mean;
  }
  // States at t = −1, so that the first one-step forecast is the line's value at t = 0.
  return { level: line.a - phi * line.b, trend: line.b, season };
}

interface FilterResult {
  sse: number;
  count: number;
  final: States;
}

function filter(values: Series, p: Parameters, spec: Spec, init: States): FilterResult {
  const ss = stateSpace(p, spec);
  let level = init.level;
  let trend = init.trend;
  const season = [...init.season];
  let sse = 0;
  let count = 0;
  for (let t = 0; t < values.length; t++) {
    const s = season[t % WEEK]!;
    const predicted = level + ss.phi * trend + s;
    const y = values[t];
    const error = isProducing(y) ? y - predicted : 0;
    if (isProducing(y)) {
      sse += error * error;
      count++;
    }
    level = level + ss.phi * trend + ss.alpha * error;
    trend = ss.phi * trend + ss.beta * error;
    if (spec.seasonal) season[t % WEEK] = s + ss.gamma * error;
  }
  return { sse, count, final: { level, trend, season } };
}

/** Σ φ^i for i = 1..h (h when undamped). */
function dampedSum(phi: number, h: number): number {
  let sum = 0;
  let power = 1;
  for (let i = 1; i <= h; i++) {
    power *= phi;
    sum += power;
  }
  return sum;
}

/**
 * Fits one smoothing method by minimising the one-step-ahead SSE. Returns null when the
 * series has too few producing periods for it (the caller then skips the method).
 */
export function fitSmoothing(kind: SmoothingKind, values: Series): FittedModel | null {
  if (!smoothingApplicable(kind, values)) return null;
  const spec = SPECS[kind];
  const axes: number[][] = [[0.05, 0.2, 0.4, 0.6, 0.8, 0.95]];
  const bounds: Bound[] = [ALPHA];
  if (spec.trend) {
    axes.push([0.01, 0.1, 0.3]);
    bounds.push(BETA);
  }
  if (spec.seasonal) {
    axes.push([0.01, 0.1, 0.3]);
    bounds.push(GAMMA);
  }
  if (spec.damped) {
    axes.push([0.85, 0.95]);
    bounds.push(PHI);
  }
  const unpack = (x: readonly number[]): Parameters => {
    let i = 0;
    const alpha = x[i++]!;
    const beta = spec.trend ? x[i++]! : 0;
    const gamma = spec.seasonal ? x[i++]! : 0;
    const phi = spec.damped ? x[i++]! : 1;
    return { alpha, beta, gamma, phi };
  };
  const objective = (x: number[]) => {
    const p = unpack(x);
    return filter(values, p, spec, initialStates(values, spec, stateSpace(p, spec).phi)).sse;
  };
  const best = gridThenRefine(objective, axes, bounds, { maxEvaluations: 150 * bounds.length });
  const p = unpack(best.x);
  const ss = stateSpace(p, spec);
  const run = filter(values, p, spec, initialStates(values, spec, ss.phi));
  // Degrees of freedom: smoothing parameters plus initial states (level, trend, 6 free
  // seasonal indices), as estimated quantities.
  const estimated = bounds.length + 1 + (spec.trend ? 1 : 0) + (spec.seasonal ? WEEK - 1 : 0);
  const dof = run.count - estimated >= 1 ? run.count - estimated : run.count;
  const sigma = Math.sqrt(run.sse / Math.max(1, dof));
  if (!Number.isFinite(sigma) || !Number.isFinite(run.final.level)) return null;

  const parameters: Record<string, number> = { alpha: p.alpha };
  if (spec.trend) parameters.beta = p.beta;
  if (spec.seasonal) parameters.gamma = p.gamma;
  if (spec.damped) parameters.phi = p.phi;
  parameters.sigma = sigma;
  const n = values.length;

  return {
    method: kind,
    parameters,
    observations: run.count,
    forecast(horizon: number): StepForecast[] {
      const steps: StepForecast[] = [];
      // Variance of the h-step error: σ²·(1 + Σ_{j<h} c_j²), c_j = α + β*·Σφ^i + γ*·[j ≡ 0 mod 7]
      // (Hyndman et al. 2008, ch. 6, class 1 models).
      let sumSquares = 0;
      for (let h = 1; h <= horizon; h++) {
        if (h > 1) {
          const j = h - 1;
          const c = ss.alpha + ss.beta * dampedSum(ss.phi, j) + (j % WEEK === 0 ? ss.gamma : 0);
          sumSquares += c * c;
        }
        const mean =
          run.final.level +
          dampedSum(ss.phi, h) * run.final.trend +
          (spec.seasonal ? run.final.season[(n + h - 1) % WEEK]! : 0);
        const sd = sigma * Math.sqrt(1 + sumSquares);
        steps.push(nonNegative(h, mean, sd));
      }
      return steps;
    },
  };
}

/**
 * Production is never negative: the point forecast and the bounds are clipped at 0 (the
 * interval then covers at least its nominal probability).
 */
function nonNegative(step: number, mean: number, sd: number): StepForecast {
  const clip = (v: number) => Math.max(0, v);
  return {
    step,
    value: clip(mean),
    lower80: clip(mean - Z80 * sd),
    upper80: clip(mean + Z80 * sd),
    lower95: clip(mean - Z95 * sd),
    upper95: clip(mean + Z95 * sd),
  };
}

/**
 * Strength of a weekly pattern in [0, 1] (Hyndman's seasonal strength): the series minus
 * a centred 7-period moving average, split into weekday means and a remainder;
 * 1 − Var(remainder)/Var(detrended). Producing periods only.
 */
export function weeklySeasonalStrength(values: Series): number {
  const n = values.length;
  if (n < 3 * WEEK) return 0;
  const detrended: Array<number | null> = new Array<number | null>(n).fill(null);
  for (let t = 3; t < n - 3; t++) {
    const y = values[t];
    if (!isProducing(y)) continue;
    let sum = 0;
    let count = 0;
    for (let k = t - 3; k <= t + 3; k++) {
      const v = values[k];
      if (isProducing(v)) {
        sum += v;
        count++;
      }
    }
    // A window missing more than two days is no trend estimate.
    if (count >= 5) detrended[t] = y - sum / count;
  }
  const sums = new Array<number>(WEEK).fill(0);
  const counts = new Array<number>(WEEK).fill(0);
  detrended.forEach((d, t) => {
    if (d === null) return;
    sums[t % WEEK]! += d;
    counts[t % WEEK]!++;
  });
  if (counts.some((c) => c < 2)) return 0;
  const means = sums.map((s, k) => s / counts[k]!);
  const grand = means.reduce((s, v) => s + v, 0) / WEEK;
  let varDetrended = 0;
  let varRemainder = 0;
  let m = 0;
  let meanD = 0;
  detrended.forEach((d) => {
    if (d === null) return;
    meanD += d;
    m++;
  });
  meanD /= m;
  detrended.forEach((d, t) => {
    if (d === null) return;
    varDetrended += (d - meanD) ** 2;
    varRemainder += (d - (means[t % WEEK]! - grand) - meanD) ** 2;
  });
  if (varDetrended <= 0) return 0;
  return Math.max(0, Math.min(1, 1 - varRemainder / varDetrended));
}

/** Threshold on the weekly strength above which Holt–Winters joins the candidates. */
export const SEASONAL_STRENGTH_THRESHOLD = 0.5;
