/**
 * One-class detectors: trained on windows known to be normal, they say whether a new window
 * looks like those. All share one preprocessing step and one contract:
 *
 * - Standardisation with training statistics only: z = (x − mean) / sd, sd the sample
 *   standard deviation of the training windows.
 * - A feature with fewer than two finite training values is dropped as `missing` (an empty
 *   channel such as T-JUS-CKGL). A feature with no spread in training is dropped as
 *   `constant` (a dead gauge stuck at 0, a frozen transmitter): it carries no information
 *   about normal variation, and dividing by a zero sd would turn any later change into an
 *   infinite score. "No spread" means sd ≤ 1e-9·|mean|, i.e. below any instrument's
 *   resolution. A stuck sensor is a data-quality finding, reported by `dropped()`, not a
 *   process event.
 * - A missing value (NaN, ±∞) in a window is imputed at the training mean (z = 0: no
 *   evidence either way) and counted in the verdict (`status: 'partial'`). A window with no
 *   usable value at all gets `status: 'no_data'` and is never called anomalous: missing data
 *   is a data-quality problem, not an event.
 * - Detectors never throw on NaN or constant features; they throw only on misuse (a row of
 *   the wrong length, scoring before fit, fitting on no rows).
 *
 * Thresholds come from the training windows alone, never from labelled test data.
 */
import { AppError } from '../errors';
import {
  explain as explainForest,
  score as forestScore,
  trainIsolationForest,
} from './isolation-forest';

export type FeatureRow = ArrayLike<number>;

export type DroppedReason = 'missing' | 'constant';

export interface DroppedFeature {
  feature: number;
  name: string;
  reason: DroppedReason;
}

export type VerdictStatus = 'ok' | 'partial' | 'no_data' | 'no_model';

export interface DetectorVerdict {
  anomalous: boolean;
  /** Higher is more anomalous; NaN when there is nothing to score. */
  score: number;
  threshold: number;
  /** `partial`: some features imputed; `no_data`: none usable in this row; `no_model`: no
   * usable feature (or too few windows) at training time. */
  status: VerdictStatus;
  missingFeatures: number;
}

export interface FeatureContribution {
  feature: number;
  name: string;
  /** Share of the anomaly credited to the feature; shares sum to 1 (all 0 for a perfect
   * inlier). */
  contribution: number;
}

export interface OneClassDetector {
  readonly name: string;
  fit(normalRows: readonly FeatureRow[], featureNames?: readonly string[]): void;
  isAnomalous(row: FeatureRow): boolean;
  assess(row: FeatureRow): DetectorVerdict;
  /** Features left out at fit time and why. */
  dropped(): readonly DroppedFeature[];
  /** Which features drove the score of this row, largest first. */
  explain(row: FeatureRow): FeatureContribution[];
}

/** sd ≤ this × |mean| counts as no spread. */
export const CONSTANT_RELATIVE_TOLERANCE = 1e-9;

export interface Standardiser {
  nFeatures: number;
  names: string[];
  /** Indices of the kept features, in order. */
  used: Int32Array;
  mean: Float64Array;
  sd: Float64Array;
  dropped: DroppedFeature[];
}

export function fitStandardiser(
  rows: readonly FeatureRow[],
  featureNames?: readonly string[],
): Standardiser {
  const first = rows[0];
  if (first === undefined) throw new AppError('VALIDATION', 'no training rows');
  const nFeatures = first.length;
  const names = Array.from({ length: nFeatures }, (_, j) => featureNames?.[j] ?? `f${j}`);
  const used: number[] = [];
  const means: number[] = [];
  const sds: number[] = [];
  const dropped: DroppedFeature[] = [];
  for (let j = 0; j < nFeatures; j++) {
    let count = 0;
    let sum = 0;
    for (const row of rows) {
      if (row.length !== nFeatures) throw rowLengthError(nFeatures, row.length);
      const x = row[j]!;
      if (Number.isFinite(x)) {
        count++;
        sum += x;
      }
    }
    if (count < 2) {
      dropped.push({ feature: j, name: names[j]!, reason: 'missing' });
      continue;
    }
    const mean = sum / count;
    let squares = 0;
    for (const row of rows) {
      const x = row[j]!;
      if (Number.isFinite(x)) squares += (x - mean) * (x - mean);
    }
    const sd = Math.sqrt(squares / (count - 1));
    if (!(sd > CONSTANT_RELATIVE_TOLERANCE * Math.abs(mean))) {
      dropped.push({ feature: j, name: names[j]!, reason: 'constant' });
      continue;
    }
    used.push(j);
    means.push(mean);
    sds.push(sd);
  }
  return {
    nFeatures,
    names,
    used: Int32Array.from(used),
    mean: Float64Array.from(means),
    sd: Float64Array.from(sds),
    dropped,
  };
}

function rowLengthError(expected: number, received: number): AppError {
  return new AppError('VALIDATION', 'feature row has the wrong length', {
    details: { expected, received },
  });
}

/** Writes the standardised kept features of `row` to `out`; returns how many were missing
 * (and imputed as 0). */
export function standardise(s: Standardiser, row: FeatureRow, out: Float64Array): number {
  if (row.length !== s.nFeatures) throw rowLengthError(s.nFeatures, row.length);
  let missing = 0;
  for (let k = 0; k < s.used.length; k++) {
    const x = row[s.used[k]!]!;
    if (Number.isFinite(x)) out[k] = (x - s.mean[k]!) / s.sd[k]!;
    else {
      out[k] = 0;
      missing++;
    }
  }
  return missing;
}

/** What a detector learns from standardised training rows. */
interface Core {
  threshold: number;
  score(z: Float64Array): number;
  /** Non-negative weight per kept feature. */
  attribution(z: Float64Array): Float64Array;
}

/** Linear-interpolation quantile (type 7, numpy's default) of unsorted values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(position);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (position - lo) * (sorted[hi]! - sorted[lo]!);
}

function createDetector(
  name: string,
  train: (z: Float64Array[], names: string[]) => Core | undefined,
): OneClassDetector {
  let fitted: { s: Standardiser; core: Core | undefined; z: Float64Array } | undefined;
  const state = () => {
    if (fitted === undefined) throw new Error(`detector ${name} used before fit`);
    return fitted;
  };
  const assess = (row: FeatureRow): DetectorVerdict => {
    const { s, core, z } = state();
    if (row.length !== s.nFeatures) throw rowLengthError(s.nFeatures, row.length);
    if (core === undefined)
      return {
        anomalous: false,
        score: NaN,
        threshold: NaN,
        status: 'no_model',
        missingFeatures: 0,
      };
    const missing = standardise(s, row, z);
    if (missing === s.used.length)
      return {
        anomalous: false,
        score: NaN,
        threshold: core.threshold,
        status: 'no_data',
        missingFeatures: missing,
      };
    const value = core.score(z);
    return {
      anomalous: value > core.threshold,
      score: value,
      threshold: core.threshold,
      status: missing > 0 ? 'partial' : 'ok',
      missingFeatures: missing,
    };
  };
  return {
    name,
    fit(normalRows, featureNames) {
      const s = fitStandardiser(normalRows, featureNames);
      const z = normalRows.map((row) => {
        const out = new Float64Array(s.used.length);
        standardise(s, row, out);
        return out;
      });
      const names = Array.from(s.used, (j) => s.names[j]!);
      const core = s.used.length > 0 ? train(z, names) : undefined;
      fitted = { s, core, z: new Float64Array(s.used.length) };
    },
    assess,
    isAnomalous: (row) => assess(row).anomalous,
    dropped: () => state().s.dropped,
    explain(row) {
      const { s, core, z } = state();
      if (core === undefined) return [];
      standardise(s, row, z);
      const weights = core.attribution(z);
      let total = 0;
      for (const w of weights) total += w;
      return Array.from(s.used, (j, k) => ({
        feature: j,
        name: s.names[j]!,
        contribution: total > 0 ? weights[k]! / total : 0,
      })).sort((a, b) => b.contribution - a.contribution || a.feature - b.feature);
    },
  };
}

export interface IsolationForestDetectorOptions {
  trees?: number;
  sampleSize?: number;
  seed?: number;
  /** Threshold = this quantile of the training windows' own scores. Default 0.95. */
  quantile?: number;
}

/**
 * Isolation forest on standardised features (the forest itself is scale-free per feature;
 * standardising only fixes where missing values are imputed). The threshold is the 95 %
 * quantile of the training windows' scores: in-sample scores are a little optimistic, so
 * expect somewhat more than 5 % false alarms on fresh normal windows.
 * Splits are drawn inside the training range, so a value far beyond it is isolated no faster
 * than the most extreme training value of that feature: the score saturates, and a shift in
 * one feature among many shows less than in a distance-based detector.
 */
export function createIsolationForestDetector(
  options: IsolationForestDetectorOptions = {},
): OneClassDetector {
  return createDetector('isolation_forest', (z, names) => {
    if (z.length < 2) return undefined;
    const d = names.length;
    const flat = new Float64Array(z.length * d);
    z.forEach((row, i) => flat.set(row, i * d));
    const model = trainIsolationForest(flat, d, {
      trees: options.trees ?? 100,
      sampleSize: options.sampleSize ?? 256,
      seed: options.seed ?? 1,
      featureNames: names,
    });
    const trainingScores = z.map((row) => forestScore(model, row));
    return {
      threshold: quantile(trainingScores, options.quantile ?? 0.95),
      score: (row) => forestScore(model, row),
      attribution: (row) => {
        const weights = new Float64Array(d);
        for (const f of explainForest(model, row).features) weights[f.feature] = f.contribution;
        return weights;
      },
    };
  });
}

/** Largest |z| over the kept features; anomalous beyond `sigmas` (default 3). */
export function createThreeSigmaDetector(options: { sigmas?: number } = {}): OneClassDetector {
  const sigmas = options.sigmas ?? 3;
  return createDetector('three_sigma', () => ({
    threshold: sigmas,
    score: (z) => {
      let max = 0;
      for (const x of z) max = Math.max(max, Math.abs(x));
      return max;
    },
    attribution: (z) => z.map((x) => Math.max(0, Math.abs(x) - sigmas)),
  }));
}

/** The trivial baseline: every window is normal. */
export function createAlwaysNormalDetector(): OneClassDetector {
  return createDetector('always_normal', () => ({
    threshold: Infinity,
    score: () => 0,
    attribution: (z) => new Float64Array(z.length),
  }));
}

function squaredDistance(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k]! - b[k]!;
    sum += d * d;
  }
  return sum;
}

/** Indices of the k smallest values of `distances`, nearest first (stable on ties). */
function nearest(distances: Float64Array, k: number, skip = -1): number[] {
  const order: number[] = [];
  for (let i = 0; i < distances.length; i++) if (i !== skip) order.push(i);
  order.sort((a, b) => distances[a]! - distances[b]! || a - b);
  return order.slice(0, k);
}

/**
 * Distance to the k-th nearest training window (Euclidean on standardised features, divided
 * by √features so it reads as an RMS z). Threshold: the largest leave-one-out k-NN distance
 * among the training windows, i.e. a split-free conformal rule: for a fresh normal window
 * exchangeable with the n training windows, the chance of exceeding it is at most 1/(n+1).
 * Needs at least k + 1 training windows.
 */
export function createKnnDetector(options: { k?: number } = {}): OneClassDetector {
  const k = options.k ?? 1;
  return createDetector('knn', (z) => {
    if (z.length < k + 1) return undefined;
    const d = z[0]!.length;
    const kth = (row: Float64Array, skip: number) => {
      const distances = Float64Array.from(z, (other) => squaredDistance(row, other));
      const index = nearest(distances, k, skip)[k - 1]!;
      return Math.sqrt(distances[index]! / d);
    };
    let threshold = 0;
    z.forEach((row, i) => (threshold = Math.max(threshold, kth(row, i))));
    return {
      threshold,
      score: (row) => kth(row, -1),
      attribution: (row) => {
        const distances = Float64Array.from(z, (other) => squaredDistance(row, other));
        const neighbour = z[nearest(distances, 1)[0]!]!;
        return row.map((x, j) => (x - neighbour[j]!) ** 2);
      },
    };
  });
}

/**
 * Local Outlier Factor (Breunig et al. 2000) in novelty mode, as scikit-learn does it:
 * k = min(neighbours, n − 1) with neighbours = 20, local reachability density
 * lrd = 1 / (mean reach-distance + 1e-10), LOF(q) = mean lrd of q's neighbours / lrd(q), and
 * the fixed threshold 1.5 of scikit-learn's `contamination='auto'`.
 */
export function createLofDetector(
  options: { neighbours?: number; threshold?: number } = {},
): OneClassDetector {
  return createDetector('lof', (z) => {
    const n = z.length;
    if (n < 2) return undefined;
    const k = Math.min(options.neighbours ?? 20, n - 1);
    const distance = z.map((a) => Float64Array.from(z, (b) => Math.sqrt(squaredDistance(a, b))));
    const neighbours = distance.map((row, i) => nearest(row, k, i));
    const kDistance = neighbours.map((idx, i) => distance[i]![idx[k - 1]!]!);
    const lrd = neighbours.map((idx, i) => {
      let reach = 0;
      for (const o of idx) reach += Math.max(kDistance[o]!, distance[i]![o]!);
      return 1 / (reach / k + 1e-10);
    });
    const lof = (row: Float64Array) => {
      const distances = Float64Array.from(z, (other) => Math.sqrt(squaredDistance(row, other)));
      const idx = nearest(distances, k);
      let reach = 0;
      let density = 0;
      for (const o of idx) {
        reach += Math.max(kDistance[o]!, distances[o]!);
        density += lrd[o]!;
      }
      return density / k / (1 / (reach / k + 1e-10));
    };
    return {
      threshold: options.threshold ?? 1.5,
      score: lof,
      attribution: (row) => {
        const distances = Float64Array.from(z, (other) => squaredDistance(row, other));
        const neighbour = z[nearest(distances, 1)[0]!]!;
        return row.map((x, j) => (x - neighbour[j]!) ** 2);
      },
    };
  });
}
