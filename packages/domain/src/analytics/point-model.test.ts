import { describe, expect, it } from 'vitest';
import { createRandom } from './random';
import {
  alertStep,
  describePointAnomaly,
  loadPointModel,
  scorePointWindows,
  trainPointModel,
  tunedThreshold,
  type VariableSeries,
} from './point-model';

/** A well's slots: tubing and casing head pressure and temperature, correlated, with noise. */
function well(slots: number, seed: number): VariableSeries[] {
  const random = createRandom(seed);
  const thp = new Float64Array(slots);
  const chp = new Float64Array(slots);
  const temp = new Float64Array(slots);
  for (let i = 0; i < slots; i++) {
    const daily = Math.sin((2 * Math.PI * i) / 144);
    thp[i] = 800 + 15 * daily + 4 * random.normal();
    chp[i] = 450 + 0.5 * (thp[i]! - 800) + 3 * random.normal();
    temp[i] = 160 + 2 * daily + 0.5 * random.normal();
  }
  return [
    { code: 'tubing_head_pressure', values: thp },
    { code: 'casing_head_pressure', values: chp },
    { code: 'wellhead_temperature', values: temp },
  ];
}

describe('point model', () => {
  const baseline = well(3 * 144, 11);
  const trained = trainPointModel(baseline, { seed: 5 });

  it('stays quiet on a normal day and flags a pressure excursion, naming it', () => {
    const day = well(144 + 6, 12);
    const quiet = scorePointWindows(trained, day, 0);
    const rate = quiet.filter((s) => s.anomalous).length / quiet.length;
    expect(rate).toBeLessThan(0.03);

    for (let i = 100; i < 106; i++) day[0]!.values[i] = day[0]!.values[i]! + 120; // THP jumps
    const scored = scorePointWindows(trained, day, 0);
    const hit = scored.find((s) => s.index === 105)!;
    expect(hit.anomalous).toBe(true);
    expect(hit.drivers[0]!.variable).toBe('tubing_head_pressure');
    expect(hit.drivers[0]!.z).toBeGreaterThan(3);
    const message = describePointAnomaly('RUB-001', hit);
    // A 30σ jump of one variable: outside the baseline's envelope (and maybe the forest's).
    expect(hit.detector).not.toBeNull();
    expect(message.es).toMatch(
      /^RUB-001: (comportamiento conjunto inusual \(puntaje 0,\d+ > umbral 0,\d+\)|fuera de todo lo visto en su línea base)\. Principales: tubing_head_pressure\./,
    );
    expect(message.en).toContain('tubing_head_pressure');
  });

  it('a stuck or missing gauge (flagged slots) is left out, not called an anomaly', () => {
    const day = well(144 + 6, 13);
    day[1]!.values.fill(NaN, 40, 120); // casing pressure flagged bad for 80 slots
    const scored = scorePointWindows(trained, day, 0);
    const during = scored.filter((s) => s.index >= 50 && s.index < 120);
    expect(during.every((s) => s.excluded.includes('casing_head_pressure'))).toBe(true);
    expect(during.filter((s) => s.anomalous).length / during.length).toBeLessThan(0.05);
    // Every variable out: nothing to judge, no score at all.
    const dead = well(20, 14).map((s) => ({ ...s, values: s.values.fill(NaN) }));
    expect(scorePointWindows(trained, dead, 0)).toEqual([]);
  });

  it('scores identically after a JSON round trip', () => {
    const day = well(60, 15);
    const again = loadPointModel(JSON.parse(JSON.stringify(trained.model)));
    expect(scorePointWindows(again, day, 0)).toEqual(scorePointWindows(trained, day, 0));
  });

  it('refuses a baseline that is too short or does not vary', () => {
    expect(() => trainPointModel(well(100, 1))).toThrow(/not enough baseline windows/);
    const flat = well(200, 2).map((s) => ({ ...s, values: s.values.fill(7) }));
    expect(() => trainPointModel(flat)).toThrow(/varies/);
  });
});

describe('operators tune the threshold', () => {
  it('rises above false alarms, never above a confirmed real one', () => {
    expect(tunedThreshold(0.6, [])).toBe(0.6);
    expect(tunedThreshold(0.6, [{ score: 0.65, verdict: 'false_alarm' }])).toBeCloseTo(0.651);
    expect(
      tunedThreshold(0.6, [
        { score: 0.7, verdict: 'false_alarm' },
        { score: 0.66, verdict: 'real' },
      ]),
    ).toBeCloseTo(0.659);
    // Never below the model's own threshold.
    expect(tunedThreshold(0.6, [{ score: 0.55, verdict: 'real' }])).toBe(0.6);
  });
});

describe('alert lifecycle', () => {
  const t = 1_800_000_000_000;
  it('raises, repeats, escalates on the third slot, resolves after an hour of quiet', () => {
    expect(alertStep(null, true, t)).toBe('raise');
    expect(alertStep(null, false, t)).toBe('none');
    const open = { occurrences: 1, severity: 'warning' as const, lastSeenMs: t };
    expect(alertStep(open, true, t + 600_000)).toBe('repeat');
    expect(alertStep({ ...open, occurrences: 2 }, true, t + 1_200_000)).toBe('escalate');
    expect(alertStep({ ...open, occurrences: 5, severity: 'critical' }, true, t)).toBe('repeat');
    expect(alertStep(open, false, t + 5 * 600_000)).toBe('none');
    expect(alertStep(open, false, t + 6 * 600_000)).toBe('resolve');
  });
});
