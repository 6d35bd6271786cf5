import { isProducing, type FittedModel, type Series, type StepForecast } from './forecast-model';
import { gridThenRefine, invertSymmetric, linearFit, Z80, Z95, type Bound } from './forecast-optim';

/**
 * Arps decline curves, q(t) = qi / (1 + b·Di·t)^(1/b): exponential (b = 0,
 * q = qi·e^(−Di·t)), harmonic (b = 1) and hyperbolic (b bounded to [0.01, 0.99]).
 * t counts periods (days) from the first period of the series, in calendar time.
 *
 * Fitted by least squares on ln q, not on q, because:
 * - daily volumes carry proportional errors (allocation factors, meter uncertainty, a
 *   few hours more or less on production are all a percentage of the volume), which
 *   the log makes homoscedastic; least squares on q would let the early, high-rate
 *   days dominate the fit;
 * - the error that matters downstream (MAPE, selection) is relative too;
 * - the exponential becomes a straight line (closed form), and ln qi is profiled out
 *   of the others, leaving a 1-D (harmonic) or 2-D (hyperbolic) search;
 * - the residuals of ln q give a log-normal prediction interval directly, and q stays
 *   positive whatever the parameters. The point forecast is the median, exp(E[ln q]).
 * Shut-in (q = 0) and missing days are excluded from the fit: ln 0 is undefined, and a
 * shut-in day says nothing about the rate the reservoir would deliver. Time keeps
 * running through them (calendar days, not producing days), which for a few shut-in
 * days differs negligibly from a producing-time fit.
 * Di is kept ≥ 0: a decline curve that rises is the wrong family, and the holdout
 * selection will prefer another method.
 */
export type ArpsKind = 'arps-exponential' | 'arps-harmonic' | 'arps-hyperbolic';

const B_BOUND: Bound = { lo: 0.01, hi: 0.99 };
/** log10 of Di per period: from practically flat to a rate that halves every period. */
const LOG_D: Bound = { lo: -6, hi: 1 };
const LOG_D_GRID = Array.from({ length: 29 }, (_, i) => -6 + i * 0.25);
const B_GRID = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95];

/** −ln(q(t)/qi) for each variant. */
function decline(kind: ArpsKind, t: number, d: number, b: number): number {
  if (kind === 'arps-exponential') return d * t;
  if (kind === 'arps-harmonic') return Math.log1p(d * t);
  return Math.log1p(b * d * t) / b;
}

/** ∂ln q/∂(ln qi, Di, b) at t. */
function gradient(kind: ArpsKind, t: number, d: number, b: number): [number, number, number] {
  if (kind === 'arps-exponential') return [1, -t, 0];
  if (kind === 'arps-harmonic') return [1, -t / (1 + d * t), 0];
  const u = 1 + b * d * t;
  return [1, -t / u, Math.log(u) / (b * b) - (d * t) / (b * u)];
}

interface Points {
  t: number[];
  logQ: number[];
}

function producingPoints(values: Series): Points {
  const t: number[] = [];
  const logQ: number[] = [];
  values.forEach((v, i) => {
    if (isProducing(v)) {
      t.push(i);
      logQ.push(Math.log(v));
    }
  });
  return { t, logQ };
}

/** ln qi that minimises the SSE for given Di and b, and that SSE. */
function profile(kind: ArpsKind, points: Points, d: number, b: number) {
  const n = points.t.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += points.logQ[i]! + decline(kind, points.t[i]!, d, b);
  const a = sum / n;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const r = points.logQ[i]! - (a - decline(kind, points.t[i]!, d, b));
    sse += r * r;
  }
  return { a, sse };
}

export function arpsApplicable(kind: ArpsKind, values: Series): boolean {
  return values.filter(isProducing).length >= (kind === 'arps-hyperbolic' ? 4 : 3);
}

/** Fits one Arps variant; null when there are too few producing days. */
export function fitArps(kind: ArpsKind, values: Series): FittedModel | null {
  if (!arpsApplicable(kind, values)) return null;
  const points = producingPoints(values);
  let d: number;
  let b = kind === 'arps-harmonic' ? 1 : kind === 'arps-hyperbolic' ? 0.5 : 0;
  if (kind === 'arps-exponential') {
    d = Math.max(0, -linearFit(points.t, points.logQ).b);
  } else if (kind === 'arps-harmonic') {
    const fit = gridThenRefine(
      ([logD]) => profile(kind, points, 10 ** logD!, 1).sse,
      [LOG_D_GRID],
      [LOG_D],
      { maxEvaluations: 200, tolerance: 1e-14 },
    );
    d = 10 ** fit.x[0]!;
  } else {
    const fit = gridThenRefine(
      ([bb, logD]) => profile(kind, points, 10 ** logD!, bb!).sse,
      [B_GRID, LOG_D_GRID],
      [B_BOUND, LOG_D],
      { maxEvaluations: 600, tolerance: 1e-14 },
    );
    b = fit.x[0]!;
    d = 10 ** fit.x[1]!;
  }
  const { a, sse } = profile(kind, points, d, b);

  // Parameters sitting on a bound are not estimated in the usual sense: they leave the
  // linearised covariance (they would make it singular).
  const free = [true, d > 10 ** (LOG_D.lo + 0.1), false];
  if (kind === 'arps-hyperbolic')
    free[2] = free[1]! && b > B_BOUND.lo + 1e-3 && b < B_BOUND.hi - 1e-3;
  const columns = free.flatMap((f, i) => (f ? [i] : []));
  const n = points.t.length;
  const dof = n - columns.length >= 1 ? n - columns.length : n;
  const s2 = sse / dof;
  const information = columns.map(() => new Array<number>(columns.length).fill(0));
  for (const t of points.t) {
    const g = gradient(kind, t, d, b);
    columns.forEach((ci, r) =>
      columns.forEach((cj, c) => (information[r]![c]! += g[ci]! * g[cj]!)),
    );
  }
  const covariance = invertSymmetric(information);
  if (!Number.isFinite(a) || !Number.isFinite(s2)) return null;
  const last = values.length - 1;

  return {
    method: kind,
    parameters: { qi: Math.exp(a), di: d, b, sigmaLog: Math.sqrt(s2) },
    observations: n,
    forecast(horizon: number): StepForecast[] {
      const steps: StepForecast[] = [];
      for (let h = 1; h <= horizon; h++) {
        const t = last + h;
        const mean = a - decline(kind, t, d, b);
        // Linearised prediction variance: s²·(1 + gᵀ (JᵀJ)⁻¹ g), which grows with the
        // distance from the data; without a usable covariance, s²·(1 + 1/n).
        const g = gradient(kind, t, d, b);
        let leverage = 1 / n;
        if (covariance) {
          leverage = 0;
          columns.forEach((ci, r) =>
            columns.forEach((cj, c) => (leverage += g[ci]! * covariance[r]![c]! * g[cj]!)),
          );
        }
        const sd = Math.sqrt(s2 * (1 + Math.max(0, leverage)));
        steps.push({
          step: h,
          value: Math.exp(mean),
          lower80: Math.exp(mean - Z80 * sd),
          upper80: Math.exp(mean + Z80 * sd),
          lower95: Math.exp(mean - Z95 * sd),
          upper95: Math.exp(mean + Z95 * sd),
        });
      }
      return steps;
    },
  };
}
