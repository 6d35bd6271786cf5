/**
 * What every forecasting method shares: the series it reads, the fitted model it returns
 * and the per-step forecast with its intervals. Kept apart so the smoothing and Arps
 * modules do not import each other.
 */

/**
 * One value per period (a day for production), oldest first. `null` is a missing
 * reading and `0` a shut-in day: neither is an observation of the producing rate, so both
 * are left out of every fit and every error (see `isProducing`).
 */
export type Series = ReadonlyArray<number | null>;

export type ForecastMethod =
  | 'ses'
  | 'holt'
  | 'holt-damped'
  | 'holt-winters'
  | 'arps-exponential'
  | 'arps-harmonic'
  | 'arps-hyperbolic';

/**
 * Every method, in the order of preference used to break an exact tie in the holdout
 * error: the simpler model first.
 */
export const FORECAST_METHODS: readonly ForecastMethod[] = [
  'ses',
  'holt-damped',
  'holt',
  'arps-exponential',
  'arps-harmonic',
  'arps-hyperbolic',
  'holt-winters',
];

export interface StepForecast {
  /** 1 = the period right after the last one of the series. */
  step: number;
  value: number;
  lower80: number;
  upper80: number;
  lower95: number;
  upper95: number;
}

export interface FittedModel {
  method: ForecastMethod;
  /** Fitted parameters by name (alpha, beta, gamma, phi; qi, di, b; sigma …). All finite. */
  parameters: Record<string, number>;
  /** Producing periods the fit used. */
  observations: number;
  /** Forecast of the next `horizon` periods, with 80 % and 95 % prediction intervals. */
  forecast(horizon: number): StepForecast[];
}

/** A value that observes the producing rate: finite and strictly positive. */
export function isProducing(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** True when every number of every step is finite (the forecasts never return NaN). */
export function allFinite(steps: readonly StepForecast[]): boolean {
  return steps.every(
    (s) =>
      Number.isFinite(s.value) &&
      Number.isFinite(s.lower80) &&
      Number.isFinite(s.upper80) &&
      Number.isFinite(s.lower95) &&
      Number.isFinite(s.upper95),
  );
}
