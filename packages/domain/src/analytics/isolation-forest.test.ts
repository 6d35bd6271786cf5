import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors';
import {
  createAlwaysNormalDetector,
  createIsolationForestDetector,
  createKnnDetector,
  createLofDetector,
  createThreeSigmaDetector,
  quantile,
} from './detectors';
import {
  averagePathLength,
  explain,
  isolationForestFromJson,
  isolationForestToJson,
  score,
  scoreMany,
  trainIsolationForest,
} from './isolation-forest';
import { createRandom } from './random';

const EULER_GAMMA = 0.5772156649015329;

function gaussianRows(rows: number, features: number, seed: number): Float64Array {
  const rng = createRandom(seed);
  return Float64Array.from({ length: rows * features }, () => rng.normal());
}

describe('averagePathLength c(n)', () => {
  it('matches 2H(n−1) − 2(n−1)/n with H(i) ≈ ln i + γ, and the small cases', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    for (const n of [3, 10, 256, 4096]) {
      const expected = 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
      expect(averagePathLength(n)).toBeCloseTo(expected, 12);
    }
    // The usual normaliser for ψ = 256.
    expect(averagePathLength(256)).toBeCloseTo(10.24477, 5);
  });
});

describe('isolation forest', () => {
  const features = 4;
  const inliers = gaussianRows(1000, features, 11);
  const model = trainIsolationForest(inliers, features, {
    seed: 5,
    featureNames: ['a', 'b', 'c', 'd'],
  });

  it('scores known outliers above the inliers', () => {
    // Off in two or more features: a point beyond the range in one feature only is isolated
    // like the most extreme training point of that feature, no faster (splits are drawn
    // inside the sample's range), which is a property of the method, not of this code.
    const outliers = Float64Array.from([6, 6, 0, 0, -7, -7, 0, 0, 0, 0, 8, -8, 5, 5, 5, 5]);
    const inlierScores = scoreMany(model, inliers);
    const outlierScores = scoreMany(model, outliers);
    const p99 = quantile(inlierScores, 0.99);
    for (const s of outlierScores) {
      expect(s).toBeGreaterThan(p99);
      expect(s).toBeGreaterThan(0.6);
    }
    expect(quantile(inlierScores, 0.5)).toBeLessThan(0.5);
  });

  it('scoreMany agrees bit for bit with score, in and out of the 8-row fast path', () => {
    const rows = gaussianRows(37, features, 12);
    const many = scoreMany(model, rows);
    for (let i = 0; i < 37; i++)
      expect(
        Object.is(many[i], score(model, rows.subarray(i * features, (i + 1) * features))),
      ).toBe(true);
  });

  it('scoreMany agrees bit for bit with score over several blocks, NaN and ±∞ included', () => {
    // 603 rows: two full blocks of 256 and a last one of 91 (11 groups of 8 and a tail of 3).
    const rows = gaussianRows(603, features, 14);
    for (let i = 0; i < rows.length; i += 37) rows[i] = [NaN, Infinity, -Infinity, 9][i % 4]!;
    const many = scoreMany(model, rows);
    for (let i = 0; i < 603; i++)
      expect(
        Object.is(many[i], score(model, rows.subarray(i * features, (i + 1) * features))),
      ).toBe(true);
    // A second call reuses the cached tables and writes into the given array.
    const out = new Float64Array(603);
    expect(scoreMany(model, rows, out)).toBe(out);
    for (let i = 0; i < 603; i++) expect(Object.is(out[i], many[i])).toBe(true);
  });

  it('scoreMany agrees bit for bit with score at every tree height (ψ = 2 … 4096)', () => {
    // The WebAssembly kernel is compiled per tree height; cover the small and the largest.
    const training = gaussianRows(4096, 3, 15);
    const rows = gaussianRows(300, 3, 16);
    rows[7] = NaN;
    rows[8] = Infinity;
    for (const sampleSize of [2, 3, 5, 100, 4096]) {
      const m = trainIsolationForest(training, 3, { trees: 7, sampleSize, seed: sampleSize });
      const many = scoreMany(m, rows);
      for (let i = 0; i < 300; i++)
        expect(Object.is(many[i], score(m, rows.subarray(i * 3, (i + 1) * 3)))).toBe(true);
    }
  });

  it('reloads from JSON and scores identically', () => {
    const text = JSON.stringify(isolationForestToJson(model));
    const reloaded = isolationForestFromJson(JSON.parse(text));
    expect(reloaded.version).toBe('iforest-1');
    expect(reloaded.featureNames).toEqual(['a', 'b', 'c', 'd']);
    const rows = gaussianRows(2000, features, 13);
    rows[5] = 40;
    const before = scoreMany(model, rows);
    const after = scoreMany(reloaded, rows);
    for (let i = 0; i < before.length; i++) expect(Object.is(before[i], after[i])).toBe(true);
    expect(JSON.stringify(isolationForestToJson(reloaded))).toBe(text);
  });

  it('is deterministic for a seed', () => {
    const again = trainIsolationForest(inliers, features, { seed: 5 });
    expect(isolationForestToJson(again).trees).toEqual(isolationForestToJson(model).trees);
  });

  it('explains an anomaly by the feature that was perturbed', () => {
    for (const f of [0, 2, 3]) {
      const row = [0.1, -0.2, 0.3, 0];
      row[f] = 7;
      const explanation = explain(model, row);
      expect(explanation.features[0]!.feature).toBe(f);
      expect(explanation.features[0]!.name).toBe(['a', 'b', 'c', 'd'][f]);
      expect(explanation.features[0]!.contribution).toBeGreaterThan(0.4);
      expect(explanation.score).toBe(score(model, row));
    }
  });

  it('rejects bad input with a VALIDATION AppError', () => {
    const fails = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isAppError(error) && error.code === 'VALIDATION';
      }
      return false;
    };
    expect(fails(() => trainIsolationForest(new Float64Array(7), 2))).toBe(true);
    expect(fails(() => trainIsolationForest(Float64Array.from([1, NaN, 2, 3]), 2))).toBe(true);
    expect(fails(() => trainIsolationForest(new Float64Array(2), 2))).toBe(true);
    expect(fails(() => score(model, [1, 2]))).toBe(true);
    expect(fails(() => isolationForestFromJson({ version: 'iforest-0' }))).toBe(true);
    const broken = isolationForestToJson(model);
    broken.trees[0]!.feature[0] = 9;
    expect(fails(() => isolationForestFromJson(broken))).toBe(true);
  });

  it('handles tiny training sets and identical rows', () => {
    const same = trainIsolationForest(Float64Array.from([1, 1, 1, 1, 1, 1]), 2, { seed: 1 });
    expect(same.sampleSize).toBe(3);
    expect(Number.isFinite(score(same, [1, 1]))).toBe(true);
    const two = trainIsolationForest(Float64Array.from([0, 1]), 1);
    expect(score(two, [0.5])).toBeGreaterThan(0);
  });
});

describe('one-class detectors', () => {
  const makers = [
    createIsolationForestDetector,
    createKnnDetector,
    createLofDetector,
    createThreeSigmaDetector,
    createAlwaysNormalDetector,
  ];
  const names = ['level', 'dead', 'empty', 'gappy', 'noise'];
  const rng = createRandom(21);
  // A dead gauge (constant 0), an empty channel (all NaN), a channel with gaps.
  const training = Array.from({ length: 12 }, (_, i) => [
    10 + rng.normal(),
    0,
    NaN,
    i % 3 === 0 ? NaN : 5 + rng.normal(),
    rng.normal(),
  ]);

  it('never throw on NaN, ±∞ or constant features, and report what they dropped', () => {
    for (const make of makers) {
      const detector = make();
      detector.fit(training, names);
      expect(detector.dropped()).toEqual([
        { feature: 1, name: 'dead', reason: 'constant' },
        { feature: 2, name: 'empty', reason: 'missing' },
      ]);
      for (const row of [
        [10, 0, NaN, 5, 0],
        [NaN, NaN, NaN, NaN, NaN],
        [Infinity, 3, 1, -Infinity, NaN],
        [10, 50, 7, 5, 0],
      ]) {
        const verdict = detector.assess(row);
        expect(typeof verdict.anomalous).toBe('boolean');
        expect(detector.isAnomalous(row)).toBe(verdict.anomalous);
        expect(() => detector.explain(row)).not.toThrow();
      }
      const empty = detector.assess([NaN, NaN, NaN, NaN, NaN]);
      expect(empty).toMatchObject({ anomalous: false, status: 'no_data', missingFeatures: 3 });
      expect(detector.assess([10, 0, NaN, NaN, 0]).status).toBe('partial');
    }
  });

  it('flag a far-off window and name a feature that moved (except always-normal)', () => {
    const far = [30, 0, NaN, 25, 0];
    for (const make of makers) {
      const detector = make();
      detector.fit(training, names);
      const verdict = detector.assess(far);
      if (detector.name === 'always_normal') {
        expect(verdict.anomalous).toBe(false);
        continue;
      }
      expect(verdict.anomalous).toBe(true);
      expect(['level', 'gappy']).toContain(detector.explain(far)[0]!.name);
    }
  });

  it('have no model when every feature is constant or missing, and say so', () => {
    for (const make of makers) {
      const detector = make();
      detector.fit([
        [1, NaN],
        [1, NaN],
        [1, 2],
      ]);
      expect(detector.assess([5, 5])).toMatchObject({ anomalous: false, status: 'no_model' });
      expect(detector.explain([5, 5])).toEqual([]);
    }
  });
});
