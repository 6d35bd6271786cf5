import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import {
  FORECAST_METHODS,
  fitForecastMethod,
  forecastDaily,
  forecastField,
  forecastSeries,
  mape,
  sumDailySeries,
  type DailyValue,
  type ForecastMethod,
  type StepForecast,
} from './forecast';
import { createRandom } from './random';

const days = (n: number, from = '2026-01-01') => {
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: n }, (_, k) =>
    new Date(start + k * 86_400_000).toISOString().slice(0, 10),
  );
};
const dated = (values: ReadonlyArray<number | null>, from?: string): DailyValue[] =>
  days(values.length, from).map((day, k) => ({ day, value: values[k]! }));

const exponential = (n: number, qi: number, di: number) =>
  Array.from({ length: n }, (_, t) => qi * Math.exp(-di * t));
const harmonic = (n: number, qi: number, di: number) =>
  Array.from({ length: n }, (_, t) => qi / (1 + di * t));
const hyperbolic = (n: number, qi: number, di: number, b: number) =>
  Array.from({ length: n }, (_, t) => qi / (1 + b * di * t) ** (1 / b));
const WEEKLY = [20, -10, 5, -25, 15, 0, -5];

function expectValidSteps(steps: readonly StepForecast[]) {
  for (const s of steps) {
    for (const v of [s.value, s.lower80, s.upper80, s.lower95, s.upper95]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(s.lower95).toBeLessThanOrEqual(s.lower80);
    expect(s.lower80).toBeLessThanOrEqual(s.value);
    expect(s.value).toBeLessThanOrEqual(s.upper80);
    expect(s.upper80).toBeLessThanOrEqual(s.upper95);
  }
}

function expectValidation(fn: () => unknown, reason: string) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION');
    expect((error as AppError).details?.reason).toBe(reason);
    return;
  }
  throw new Error(`expected a VALIDATION error (${reason})`);
}

describe('Arps decline curves', () => {
  it('recovers qi and Di of a noiseless exponential decline', () => {
    const p = fitForecastMethod('arps-exponential', exponential(90, 1000, 0.01))!.parameters;
    expect(p.qi).toBeCloseTo(1000, 6);
    expect(p.di).toBeCloseTo(0.01, 9);
    expect(p.b).toBe(0);
  });

  it('recovers qi and Di of a noiseless harmonic decline', () => {
    const p = fitForecastMethod('arps-harmonic', harmonic(90, 800, 0.03))!.parameters;
    expect(p.qi).toBeCloseTo(800, 3);
    expect(p.di).toBeCloseTo(0.03, 6);
    expect(p.b).toBe(1);
  });

  it('recovers qi, Di and b of a noiseless hyperbolic decline', () => {
    const p = fitForecastMethod('arps-hyperbolic', hyperbolic(90, 1200, 0.05, 0.5))!.parameters;
    expect(p.qi).toBeCloseTo(1200, 2);
    expect(p.di).toBeCloseTo(0.05, 5);
    expect(p.b).toBeCloseTo(0.5, 4);
  });

  it('keeps b inside [0.01, 0.99]', () => {
    expect(
      fitForecastMethod('arps-hyperbolic', exponential(60, 500, 0.02))!.parameters.b,
    ).toBeCloseTo(0.01, 6);
    expect(fitForecastMethod('arps-hyperbolic', harmonic(60, 500, 0.05))!.parameters.b).toBeCloseTo(
      0.99,
      6,
    );
  });

  it('leaves shut-in and missing days out of the fit', () => {
    const series: Array<number | null> = exponential(60, 1000, 0.01);
    for (const k of [5, 6, 7, 30, 44]) series[k] = 0;
    for (const k of [12, 50]) series[k] = null;
    const p = fitForecastMethod('arps-exponential', series)!.parameters;
    expect(p.qi).toBeCloseTo(1000, 6);
    expect(p.di).toBeCloseTo(0.01, 9);
    // The forecast continues the curve in calendar time.
    const next = fitForecastMethod('arps-exponential', series)!.forecast(1)[0]!.value;
    expect(next).toBeCloseTo(1000 * Math.exp(-0.01 * 60), 6);
  });

  it('does not let a rising series turn into exponential growth', () => {
    const rising = Array.from({ length: 30 }, (_, t) => 100 + t);
    expect(fitForecastMethod('arps-exponential', rising)!.parameters.di).toBe(0);
  });
});

describe('exponential smoothing', () => {
  it('Holt–Winters recovers a weekly pattern', () => {
    const rnd = createRandom(3);
    const n = 84;
    const series = Array.from({ length: n }, (_, t) => 500 + 2 * t + WEEKLY[t % 7]! + rnd.normal());
    const steps = fitForecastMethod('holt-winters', series)!.forecast(7);
    steps.forEach((s, k) => {
      const t = n + k;
      expect(Math.abs(s.value - (500 + 2 * t + WEEKLY[t % 7]!))).toBeLessThan(4);
    });
    const selected = forecastSeries(series);
    expect(selected.method).toBe('holt-winters');
    expect(selected.seasonalStrength).toBeGreaterThan(0.9);
  });

  it('keeps Holt–Winters out of the candidates without a weekly pattern or three weeks', () => {
    const rnd = createRandom(4);
    const flat = Array.from({ length: 60 }, () => 800 + 10 * rnd.normal());
    expect(forecastSeries(flat).candidates.map((c) => c.method)).not.toContain('holt-winters');
    const short = Array.from({ length: 20 }, (_, t) => 500 + WEEKLY[t % 7]!);
    expect(fitForecastMethod('holt-winters', short)).toBeNull();
  });

  it('runs across shut-in days without treating them as production', () => {
    const series: Array<number | null> = Array.from({ length: 40 }, () => 700);
    series[10] = 0;
    series[25] = null;
    const steps = fitForecastMethod('ses', series)!.forecast(7);
    for (const s of steps) expect(s.value).toBeCloseTo(700, 6);
  });
});

describe('prediction intervals', () => {
  const rnd = createRandom(11);
  const noisy = Array.from(
    { length: 70 },
    (_, t) => 1000 * Math.exp(-0.004 * t) * Math.exp(0.04 * rnd.normal()),
  );

  it.each(FORECAST_METHODS.filter((m) => m !== 'holt-winters'))(
    '%s: 95 % contains 80 %, and the interval widens with the horizon',
    (method) => {
      const steps = fitForecastMethod(method, noisy)!.forecast(7);
      expectValidSteps(steps);
      for (let k = 1; k < steps.length; k++) {
        const [before, after] = [steps[k - 1]!, steps[k]!];
        if (method.startsWith('arps-')) {
          // Log-normal: the interval is relative to the (declining) median.
          expect(after.upper95 / after.lower95).toBeGreaterThanOrEqual(
            (before.upper95 / before.lower95) * (1 - 1e-12),
          );
        } else {
          expect(after.upper95 - after.lower95).toBeGreaterThanOrEqual(
            (before.upper95 - before.lower95) * (1 - 1e-12),
          );
        }
      }
      const [first, last] = [steps[0]!, steps[6]!];
      expect(last.upper80 / last.lower80).toBeGreaterThan(first.upper80 / first.lower80);
    },
  );

  // Coverage of the 80 % interval over many seeded series, each forecast 7 days ahead.
  const coverage = (method: ForecastMethod, make: (seed: number) => number[]) => {
    let inside = 0;
    let total = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const series = make(seed);
      const fit = series.slice(0, series.length - 7);
      const steps = fitForecastMethod(method, fit)!.forecast(7);
      steps.forEach((s, k) => {
        const y = series[fit.length + k]!;
        if (y >= s.lower80 && y <= s.upper80) inside++;
        total++;
      });
    }
    return inside / total;
  };

  it('SES: about 80 % of new values fall in the 80 % interval (local level data)', () => {
    const share = coverage('ses', (seed) => {
      const r = createRandom(seed);
      let level = 1000;
      return Array.from({ length: 67 }, () => {
        level += 8 * r.normal();
        return level + 20 * r.normal();
      });
    });
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.88);
  });

  it('Holt: about 80 % coverage on a noisy linear trend', () => {
    const share = coverage('holt', (seed) => {
      const r = createRandom(1000 + seed);
      return Array.from({ length: 67 }, (_, t) => 2000 - 6 * t + 25 * r.normal());
    });
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.9);
  });

  it('Arps: about 80 % coverage with log-normal noise around a decline', () => {
    const share = coverage('arps-exponential', (seed) => {
      const r = createRandom(2000 + seed);
      return Array.from(
        { length: 67 },
        (_, t) => 900 * Math.exp(-0.006 * t) * Math.exp(0.05 * r.normal()),
      );
    });
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.88);
  });
});

describe('selection by holdout', () => {
  it.each([
    ['arps-exponential', exponential(75, 1000, 0.01)],
    ['arps-harmonic', harmonic(75, 800, 0.03)],
    ['arps-hyperbolic', hyperbolic(75, 1200, 0.05, 0.5)],
  ] as const)('picks %s on its own clean decline', (method, series) => {
    const result = forecastSeries(series);
    expect(result.method).toBe(method);
    expect(result.holdoutError).toBeLessThan(1e-6);
  });

  it('picks a Holt trend model on a clean rising trend', () => {
    const rnd = createRandom(5);
    const series = Array.from({ length: 60 }, (_, t) => 500 + 5 * t + 3 * rnd.normal());
    expect(['holt', 'holt-damped']).toContain(forecastSeries(series).method);
  });

  it('scores the candidates by MAPE on the last 7 days and reports it', () => {
    const result = forecastSeries(exponential(40, 1000, 0.02));
    expect(result.candidates.map((c) => c.method)).toEqual(
      FORECAST_METHODS.filter((m) => m !== 'holt-winters'),
    );
    const winner = result.candidates.find((c) => c.method === result.method)!;
    expect(winner.holdoutError).toBe(result.holdoutError);
    for (const c of result.candidates) {
      expect(c.holdoutError).not.toBeNull();
      expect(c.holdoutError!).toBeGreaterThanOrEqual(result.holdoutError!);
    }
  });

  it('MAPE skips shut-in and missing actuals', () => {
    expect(mape([100, 0, null, 200], [110, 50, 50, 180])).toBeCloseTo(10, 12);
    expect(mape([0, null], [1, 2])).toBeNull();
  });
});

describe('daily and field forecasts', () => {
  it('returns 7 dated days after the last one, with intervals', () => {
    const result = forecastDaily(dated(exponential(30, 900, 0.01), '2026-01-04'));
    expect(result.forecast.map((f) => f.day)).toEqual([
      '2026-02-03',
      '2026-02-04',
      '2026-02-05',
      '2026-02-06',
      '2026-02-07',
      '2026-02-08',
      '2026-02-09',
    ]);
    expect(result.holdoutMetric).toBe('mape');
    expect(Object.values(result.parameters).every(Number.isFinite)).toBe(true);
    expectValidSteps(result.forecast.map((f, k) => ({ ...f, step: k + 1 })));
  });

  it('treats a day absent from the list as missing', () => {
    const points = dated(exponential(30, 900, 0.01)).filter((_, k) => k !== 10);
    const result = forecastDaily(points);
    expect(result.method).toBe('arps-exponential');
    expect(result.forecast[0]!.value).toBeCloseTo(900 * Math.exp(-0.01 * 30), 6);
  });

  it('forecasts the field from its summed daily series, and the wells one by one', () => {
    const a = exponential(40, 600, 0.01);
    const b = hyperbolic(40, 900, 0.04, 0.6);
    const wellB: Array<number | null> = [...b];
    wellB[20] = 0; // shut in: the field still produced from well A that day
    const result = forecastField([
      { id: 'W-001', series: dated(a) },
      { id: 'W-002', series: dated(wellB) },
    ]);
    expect(result.fieldSeries[20]!.value).toBeCloseTo(a[20]!, 9);
    expect(result.fieldSeries[0]!.value).toBeCloseTo(a[0]! + b[0]!, 9);
    expect(result.wells.every((w) => w.ok)).toBe(true);
    expect(result.bottomUp).toHaveLength(7);
    const truth = 600 * Math.exp(-0.01 * 40) + 900 / (1 + 0.6 * 0.04 * 40) ** (1 / 0.6);
    expect(Math.abs(result.bottomUp![0]!.value - truth) / truth).toBeLessThan(0.005);
    expect(Math.abs(result.field.forecast[0]!.value - truth) / truth).toBeLessThan(0.02);
  });

  it('reports a well it cannot forecast without failing the field', () => {
    const result = forecastField([
      { id: 'W-001', series: dated(exponential(30, 600, 0.01)) },
      { id: 'W-002', series: dated(new Array<number>(30).fill(0)) },
    ]);
    const bad = result.wells.find((w) => w.id === 'W-002')!;
    expect(bad.ok).toBe(false);
    expect(result.bottomUp).toBeNull();
    expect(result.field.forecast).toHaveLength(7);
  });

  it('makes a field day missing when a well has no value for it', () => {
    const sum = sumDailySeries([
      { id: 'A', series: dated([1, 2, null, 4]) },
      { id: 'B', series: dated([10, 20, 30, 40, 50]) },
    ]);
    expect(sum.map((d) => d.value)).toEqual([11, 22, null, 44, 50]);
  });
});

describe('typed errors and no NaN', () => {
  it('refuses a series shorter than 14 days', () => {
    expectValidation(() => forecastSeries(exponential(13, 100, 0.01)), 'too_short');
    expectValidation(() => forecastDaily([]), 'too_short');
  });

  it('refuses an all-zero or all-missing series', () => {
    expectValidation(() => forecastSeries(new Array<number>(30).fill(0)), 'all_zero');
    expectValidation(() => forecastSeries(new Array<null>(30).fill(null)), 'all_zero');
  });

  it('refuses NaN, negative values, bad or unordered days and a bad horizon', () => {
    const base = exponential(20, 100, 0.01);
    expectValidation(
      () => forecastSeries(base.map((v, k) => (k === 3 ? NaN : v))),
      'invalid_value',
    );
    expectValidation(() => forecastSeries(base.map((v, k) => (k === 3 ? -1 : v))), 'invalid_value');
    const points = dated(base);
    expectValidation(
      () => forecastDaily([points[1]!, points[0]!, ...points.slice(2)]),
      'unordered_days',
    );
    expectValidation(
      () => forecastDaily([{ day: '2026-02-30', value: 1 }, ...points]),
      'invalid_day',
    );
    expectValidation(() => forecastDaily(points, { horizon: 0 }), 'invalid_horizon');
    expectValidation(
      () => forecastSeries([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5]),
      'too_few_producing',
    );
  });

  it('never returns NaN, whatever the (valid) shape of the series', () => {
    const rnd = createRandom(21);
    const shapes: Array<Array<number | null>> = [
      new Array<number>(20).fill(250), // constant: zero residual variance
      [...new Array<number>(12).fill(0), ...new Array<number>(10).fill(3)], // late start
      Array.from({ length: 30 }, (_, t) => (t % 3 === 0 ? 0 : 1e-9 * (1 + t))), // tiny
      Array.from({ length: 30 }, (_, t) => (t === 15 ? 1e9 : 100 + rnd.normal())), // a spike
      Array.from({ length: 40 }, (_, t) => (t >= 33 ? 0 : 500 - 10 * t)), // shut in at the end
      Array.from({ length: 50 }, (_, t) => (t % 7 === 0 ? null : 300 + 50 * rnd.normal())),
      Array.from({ length: 35 }, (_, t) => 10 * 1.2 ** t), // explosive growth
    ];
    for (const series of shapes) {
      const result = forecastSeries(series);
      expectValidSteps(result.forecast);
      expect(Object.values(result.parameters).every(Number.isFinite)).toBe(true);
      expect(result.holdoutError === null || Number.isFinite(result.holdoutError)).toBe(true);
      for (const method of FORECAST_METHODS) {
        const model = fitForecastMethod(method, series);
        if (model) expectValidSteps(model.forecast(7));
      }
    }
  });
});
