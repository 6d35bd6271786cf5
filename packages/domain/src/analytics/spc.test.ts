import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { createRandom } from './random';
import {
  NELSON_RULES,
  SPC_RULES,
  WESTERN_ELECTRIC_RULES,
  capability,
  createCusumState,
  createEwmaState,
  createSpcState,
  evaluateCusum,
  evaluateEwma,
  evaluateSeries,
  learnLimits,
  parseSpcLimits,
  stepCusum,
  stepEwma,
  stepSpc,
  type ImrRuleId,
  type SpcLimits,
  type SpcViolation,
} from './spc';

// ---------------------------------------------------------------------------------------
// Helpers: seeded data and the normal distribution, so expected rates are computed, not
// copied from a run.

function noise(seed: number, n: number, mean = 0, sd = 1): Float64Array {
  const random = createRandom(seed);
  return Float64Array.from({ length: n }, () => mean + sd * random.normal());
}

/** Numerical Recipes erfc (fractional error < 1.2e-7), enough for tail rates of 1e-4. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
const phi = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** Euler zigzag number E_n (alternating permutations of n), by the boustrophedon. */
function zigzag(n: number): number {
  let row = [1];
  for (let i = 1; i <= n; i++) {
    const next = [0];
    for (let k = 1; k <= i; k++) next.push(next[k - 1]! + row[i - k]!);
    row = next;
  }
  return row[n]!;
}

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

/**
 * Probability that a given window of iid N(0, 1) points completes the rule, judged against
 * `limits` (whatever they are: learned limits are not exactly at ±3σ of the truth).
 */
function windowProbability(rule: ImrRuleId, limits: SpcLimits): number {
  const { mean: m, sigma: s } = limits;
  const above = (a: number) => 1 - phi(m + a * s);
  const below = (a: number) => phi(m - a * s);
  const within1 = phi(m + s) - phi(m - s);
  const twoOfThree = (p: number) => p * (1 - (1 - p) ** 2);
  const fourOfFive = (p: number) => p * (4 * p ** 3 * (1 - p) + p ** 4);
  switch (rule) {
    case 'nelson-1':
    case 'we-1':
      return 1 - phi(limits.ucl) + phi(limits.lcl);
    case 'nelson-2':
      return above(0) ** 9 + below(0) ** 9;
    case 'we-4':
      return above(0) ** 8 + below(0) ** 8;
    case 'nelson-3':
      return 2 / factorial(6);
    case 'nelson-4':
      return (2 * zigzag(14)) / factorial(14);
    case 'nelson-5':
    case 'we-2':
      return twoOfThree(above(2)) + twoOfThree(below(2));
    case 'nelson-6':
    case 'we-3':
      return fourOfFive(above(1)) + fourOfFive(below(1));
    case 'nelson-7':
      return within1 ** 15;
    case 'nelson-8':
      return (1 - within1) ** 8;
    case 'mr-ucl':
      // x_i − x_{i−1} ~ N(0, 2).
      return 2 * (1 - phi(limits.mrUcl / Math.SQRT2));
  }
}

/** Siegmund's approximation of the two-sided tabular CUSUM ARL (k, h in σ; shift δ in σ). */
function cusumArl(shift: number, k: number, h: number): number {
  const b = h + 1.166;
  const oneSided = (delta: number) =>
    delta === 0 ? b * b : (Math.exp(-2 * delta * b) + 2 * delta * b - 1) / (2 * delta * delta);
  return 1 / (1 / oneSided(shift - k) + 1 / oneSided(-shift - k));
}

/**
 * Brook–Evans Markov-chain ARL of a two-sided EWMA with asymptotic limits, started at the
 * mean. (The chart under test uses the exact, time-varying limits, which are narrower at
 * the start: its zero-state ARL is somewhat shorter.)
 */
function ewmaArl(shift: number, lambda: number, width: number, cells = 101): number {
  const H = width * Math.sqrt(lambda / (2 - lambda));
  const w = (2 * H) / cells;
  const centre = (j: number) => -H + (j + 0.5) * w;
  // Solve (I − Q)·arl = 1 by Gaussian elimination.
  const a = Array.from({ length: cells }, (_, i) => {
    const row = new Float64Array(cells + 1);
    for (let j = 0; j < cells; j++) {
      const from = (1 - lambda) * centre(i);
      const p =
        phi((centre(j) + w / 2 - from) / lambda - shift) -
        phi((centre(j) - w / 2 - from) / lambda - shift);
      row[j] = (i === j ? 1 : 0) - p;
    }
    row[cells] = 1;
    return row;
  });
  for (let c = 0; c < cells; c++) {
    let pivot = c;
    for (let r = c + 1; r < cells; r++)
      if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    for (let r = 0; r < cells; r++) {
      if (r === c) continue;
      const factor = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= cells; k++) a[r]![k]! -= factor * a[c]![k]!;
    }
  }
  const middle = (cells - 1) / 2;
  return a[middle]![cells]! / a[middle]![middle]!;
}

/**
 * Limits whose mean and within sigma are 0 and 1 (to rounding): a seeded baseline,
 * standardised by its own estimates. Tests of false-alarm rates and ARL then measure the
 * rules, not the sampling error of a baseline.
 */
function standardLimits(): SpcLimits {
  const raw = noise(11, 2000);
  const first = learnLimits(raw);
  return learnLimits(raw.map((x) => (x - first.mean) / first.sigma));
}

const ALL_IMR: readonly ImrRuleId[] = [...NELSON_RULES, 'we-1', 'we-2', 'we-3', 'we-4'];

/** A baseline of tubing-head pressure around 812,4 psig with σ ≈ 3 psig. */
const PSIG = (() => {
  const raw = noise(3, 400, 0, 3);
  const shift = 812.4 - raw.reduce((sum, x) => sum + x, 0) / raw.length;
  return learnLimits(
    raw.map((x) => x + shift),
    { unit: 'psig', learnedAt: '2026-11-27T05:00:00.000Z' },
  );
})();

/** Values at the given multiples of sigma from the mean of PSIG. */
const at = (zs: readonly number[]) => zs.map((z) => PSIG.mean + z * PSIG.sigma);

function firings(values: readonly number[], rule: ImrRuleId): SpcViolation[] {
  return evaluateSeries(values, PSIG, { rules: ALL_IMR }).filter((v) => v.rule === rule);
}

// ---------------------------------------------------------------------------------------

describe('learnLimits', () => {
  it('learns mean, moving-range sigma and the I-MR limits', () => {
    const values = [10, 12, 11, 13, 12, 14, 13, 12, 11, 12, 10, 12, 11, 13, 12, 14, 13, 12, 11, 12];
    const limits = learnLimits(values, { learnedAt: '2026-01-01T00:00:00Z', unit: 'psig' });
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const ranges = values.slice(1).map((x, i) => Math.abs(x - values[i]!));
    const mrBar = ranges.reduce((a, b) => a + b, 0) / ranges.length;
    expect(limits).toMatchObject({
      version: 'spc-1',
      learnedAt: '2026-01-01T00:00:00Z',
      unit: 'psig',
      n: 20,
      degenerate: false,
    });
    expect(limits.mean).toBeCloseTo(mean, 12);
    expect(limits.mrBar).toBeCloseTo(mrBar, 12);
    expect(limits.sigma).toBeCloseTo(mrBar / 1.128, 12);
    expect(limits.ucl).toBeCloseTo(mean + (3 * mrBar) / 1.128, 12);
    expect(limits.lcl).toBeCloseTo(mean - (3 * mrBar) / 1.128, 12);
    expect(limits.mrUcl).toBeCloseTo(3.267 * mrBar, 12);
  });

  it('refuses short baselines and non-finite values with VALIDATION', () => {
    const short = () => learnLimits(noise(1, 19));
    expect(short).toThrow(AppError);
    expect(short).toThrow(/at least 20 points, got 19/);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const values = Array.from(noise(1, 30));
      values[7] = bad;
      try {
        learnLimits(values);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('VALIDATION');
        expect((error as AppError).details).toEqual({ nonFinite: 1, firstIndex: 7 });
      }
    }
    expect(() => learnLimits(noise(1, 20))).not.toThrow();
  });

  it('flags a constant baseline (or one varying only by rounding) as degenerate', () => {
    const flat = learnLimits(new Array<number>(30).fill(812.4));
    expect(flat).toMatchObject({ degenerate: true, sigma: 0, ucl: 812.4, lcl: 812.4, mrUcl: 0 });
    // 0.1 + 0.2 and 0.3 differ by one ulp: no process variation.
    const rounding = learnLimits(Array.from({ length: 30 }, (_, i) => (i % 2 ? 0.1 + 0.2 : 0.3)));
    expect(rounding.sigma).toBeGreaterThan(0);
    expect(rounding.degenerate).toBe(true);
    expect(learnLimits(noise(2, 30)).degenerate).toBe(false);
  });

  it('round-trips through JSON and parseSpcLimits, and refuses malformed records', () => {
    const stored = JSON.parse(JSON.stringify(PSIG)) as unknown;
    expect(parseSpcLimits(stored)).toEqual(PSIG);
    expect(() => parseSpcLimits({ ...(stored as object), version: 'spc-0' })).toThrow(
      /SPC limits is invalid: version/,
    );
    expect(() => parseSpcLimits({ ...(stored as object), sigma: null })).toThrow(AppError);
    expect(() => parseSpcLimits({ ...(stored as object), n: 5 })).toThrow(AppError);
  });
});

describe('run rules fire on their textbook patterns', () => {
  const nineAbove = [0.3, 0.6, 0.3, 0.6, 0.3, 0.6, 0.3, 0.6, 0.3];
  const cases: Array<{ rule: ImrRuleId; zs: number[]; at: number[]; indices?: number[][] }> = [
    // One point beyond 3σ, each side.
    { rule: 'nelson-1', zs: [0, 3.5, 0, -3.2], at: [1, 3], indices: [[1], [3]] },
    { rule: 'we-1', zs: [0, 3.5, 0, -3.2], at: [1, 3] },
    // Nine on one side (the eighth is not enough); below too.
    { rule: 'nelson-2', zs: nineAbove, at: [8], indices: [[0, 1, 2, 3, 4, 5, 6, 7, 8]] },
    { rule: 'nelson-2', zs: nineAbove.map((z) => -z), at: [8] },
    { rule: 'we-4', zs: nineAbove, at: [7, 8] },
    // Six steadily rising, six steadily falling; a repeated value breaks it.
    { rule: 'nelson-3', zs: [-2, -1.3, -0.6, 0.1, 0.8, 1.5], at: [5] },
    { rule: 'nelson-3', zs: [1.5, 0.8, 0.1, -0.6, -1.3, -2], at: [5] },
    { rule: 'nelson-3', zs: [-2, -1.3, -1.3, 0.1, 0.8, 1.5], at: [] },
    // Fourteen alternating (thirteen are not enough).
    { rule: 'nelson-4', zs: Array.from({ length: 14 }, (_, i) => (i % 2 ? 0.5 : -0.5)), at: [13] },
    { rule: 'nelson-4', zs: Array.from({ length: 13 }, (_, i) => (i % 2 ? 0.5 : -0.5)), at: [] },
    // Two of three beyond 2σ on one side, the latest among them; not when the latest is ordinary.
    { rule: 'nelson-5', zs: [0, 2.5, 0.2, 2.5], at: [3], indices: [[1, 3]] },
    { rule: 'nelson-5', zs: [0, -2.5, -2.6], at: [2], indices: [[1, 2]] },
    { rule: 'nelson-5', zs: [0, 2.5, 2.2, 0.1], at: [2] },
    { rule: 'nelson-5', zs: [0, 2.5, -2.5], at: [] },
    { rule: 'we-2', zs: [0, 2.5, 0.2, 2.5], at: [3] },
    // Four of five beyond 1σ on one side.
    { rule: 'nelson-6', zs: [1.5, 1.5, 0.2, 1.5, 1.5], at: [4], indices: [[0, 1, 3, 4]] },
    { rule: 'nelson-6', zs: [1.5, 1.5, 0.2, 1.5, -1.5], at: [] },
    { rule: 'we-3', zs: [-1.5, -1.5, -1.2, 0, -1.5], at: [4] },
    // Fifteen within 1σ, mixed sides, no trend or alternation of note.
    {
      rule: 'nelson-7',
      zs: [0.2, 0.4, -0.3, -0.1, 0.3, 0.1, -0.4, -0.2, 0.35, 0.05, -0.25, -0.45, 0.15, 0.45, -0.05],
      at: [14],
    },
    // Eight beyond 1σ on either side, none near the mean.
    { rule: 'nelson-8', zs: [1.5, -1.5, 1.5, -1.5, 1.5, -1.5, 1.5, -1.5], at: [7] },
    { rule: 'nelson-8', zs: [1.5, -1.5, 1.5, -0.5, 1.5, -1.5, 1.5, -1.5], at: [] },
    // A jump of 4σ between consecutive points (MR limit 3.267·1.128σ ≈ 3.69σ); 2σ is not one.
    { rule: 'mr-ucl', zs: [0, 2, -2], at: [2], indices: [[1, 2]] },
  ];

  it.each(cases)('$rule on $zs', ({ rule, zs, at: expected, indices }) => {
    const found = firings(at(zs), rule);
    expect(found.map((v) => v.index)).toEqual(expected);
    if (indices) expect(found.map((v) => v.indices)).toEqual(indices);
    for (const v of found) {
      expect(v.chart).toBe(SPC_RULES[rule].chart);
      expect(v.values).toEqual(v.indices.map((i) => at(zs)[i]));
      expect(v.limits).toBe(PSIG);
      expect(v.message.es.length).toBeGreaterThan(20);
      expect(v.message.en.length).toBeGreaterThan(20);
    }
  });

  it('says what was unusual and by how much, in Spanish and English', () => {
    const [run] = firings(at([0.3, 0.6, 0.3, 0.6, 0.3, 0.6, 0.3, 0.6, 0.3]), 'nelson-2');
    expect(run!.direction).toBe('up');
    expect(run!.message.es).toBe(
      '9 puntos seguidos por encima de la media (812,4 psig); promedio del tramo 813,7 psig (+0,4σ)',
    );
    expect(run!.message.en).toBe(
      '9 points in a row above the mean (812.4 psig); run average 813.7 psig (+0.4σ)',
    );
    const [spike] = firings([812.4, PSIG.mean + 4 * PSIG.sigma], 'nelson-1');
    expect(spike!.statistic).toEqual({ value: PSIG.mean + 4 * PSIG.sigma, limit: PSIG.ucl });
    expect(spike!.message.es).toMatch(
      /^Valor 8\d\d,\d psig por encima del límite superior de control \(8\d\d,\d psig\): 4,0σ sobre la media \(812,4 psig\)$/,
    );
    const [pair] = firings(at([0, 2.5, 0.2, 2.5]), 'nelson-5');
    expect(pair!.message.en).toMatch(
      /^2 of 3 points more than 2σ above the mean \(> 8\d\d\.\d psig\): 8\d\d\.\d psig and 8\d\d\.\d psig$/,
    );
    // The unit can be overridden per evaluation.
    const [kpa] = evaluateSeries(at([0, 3.5]), PSIG, { unit: 'kPag', rules: ['nelson-1'] });
    expect(kpa!.message.en).toContain('kPag');
  });

  it('treats a missing slot as a break in every run, and still counts its index', () => {
    const zs = [0.5, 0.5, 0.5, 0.5, 0.5, Number.NaN, 0.5, 0.5, 0.5, 0.5];
    const values = zs.map((z) => PSIG.mean + z * PSIG.sigma);
    expect(firings(values, 'nelson-2')).toEqual([]);
    const later = firings([...values, ...at([3.5])], 'nelson-1');
    expect(later.map((v) => v.index)).toEqual([10]);
  });
});

describe('white noise', () => {
  const limits = standardLimits();
  const N = 20_000;
  const series = noise(12, N);

  it('keeps every rule at its computed false-alarm rate', () => {
    const counts = new Map<string, number>();
    for (const v of evaluateSeries(series, limits, { rules: ALL_IMR }))
      counts.set(v.rule, (counts.get(v.rule) ?? 0) + 1);
    for (const rule of ALL_IMR) {
      const w = SPC_RULES[rule].points;
      const p = windowProbability(rule, limits);
      const expected = (N - w + 1) * p;
      const count = counts.get(rule) ?? 0;
      // Windows further apart than w points are independent, and each covariance is at most
      // p, so Var(count) ≤ expected · (2w − 1): a bound that holds for every rule.
      const tolerance = 4 * Math.sqrt(expected * (2 * w - 1));
      expect(
        Math.abs(count - expected),
        `${rule}: ${count} vs ${expected.toFixed(1)}`,
      ).toBeLessThan(tolerance);
    }
    // Rule 1 itself: near the textbook 0.27 %.
    const rate = (counts.get('nelson-1') ?? 0) / N;
    expect(rate).toBeGreaterThan(0.0015);
    expect(rate).toBeLessThan(0.004);
  });

  it('keeps EWMA and CUSUM quiet: in-control ARL near the computed one', () => {
    const random = createRandom(21);
    const runs = { ewma: 0, cusum: 0 };
    const replications = 150;
    for (let r = 0; r < replications; r++) {
      const ewma = createEwmaState();
      const cusum = createCusumState();
      let e = 0;
      let c = 0;
      for (let i = 1; (!e || !c) && i <= 20_000; i++) {
        const x = random.normal();
        if (!e && stepEwma(ewma, limits, x).length) e = i;
        if (!c && stepCusum(cusum, limits, x).length) c = i;
      }
      runs.ewma += e;
      runs.cusum += c;
    }
    const arlEwma = runs.ewma / replications;
    const arlCusum = runs.cusum / replications;
    // Run lengths are roughly geometric: the mean of 150 is within about ±25 % (3 SE).
    expect(arlCusum).toBeGreaterThan(0.65 * cusumArl(0, 0.5, 5));
    expect(arlCusum).toBeLessThan(1.35 * cusumArl(0, 0.5, 5));
    expect(arlEwma).toBeGreaterThan(0.55 * ewmaArl(0, 0.2, 3));
    expect(arlEwma).toBeLessThan(1.3 * ewmaArl(0, 0.2, 3));
  });
});

describe('EWMA and CUSUM', () => {
  const limits = standardLimits();

  it('detect a sustained 1σ shift faster than Shewhart rule 1 (ARL, seeded)', () => {
    const random = createRandom(31);
    const replications = 400;
    const total = { shewhart: 0, ewma: 0, cusum: 0 };
    for (let r = 0; r < replications; r++) {
      const spc = createSpcState();
      const ewma = createEwmaState();
      const cusum = createCusumState();
      let s = 0;
      let e = 0;
      let c = 0;
      // Common random numbers: the three charts watch the same shifted series.
      for (let i = 1; (!s || !e || !c) && i <= 5_000; i++) {
        const x = 1 + random.normal();
        if (!s && stepSpc(spc, limits, x, { rules: ['nelson-1'] }).length) s = i;
        if (!e && stepEwma(ewma, limits, x).length) e = i;
        if (!c && stepCusum(cusum, limits, x).length) c = i;
      }
      total.shewhart += s;
      total.ewma += e;
      total.cusum += c;
    }
    const arl = {
      shewhart: total.shewhart / replications,
      ewma: total.ewma / replications,
      cusum: total.cusum / replications,
    };
    // Shewhart: geometric with p = P(x > UCL) + P(x < LCL) for x ~ N(1, 1).
    const p = 1 - phi(limits.ucl - 1) + phi(limits.lcl - 1);
    expect(arl.shewhart).toBeGreaterThan(0.8 / p);
    expect(arl.shewhart).toBeLessThan(1.2 / p);
    expect(arl.cusum).toBeGreaterThan(0.8 * cusumArl(1, 0.5, 5));
    expect(arl.cusum).toBeLessThan(1.2 * cusumArl(1, 0.5, 5));
    // Exact limits start narrower than the asymptotic ones of the chain: shorter, not longer.
    expect(arl.ewma).toBeGreaterThan(0.6 * ewmaArl(1, 0.2, 3));
    expect(arl.ewma).toBeLessThan(1.1 * ewmaArl(1, 0.2, 3));
    expect(arl.ewma).toBeLessThan(arl.shewhart / 2);
    expect(arl.cusum).toBeLessThan(arl.shewhart / 2);
  });

  it('EWMA uses the exact time-varying limits and quotes its excursion', () => {
    const m = PSIG.mean;
    const s = PSIG.sigma;
    // At the first point the half-width is L·σ·λ = 0.6σ: 3.5σ gives z = 0.7σ, a signal.
    const [first] = evaluateEwma([m + 3.5 * s], PSIG);
    expect(first!.rule).toBe('ewma');
    expect(first!.statistic!.value).toBeCloseTo(m + 0.7 * s, 9);
    expect(first!.statistic!.limit).toBeCloseTo(m + 0.6 * s, 9);
    // A 1.5σ shift after ten in-control points, seen within a few points, evidence since the
    // EWMA crossed the mean.
    const values = [
      ...at([0.1, -0.1, 0.1, -0.1, 0.1, -0.1, 0.1, -0.1, 0.1, -0.1]),
      ...at(new Array<number>(12).fill(1.5)),
    ];
    const found = evaluateEwma(values, PSIG, { lambda: 0.2 });
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.index).toBeLessThan(16);
    expect(found[0]!.direction).toBe('up');
    expect(found[0]!.indices[0]).toBe(10);
    expect(found[0]!.message.es).toMatch(/^EWMA 81\d,\d psig por encima de su límite superior/);
    // A missing slot leaves the EWMA where it was.
    const state = createEwmaState();
    stepEwma(state, PSIG, m + s);
    const before = state.z;
    stepEwma(state, PSIG, Number.NaN);
    expect(state.z).toBe(before);
    expect(state.next).toBe(2);
  });

  it('CUSUM signals a 1.1σ shift at the ninth point and estimates its size', () => {
    // Each point adds 1.1 − 0.5 = 0.6σ to C⁺: 4.8σ after eight, 5.4σ > h = 5σ after nine.
    const up = evaluateCusum(at(new Array<number>(10).fill(1.1)), PSIG);
    expect(up.map((v) => v.index)).toEqual([8, 9]);
    expect(up[0]!.indices).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(up[0]!.statistic!.value).toBeCloseTo(5.4 * PSIG.sigma, 9);
    expect(up[0]!.statistic!.limit).toBeCloseTo(5 * PSIG.sigma, 9);
    // Shift estimate k + C/N = 0.5 + 5.4/9 = 1.1σ.
    expect(up[0]!.message.es).toContain('(+1,1σ) en los últimos 9 puntos');
    expect(up[0]!.message.en).toMatch(/^Upper CUSUM 5\.4σ above the decision interval h = 5\.0σ/);
    const down = evaluateCusum(at(new Array<number>(9).fill(-1.1)), PSIG);
    expect(down.map((v) => [v.index, v.direction])).toEqual([[8, 'down']]);
    expect(down[0]!.message.es).toContain('CUSUM inferior');
  });

  it('refuses nonsensical parameters', () => {
    for (const lambda of [0, -0.1, 1.5, Number.NaN]) {
      expect(() => createEwmaState({ lambda })).toThrow(AppError);
    }
    expect(() => createEwmaState({ width: 0 })).toThrow(AppError);
    expect(() => createCusumState({ h: 0 })).toThrow(AppError);
    expect(() => createCusumState({ k: -1 })).toThrow(AppError);
    expect(() => createCusumState({ k: 0, h: 4 })).not.toThrow();
  });
});

describe('streaming', () => {
  const limits = standardLimits();

  interface States {
    spc: ReturnType<typeof createSpcState>;
    ewma: ReturnType<typeof createEwmaState>;
    cusum: ReturnType<typeof createCusumState>;
  }
  const fresh = (): States => ({
    spc: createSpcState(),
    ewma: createEwmaState({ lambda: 0.3 }),
    cusum: createCusumState({ k: 0.5, h: 3 }),
  });
  const feed = (states: States, values: readonly number[], against = limits): SpcViolation[] =>
    values.flatMap((x) => [
      ...stepSpc(states.spc, against, x, { rules: ALL_IMR }),
      ...stepEwma(states.ewma, against, x),
      ...stepCusum(states.cusum, against, x),
    ]);

  it('gives the same violations whether a series is split or not (states through JSON)', () => {
    // Half-sigma steps hit the zone lines exactly; NaN is a missing slot.
    const point = fc.oneof(
      { weight: 12, arbitrary: fc.integer({ min: -8, max: 8 }).map((k) => k / 2) },
      { weight: 1, arbitrary: fc.constant(Number.NaN) },
    );
    fc.assert(
      fc.property(fc.array(point, { maxLength: 150 }), fc.nat(), (values, cut) => {
        const split = cut % (values.length + 1);
        const whole = feed(fresh(), values);
        const first = fresh();
        const head = feed(first, values.slice(0, split));
        const resumed = JSON.parse(JSON.stringify(first)) as States;
        const tail = feed(resumed, values.slice(split));
        expect([...head, ...tail]).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('the batch helpers equal the steppers', () => {
    const values = Array.from(noise(5, 500, 0.4));
    const states = fresh();
    const stepped = values.flatMap((x) => stepSpc(states.spc, limits, x, { rules: ALL_IMR }));
    expect(evaluateSeries(values, limits, { rules: ALL_IMR })).toEqual(stepped);
    expect(
      evaluateSeries(values, limits, { rules: WESTERN_ELECTRIC_RULES }).length,
    ).toBeGreaterThan(0);
  });

  it('limits read back from JSON evaluate identically', () => {
    const values = Array.from(noise(6, 400, 0.7));
    const stored = parseSpcLimits(JSON.parse(JSON.stringify(limits)) as unknown);
    const plain = JSON.parse(JSON.stringify(limits)) as SpcLimits;
    const original = feed(fresh(), values);
    expect(original.length).toBeGreaterThan(0);
    expect(feed(fresh(), values, stored)).toEqual(original);
    expect(feed(fresh(), values, plain)).toEqual(original);
  });

  it('never fires on degenerate limits, whatever the data', () => {
    const frozen = learnLimits(new Array<number>(40).fill(812.4));
    const wild = [
      ...noise(7, 300, 812.4, 50),
      ...new Array<number>(20).fill(9_999),
      ...at([0, 1, 2, 3, 4, 5, 6, 7, 8]),
    ];
    expect(feed(fresh(), wild, frozen)).toEqual([]);
    expect(evaluateSeries(wild, frozen, { rules: ALL_IMR })).toEqual([]);
  });
});

describe('capability', () => {
  // x = 10, 12, 11, 13, 12: mean 11.6; moving ranges 2, 1, 2, 1 → MR̄ 1.5, σw = 1.5/1.128;
  // squared deviations 2.56 + 0.16 + 0.36 + 1.96 + 0.16 = 5.2 → σo = √(5.2/4) = √1.3.
  const x = [10, 12, 11, 13, 12];
  const sw = 1.5 / 1.128;
  const so = Math.sqrt(1.3);

  it('matches the hand computation with both limits', () => {
    const c = capability(x, { lsl: 8, usl: 16 });
    expect(c.mean).toBeCloseTo(11.6, 12);
    expect(c.sigmaWithin).toBeCloseTo(sw, 12);
    expect(c.sigmaOverall).toBeCloseTo(so, 12);
    expect(c.cp).toBeCloseTo(8 / (6 * sw), 12); // 1.0027
    expect(c.cpu).toBeCloseTo(4.4 / (3 * sw), 12); // 1.1029
    expect(c.cpl).toBeCloseTo(3.6 / (3 * sw), 12); // 0.9024
    expect(c.cpk).toBeCloseTo(0.9024, 4);
    expect(c.pp).toBeCloseTo(8 / (6 * so), 12); // 1.1694
    expect(c.ppk).toBeCloseTo(3.6 / (3 * so), 12); // 1.0525
    expect(c.ppk).toBeCloseTo(1.0525, 4);
    expect(c.degenerate).toBe(false);
  });

  it('handles one-sided specifications', () => {
    const upper = capability(x, { usl: 16 });
    expect(upper.cp).toBeNull();
    expect(upper.cpl).toBeNull();
    expect(upper.cpk).toBeCloseTo(4.4 / (3 * sw), 12);
    expect(upper.ppk).toBeCloseTo(4.4 / (3 * so), 12);
    const lower = capability(x, { lsl: 8 });
    expect(lower.cpk).toBeCloseTo(3.6 / (3 * sw), 12);
    expect(lower.pp).toBeNull();
  });

  it('returns null indices for a frozen signal and refuses bad input', () => {
    const flat = capability([5, 5, 5, 5], { lsl: 0, usl: 10 });
    expect(flat).toMatchObject({ degenerate: true, cp: null, cpk: null, pp: null, ppk: null });
    expect(() => capability(x, {})).toThrow(AppError);
    expect(() => capability(x, { lsl: 10, usl: 10 })).toThrow(/must be below/);
    expect(() => capability([1], { usl: 2 })).toThrow(AppError);
    expect(() => capability([1, Number.NaN, 2], { usl: 2 })).toThrow(/non-finite/);
  });
});
