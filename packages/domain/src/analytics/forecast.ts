import { AppError } from '../errors';
import { fitArps, type ArpsKind } from './forecast-arps';
import {
  allFinite,
  FORECAST_METHODS,
  isProducing,
  type FittedModel,
  type ForecastMethod,
  type Series,
  type StepForecast,
} from './forecast-model';
import {
  fitSmoothing,
  SEASONAL_STRENGTH_THRESHOLD,
  weeklySeasonalStrength,
  type SmoothingKind,
} from './forecast-smoothing';

/**
 * Short-term (7-day) production forecasts per well and per field.
 *
 * Candidates: exponential smoothing (simple, Holt, damped Holt, additive Holt–Winters
 * when a weekly pattern is present) and Arps decline curves (exponential, harmonic,
 * hyperbolic). Each series picks its own method by holdout: the last 7 days are held
 * out, every candidate is fitted on the rest and scored by MAPE on the held-out days,
 * and the winner is refitted on all the data.
 *
 * Shut-in days (0) and missing days (null) are not observations of the producing rate:
 * they are excluded from every fit and from the holdout error. The forecast is therefore
 * the volume of a day on production; a planned shut-in is for the caller to apply. For
 * the same reason the holdout metric is plain MAPE over the producing held-out days:
 * the zeros sMAPE would exist for never reach it.
 *
 * Pure: no I/O, no clock, no randomness; the same input gives the same forecast.
 */
export {
  FORECAST_METHODS,
  type FittedModel,
  type ForecastMethod,
  type Series,
  type StepForecast,
} from './forecast-model';
export { weeklySeasonalStrength, SEASONAL_STRENGTH_THRESHOLD } from './forecast-smoothing';

export const FORECAST_HORIZON = 7;
export const HOLDOUT_DAYS = 7;
/** Shorter series are refused: a 7-day holdout would leave less than a week to fit. */
export const MIN_SERIES_DAYS = 14;
/** Producing days needed in the whole series (every method needs a few to fit). */
export const MIN_PRODUCING_DAYS = 7;
/** Longest series accepted (ten years of days), which bounds the work per call. */
export const MAX_SERIES_DAYS = 3660;

export interface DailyValue {
  /** Bogotá calendar day, 'YYYY-MM-DD'. */
  day: string;
  /** Volume of the day (bbl for oil); 0 = shut in; null = not measured. */
  value: number | null;
}

export interface ForecastDay {
  day: string;
  value: number;
  lower80: number;
  upper80: number;
  lower95: number;
  upper95: number;
}

export interface CandidateScore {
  method: ForecastMethod;
  /** MAPE (%) on the held-out days; null when the method could not be fitted or scored. */
  holdoutError: number | null;
}

export interface ForecastOptions {
  /** Periods to forecast (default 7). */
  horizon?: number;
  /** Candidate methods (default all). Holt–Winters still needs a weekly pattern. */
  methods?: readonly ForecastMethod[];
}

export interface Selection {
  method: ForecastMethod;
  /** The winner refitted on the whole series. */
  model: FittedModel;
  /** MAPE (%) of the winner on the holdout; null when the holdout had no producing day. */
  holdoutError: number | null;
  candidates: CandidateScore[];
  /** Weekly seasonal strength of the fitting part (Holt–Winters joins at ≥ 0.5). */
  seasonalStrength: number;
}

export interface SeriesForecast {
  method: ForecastMethod;
  parameters: Record<string, number>;
  forecast: ForecastDay[];
  /** MAPE (%) of the selected method on the last 7 days, fitted without them. */
  holdoutError: number | null;
  holdoutMetric: 'mape';
  candidates: CandidateScore[];
  seasonalStrength: number;
}

/**
 * Fits one method to a series; null when the series is too short for it (no error), or
 * when the fit yields a non-finite parameter or forecast within `horizon`: such a model
 * is no candidate, which is how the output never holds NaN.
 */
export function fitForecastMethod(
  method: ForecastMethod,
  values: Series,
  horizon = FORECAST_HORIZON,
): FittedModel | null {
  const model = method.startsWith('arps-')
    ? fitArps(method as ArpsKind, values)
    : fitSmoothing(method as SmoothingKind, values);
  if (!model) return null;
  if (!Object.values(model.parameters).every(Number.isFinite)) return null;
  return allFinite(model.forecast(horizon)) ? model : null;
}

/** Mean absolute percentage error (%) over the periods with a producing actual value. */
export function mape(actual: Series, predicted: readonly number[]): number | null {
  let sum = 0;
  let count = 0;
  actual.forEach((y, i) => {
    const p = predicted[i];
    if (!isProducing(y) || p === undefined || !Number.isFinite(p)) return;
    sum += Math.abs(y - p) / y;
    count++;
  });
  return count > 0 ? (100 * sum) / count : null;
}

/** Throws AppError('VALIDATION') for a series no method can be asked to forecast. */
export function validateSeries(values: Series, what = 'production series'): void {
  if (values.length < MIN_SERIES_DAYS) {
    throw new AppError(
      'VALIDATION',
      `${what} has ${values.length} days; at least ${MIN_SERIES_DAYS} are needed to forecast`,
      { details: { reason: 'too_short', length: values.length, minimum: MIN_SERIES_DAYS } },
    );
  }
  if (values.length > MAX_SERIES_DAYS) {
    throw new AppError('VALIDATION', `${what} has more than ${MAX_SERIES_DAYS} days`, {
      details: { reason: 'too_long', length: values.length, maximum: MAX_SERIES_DAYS },
    });
  }
  const bad = values.findIndex((v) => v !== null && (!Number.isFinite(v) || v < 0));
  if (bad >= 0) {
    throw new AppError('VALIDATION', `${what} has an invalid value at index ${bad}`, {
      details: { reason: 'invalid_value', index: bad, value: String(values[bad]) },
    });
  }
  const producing = values.filter(isProducing).length;
  if (producing === 0) {
    throw new AppError('VALIDATION', `${what} has no producing day (all zero or missing)`, {
      details: { reason: 'all_zero', length: values.length },
    });
  }
  if (producing < MIN_PRODUCING_DAYS) {
    throw new AppError(
      'VALIDATION',
      `${what} has ${producing} producing days; at least ${MIN_PRODUCING_DAYS} are needed`,
      { details: { reason: 'too_few_producing', producing, minimum: MIN_PRODUCING_DAYS } },
    );
  }
}

function candidatesFor(values: Series, methods: readonly ForecastMethod[]) {
  const strength = weeklySeasonalStrength(values);
  return {
    strength,
    methods: methods.filter((m) => m !== 'holt-winters' || strength >= SEASONAL_STRENGTH_THRESHOLD),
  };
}

/**
 * Picks the method for one series by its error on the last 7 periods (fitted without
 * them), then refits the winner on everything. When no candidate can be scored (no
 * producing day in the holdout), the order of FORECAST_METHODS decides: SES first, the
 * most conservative forecast.
 */
export function selectForecastModel(values: Series, options: ForecastOptions = {}): Selection {
  validateSeries(values);
  const methods = options.methods ?? FORECAST_METHODS;
  const horizon = checkedHorizon(options.horizon);
  const train = values.slice(0, values.length - HOLDOUT_DAYS);
  const held = values.slice(values.length - HOLDOUT_DAYS);
  const { strength, methods: eligible } = candidatesFor(train, methods);
  const candidates: CandidateScore[] = eligible.map((method) => {
    const model = fitForecastMethod(method, train, HOLDOUT_DAYS);
    if (!model) return { method, holdoutError: null };
    const predicted = model.forecast(HOLDOUT_DAYS).map((s) => s.value);
    return { method, holdoutError: mape(held, predicted) };
  });
  const preference = (m: ForecastMethod) => FORECAST_METHODS.indexOf(m);
  const ranked = [...candidates].sort((x, y) => {
    if (x.holdoutError === null || y.holdoutError === null) {
      if (x.holdoutError !== y.holdoutError) return x.holdoutError === null ? 1 : -1;
    } else if (x.holdoutError !== y.holdoutError) {
      return x.holdoutError - y.holdoutError;
    }
    return preference(x.method) - preference(y.method);
  });
  // The winner's refit can only fail on pathological input; then the next one is taken.
  const fallbacks: ForecastMethod[] = [...ranked.map((c) => c.method), 'ses'];
  for (const method of fallbacks) {
    const model = fitForecastMethod(method, values, horizon);
    if (!model) continue;
    const holdoutError = candidates.find((c) => c.method === method)?.holdoutError ?? null;
    return { method, model, holdoutError, candidates, seasonalStrength: strength };
  }
  throw new AppError('INTERNAL', 'no forecasting method could be fitted to a valid series');
}

/** Selection and forecast on a period-indexed series (steps instead of days). */
export function forecastSeries(
  values: Series,
  options: ForecastOptions = {},
): Omit<Selection, 'model'> & { parameters: Record<string, number>; forecast: StepForecast[] } {
  const horizon = checkedHorizon(options.horizon);
  const { model, ...selection } = selectForecastModel(values, options);
  return { ...selection, parameters: model.parameters, forecast: model.forecast(horizon) };
}

function checkedHorizon(horizon: number | undefined): number {
  const h = horizon ?? FORECAST_HORIZON;
  if (!Number.isInteger(h) || h < 1 || h > 30) {
    throw new AppError('VALIDATION', 'the forecast horizon must be 1 to 30 days', {
      details: { reason: 'invalid_horizon', horizon: h },
    });
  }
  return h;
}

// ---------------------------------------------------------------------------------------
// Calendar days

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'YYYY-MM-DD' as a day number (days since 1970-01-01), or null when not a real date. */
function dayNumber(day: string): number | null {
  const match = DAY_PATTERN.exec(day);
  if (!match) return null;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== day) return null;
  return ms / DAY_MS;
}

function dayString(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Dated values to a gap-free series: days must be increasing and unique; a day absent
 * from the list becomes null (missing).
 */
export function toDailySeries(
  points: readonly DailyValue[],
  what = 'production series',
): { first: number; values: Array<number | null> } {
  if (points.length === 0) {
    throw new AppError('VALIDATION', `${what} is empty`, {
      details: { reason: 'too_short', length: 0, minimum: MIN_SERIES_DAYS },
    });
  }
  const numbers = points.map((p, index) => {
    const n = dayNumber(p.day);
    if (n === null) {
      throw new AppError('VALIDATION', `${what}: '${p.day}' is not a date (YYYY-MM-DD)`, {
        details: { reason: 'invalid_day', index },
      });
    }
    return n;
  });
  const first = numbers[0]!;
  const span = numbers[numbers.length - 1]! - first + 1;
  if (span > MAX_SERIES_DAYS) {
    throw new AppError('VALIDATION', `${what} spans more than ${MAX_SERIES_DAYS} days`, {
      details: { reason: 'too_long', length: span, maximum: MAX_SERIES_DAYS },
    });
  }
  const values = new Array<number | null>(Math.max(0, span)).fill(null);
  numbers.forEach((n, index) => {
    if (index > 0 && n <= numbers[index - 1]!) {
      throw new AppError('VALIDATION', `${what}: days must be increasing and unique`, {
        details: { reason: 'unordered_days', index, day: points[index]!.day },
      });
    }
    values[n - first] = points[index]!.value;
  });
  return { first, values };
}

/** 7-day forecast of one daily series (a well, or a field's summed volumes). */
export function forecastDaily(
  points: readonly DailyValue[],
  options: ForecastOptions = {},
): SeriesForecast {
  const horizon = checkedHorizon(options.horizon);
  const { first, values } = toDailySeries(points);
  const selection = selectForecastModel(values, options);
  const last = first + values.length - 1;
  return {
    method: selection.method,
    parameters: selection.model.parameters,
    forecast: selection.model.forecast(horizon).map(({ step, ...rest }) => ({
      day: dayString(last + step),
      ...rest,
    })),
    holdoutError: selection.holdoutError,
    holdoutMetric: 'mape',
    candidates: selection.candidates,
    seasonalStrength: selection.seasonalStrength,
  };
}

// ---------------------------------------------------------------------------------------
// Field

export interface WellSeries {
  id: string;
  series: readonly DailyValue[];
}

export type WellForecast =
  { id: string; ok: true; forecast: SeriesForecast } | { id: string; ok: false; error: AppError };

export interface FieldForecast {
  /** Forecast of the field's summed daily series (the primary answer). */
  field: SeriesForecast;
  /** The summed series it was fitted on. */
  fieldSeries: DailyValue[];
  wells: WellForecast[];
  /**
   * Σ of the wells' point forecasts per day, for comparison; null when a well could not
   * be forecast. No interval: summing well intervals would need their correlation.
   */
  bottomUp: Array<{ day: string; value: number }> | null;
}

/**
 * The field's daily series: per day, the sum of its wells. Within a well's own date
 * range a missing value makes the field day missing (a partial sum would look like a
 * drop in production); before a well's first day or after its last it adds nothing (not
 * yet producing, or abandoned). A shut-in well adds 0 and the field day stays valid.
 */
export function sumDailySeries(wells: readonly WellSeries[]): DailyValue[] {
  if (wells.length === 0) {
    throw new AppError('VALIDATION', 'a field needs at least one well', {
      details: { reason: 'no_wells' },
    });
  }
  const aligned = wells.map((w) => toDailySeries(w.series, `well ${w.id}`));
  const first = Math.min(...aligned.map((a) => a.first));
  const last = Math.max(...aligned.map((a) => a.first + a.values.length - 1));
  if (last - first + 1 > MAX_SERIES_DAYS) {
    throw new AppError('VALIDATION', `the field spans more than ${MAX_SERIES_DAYS} days`, {
      details: { reason: 'too_long', length: last - first + 1, maximum: MAX_SERIES_DAYS },
    });
  }
  const result: DailyValue[] = [];
  for (let n = first; n <= last; n++) {
    let sum: number | null = 0;
    for (const a of aligned) {
      const i = n - a.first;
      if (i < 0 || i >= a.values.length) continue;
      const v = a.values[i];
      if (v === null || v === undefined) {
        sum = null;
        break;
      }
      sum += v;
    }
    result.push({ day: dayString(n), value: sum });
  }
  return result;
}

/**
 * Field forecast = forecast of the field's summed daily series, not the sum of the well
 * forecasts: well errors are correlated (shared facilities, field-wide curtailment), so
 * well intervals cannot simply be added; the sum is smoother (one well's noise and
 * shut-ins average out) and it is the quantity the fiscal meter and the regulator see.
 * The bottom-up sum of well point forecasts is returned too: when single-well shut-ins
 * are frequent it can be the more accurate point forecast (the summed series sees each
 * shut-in as a dip, while every well model leaves its shut-ins out), so the backtest
 * scores both.
 */
export function forecastField(
  wells: readonly WellSeries[],
  options: ForecastOptions = {},
): FieldForecast {
  const fieldSeries = sumDailySeries(wells);
  const field = forecastDaily(fieldSeries, options);
  const perWell: WellForecast[] = wells.map((w) => {
    try {
      return { id: w.id, ok: true, forecast: forecastDaily(w.series, options) };
    } catch (error) {
      if (error instanceof AppError && error.code === 'VALIDATION') {
        return { id: w.id, ok: false, error };
      }
      throw error;
    }
  });
  const bottomUp = perWell.every((w) => w.ok)
    ? field.forecast.map(({ day }) => ({
        day,
        // Wells whose series end before the field's last day forecast other dates: a
        // well adds its forecast for that very day, or nothing.
        value: perWell.reduce(
          (sum, w) =>
            sum + (w.ok ? (w.forecast.forecast.find((x) => x.day === day)?.value ?? 0) : 0),
          0,
        ),
      }))
    : null;
  return { field, fieldSeries, wells: perWell, bottomUp };
}
