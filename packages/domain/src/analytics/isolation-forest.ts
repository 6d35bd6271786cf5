/**
 * Isolation Forest (Liu, Ting & Zhou, ICDM 2008): an unsupervised anomaly score. Each tree
 * splits a random subsample of ψ rows on a random feature at a random value until every row
 * is alone or the height limit ceil(log2 ψ) is reached; anomalies are isolated in fewer
 * splits. The score is s(x) = 2^(−E[h(x)] / c(ψ)), where h(x) is the path length of x in a
 * tree plus c(size) for the unresolved rows of the leaf it lands in, and c(n) is the average
 * path length of an unsuccessful search in a binary search tree of n keys. s near 1 is
 * anomalous; s well below 0.5 is normal.
 *
 * Storage: every tree is laid out as a complete binary tree of depth L = ceil(log2 ψ)
 * (children of slot i are 2i+1 and 2i+2) in flat typed arrays. A leaf above depth L is
 * padded with dummy splits (+∞ thresholds) down to depth L, and every padded leaf slot holds
 * the same path length. Scoring is then L branch-free steps per tree, no child pointers.
 *
 * Conventions: a row goes right when `x >= split`, so NaN always goes left. Training rejects
 * non-finite values; callers with missing data impute first (see detectors.ts).
 *
 * Serialisation stores each tree once, in pre-order (feature, split value, node size) and
 * rebuilds the same layout on load, so a reloaded model scores bit for bit like the original.
 */
import { AppError } from '../errors';
import { instantiateKernel, type Kernel } from './isolation-forest-wasm';
import { createRandom, type Random } from './random';

export const ISOLATION_FOREST_VERSION = 'iforest-1';
/** ψ beyond this would make the complete-tree layout large (2^13 slots a tree); the paper's
 * results are flat from ψ = 256 on. */
export const MAX_SAMPLE_SIZE = 4096;
const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n): average path length of an unsuccessful search in a binary search tree of n keys,
 * 2·H(n−1) − 2(n−1)/n with H(i) ≈ ln(i) + γ; c(2) = 1, c(1) = c(0) = 0.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export interface IsolationForestOptions {
  /** Number of trees (t in the paper). Default 100. */
  trees?: number;
  /** Subsample size ψ per tree, capped at the number of rows. Default 256. */
  sampleSize?: number;
  /** Seed of the PRNG; the same rows, options and seed give the same model. Default 1. */
  seed?: number;
  featureNames?: readonly string[];
}

/** One tree in pre-order; `feature` −1 marks a leaf. `size` is the number of subsample rows
 * that reached the node. */
interface PreorderTree {
  feature: number[];
  value: number[];
  size: number[];
}

export interface IsolationForestModel {
  readonly version: typeof ISOLATION_FOREST_VERSION;
  readonly nFeatures: number;
  readonly featureNames: readonly string[];
  readonly trees: number;
  /** ψ actually used: min(requested sample size, training rows). */
  readonly sampleSize: number;
  readonly seed: number;
  /** L = ceil(log2 ψ). */
  readonly heightLimit: number;
  /** c(ψ). */
  readonly normaliser: number;
  /** 2^L − 1 split slots per tree. */
  readonly internalSlots: number;
  /** 2^L leaf slots per tree. */
  readonly leafSlots: number;
  /** Scoring arrays, `trees × internalSlots`: feature and threshold (padding: 0 and +∞). */
  readonly splitFeature: Int32Array;
  readonly splitValue: Float64Array;
  /** `trees × leafSlots`: depth + c(size) of the leaf that owns the slot. */
  readonly leafPath: Float64Array;
  /** Explanation arrays, `trees × (internalSlots + leafSlots)`: the real node's feature
   * (−1 for a leaf or padding) and size (0 for padding). */
  readonly nodeFeature: Int32Array;
  readonly nodeSize: Int32Array;
  /** Pre-order trees, kept for serialisation. */
  readonly preorder: readonly PreorderTree[];
}

export interface IsolationForestJson {
  version: typeof ISOLATION_FOREST_VERSION;
  nFeatures: number;
  featureNames: string[];
  sampleSize: number;
  seed: number;
  trees: { feature: number[]; value: number[]; size: number[] }[];
}

function invalid(message: string, details?: Record<string, unknown>): AppError {
  return new AppError('VALIDATION', message, details === undefined ? undefined : { details });
}

function positiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw invalid(`${name} must be an integer in [1, ${max}]`, { [name]: value });
  return value;
}

function defaultNames(nFeatures: number): string[] {
  return Array.from({ length: nFeatures }, (_, j) => `f${j}`);
}

export function trainIsolationForest(
  rows: Float64Array,
  nFeatures: number,
  options: IsolationForestOptions = {},
): IsolationForestModel {
  positiveInteger('nFeatures', nFeatures);
  if (rows.length % nFeatures !== 0)
    throw invalid('rows length is not a multiple of nFeatures', { length: rows.length });
  const n = rows.length / nFeatures;
  if (n < 2) throw invalid('an isolation forest needs at least 2 training rows', { rows: n });
  for (let i = 0; i < rows.length; i++)
    if (!Number.isFinite(rows[i]))
      throw invalid('training rows must be finite (impute missing values first)', {
        row: Math.floor(i / nFeatures),
        feature: i % nFeatures,
      });
  const trees = positiveInteger('trees', options.trees ?? 100);
  const requested = positiveInteger('sampleSize', options.sampleSize ?? 256, MAX_SAMPLE_SIZE);
  const seed = options.seed ?? 1;
  const featureNames = [...(options.featureNames ?? defaultNames(nFeatures))];
  if (featureNames.length !== nFeatures)
    throw invalid('featureNames must have one name per feature', {
      names: featureNames.length,
      nFeatures,
    });

  const psi = Math.min(requested, n);
  const heightLimit = Math.ceil(Math.log2(psi));
  const rng = createRandom(seed);
  const permutation = new Int32Array(n);
  for (let i = 0; i < n; i++) permutation[i] = i;
  const sample = new Int32Array(psi);
  const candidates = new Int32Array(nFeatures);
  const preorder: PreorderTree[] = [];
  for (let t = 0; t < trees; t++) {
    // Partial Fisher–Yates: the first ψ entries become a uniform sample without replacement.
    for (let i = 0; i < psi; i++) {
      const j = i + rng.int(n - i);
      const swap = permutation[i]!;
      permutation[i] = permutation[j]!;
      permutation[j] = swap;
      sample[i] = permutation[i]!;
    }
    const tree: PreorderTree = { feature: [], value: [], size: [] };
    growTree(rows, nFeatures, sample, 0, psi, 0, heightLimit, rng, candidates, tree);
    preorder.push(tree);
  }
  return buildModel(nFeatures, featureNames, psi, seed, preorder);
}

function growTree(
  rows: Float64Array,
  nFeatures: number,
  sample: Int32Array,
  lo: number,
  hi: number,
  depth: number,
  heightLimit: number,
  rng: Random,
  candidates: Int32Array,
  out: PreorderTree,
): void {
  const size = hi - lo;
  const leaf = () => {
    out.feature.push(-1);
    out.value.push(0);
    out.size.push(size);
  };
  if (size <= 1 || depth >= heightLimit) return leaf();
  // Draw features until one is not constant in this node; none left means every row here is
  // identical and cannot be separated.
  for (let j = 0; j < nFeatures; j++) candidates[j] = j;
  let remaining = nFeatures;
  let feature = -1;
  let min = 0;
  let max = 0;
  while (remaining > 0) {
    const pick = rng.int(remaining);
    const f = candidates[pick]!;
    min = Infinity;
    max = -Infinity;
    for (let i = lo; i < hi; i++) {
      const x = rows[sample[i]! * nFeatures + f]!;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    if (max > min) {
      feature = f;
      break;
    }
    candidates[pick] = candidates[remaining - 1]!;
    remaining--;
  }
  if (feature < 0) return leaf();
  let split = min + rng.next() * (max - min);
  // Rounding can land on min, which would leave the left side empty.
  if (!(split > min)) split = max;
  let mid = lo;
  for (let i = lo; i < hi; i++) {
    const r = sample[i]!;
    if (rows[r * nFeatures + feature]! < split) {
      sample[i] = sample[mid]!;
      sample[mid] = r;
      mid++;
    }
  }
  out.feature.push(feature);
  out.value.push(split);
  out.size.push(size);
  growTree(rows, nFeatures, sample, lo, mid, depth + 1, heightLimit, rng, candidates, out);
  growTree(rows, nFeatures, sample, mid, hi, depth + 1, heightLimit, rng, candidates, out);
}

function buildModel(
  nFeatures: number,
  featureNames: string[],
  psi: number,
  seed: number,
  preorder: PreorderTree[],
): IsolationForestModel {
  const heightLimit = Math.ceil(Math.log2(psi));
  const internalSlots = 2 ** heightLimit - 1;
  const leafSlots = 2 ** heightLimit;
  const slots = internalSlots + leafSlots;
  const trees = preorder.length;
  const splitFeature = new Int32Array(trees * internalSlots);
  const splitValue = new Float64Array(trees * internalSlots);
  const leafPath = new Float64Array(trees * leafSlots);
  const nodeFeature = new Int32Array(trees * slots).fill(-1);
  const nodeSize = new Int32Array(trees * slots);

  preorder.forEach((tree, t) => {
    const pad = (slot: number, value: number) => {
      if (slot >= internalSlots) {
        leafPath[t * leafSlots + slot - internalSlots] = value;
        return;
      }
      splitFeature[t * internalSlots + slot] = 0;
      splitValue[t * internalSlots + slot] = Infinity;
      pad(2 * slot + 1, value);
      pad(2 * slot + 2, value);
    };
    // Returns the pre-order position after the subtree rooted at `pos`.
    const place = (pos: number, slot: number, depth: number): number => {
      const feature = tree.feature[pos];
      const size = tree.size[pos];
      if (feature === undefined || size === undefined || depth > heightLimit)
        throw invalid('isolation forest tree is malformed', { tree: t, node: pos });
      nodeFeature[t * slots + slot] = feature;
      nodeSize[t * slots + slot] = size;
      if (feature < 0) {
        pad(slot, depth + averagePathLength(size));
        return pos + 1;
      }
      if (slot >= internalSlots)
        throw invalid('isolation forest tree is deeper than its height limit', { tree: t });
      splitFeature[t * internalSlots + slot] = feature;
      splitValue[t * internalSlots + slot] = tree.value[pos]!;
      const next = place(pos + 1, 2 * slot + 1, depth + 1);
      return place(next, 2 * slot + 2, depth + 1);
    };
    const end = place(0, 0, 0);
    if (end !== tree.feature.length)
      throw invalid('isolation forest tree has trailing nodes', { tree: t });
  });

  return {
    version: ISOLATION_FOREST_VERSION,
    nFeatures,
    featureNames,
    trees,
    sampleSize: psi,
    seed,
    heightLimit,
    normaliser: averagePathLength(psi),
    internalSlots,
    leafSlots,
    splitFeature,
    splitValue,
    leafPath,
    nodeFeature,
    nodeSize,
    preorder,
  };
}

function checkRow(model: IsolationForestModel, row: ArrayLike<number>): void {
  if (row.length !== model.nFeatures)
    throw invalid('row has the wrong number of features', {
      expected: model.nFeatures,
      received: row.length,
    });
}

/** Anomaly score s(x) in (0, 1] of one row. */
export function score(model: IsolationForestModel, row: ArrayLike<number>): number {
  checkRow(model, row);
  const { splitFeature, splitValue, leafPath, internalSlots, leafSlots, heightLimit } = model;
  let sum = 0;
  for (let t = 0; t < model.trees; t++) {
    const base = t * internalSlots;
    let node = 0;
    for (let d = 0; d < heightLimit; d++) {
      const s = base + node;
      node = 2 * node + 1 + right(row[splitFeature[s]!]!, splitValue[s]!);
    }
    sum += leafPath[t * leafSlots + node - internalSlots]!;
  }
  return Math.pow(2, -(sum / model.trees) / model.normaliser);
}

/** 1 when a row goes right at a split, 0 when it goes left (NaN goes left). The cast is erased
 * at compile time: `boolean | 0` compiles to a flag-to-integer move instead of a branch,
 * which random split outcomes would mispredict half the time. */
function right(x: number, split: number): number {
  return ((x >= split) as unknown as number) | 0;
}

/** Rows per block in `scoreMany`. 64, 128 and 512 measured the same within the noise of a
 * shared machine. */
const BLOCK_ROWS = 256;

/**
 * `scoreMany`'s copy of the trees, in plain packed JS arrays. In Node 20, every typed-array
 * element access re-checks that its buffer was not detached and rebuilds the data pointer,
 * which the optimiser does not hoist out of the tree walk; packed arrays (SMI and double
 * elements) cost one bounds check a load. Per tree, heap order (root 1, children 2a left and
 * 2a + 1 right, so a step is `a = 2a | right`; slot i of the model is a = i + 1):
 * - `offset[a]`, a in [1, 2^L): the split's feature × BLOCK_ROWS, its column in the
 *   transposed block (index 0 unused);
 * - `value[a]`: the split value for a < 2^L, and for a in [2^L, 2^(L+1)) the path length of
 *   leaf slot a − 2^L, where the walk ends, so a single table serves both.
 */
interface ScoringTables {
  offset: number[][];
  value: number[][];
}

/** Built on a model's first `scoreMany` (about 1 ms and 0.6 MB for 100 trees at ψ = 256) and
 * dropped with the model. Nothing here changes a model once built, so the copy cannot go
 * stale. */
const scoringTables = new WeakMap<IsolationForestModel, ScoringTables>();

function tablesOf(model: IsolationForestModel): ScoringTables {
  let tables = scoringTables.get(model);
  if (tables !== undefined) return tables;
  const { internalSlots: inner, leafSlots, trees, splitFeature, splitValue, leafPath } = model;
  tables = { offset: [], value: [] };
  for (let t = 0; t < trees; t++) {
    // Pushed one by one so the arrays stay packed (no holes to check for on load).
    const offset: number[] = [0];
    const value: number[] = [0.5];
    for (let i = 0; i < inner; i++) {
      offset.push(splitFeature[t * inner + i]! * BLOCK_ROWS);
      value.push(splitValue[t * inner + i]!);
    }
    for (let i = 0; i < leafSlots; i++) value.push(leafPath[t * leafSlots + i]!);
    tables.offset.push(offset);
    tables.value.push(value);
  }
  scoringTables.set(model, tables);
  return tables;
}

/**
 * `scoreMany`'s WebAssembly kernel for one model (see isolation-forest-wasm.ts for the memory
 * layout): sums at byte 0, a block of rows (row-major, copied as given) at `columnAt`, the
 * trees at `tablesAt`, one 16-byte record (split or leaf value, feature's byte offset in a
 * row) per heap node.
 * Memory is sized once and never grows, so the views stay valid.
 */
interface WasmScorer {
  run: Kernel;
  column: Float64Array;
  sums: Float64Array;
  columnAt: number;
  tablesAt: number;
  treeBytes: number;
}

/** Beyond this the kernel's memory is not worth asking for; the JS path takes over. */
const MAX_WASM_BYTES = 2 ** 30;

/** Built on a model's first `scoreMany`, null when WebAssembly is unavailable; dropped with
 * the model. */
const wasmScorers = new WeakMap<IsolationForestModel, WasmScorer | null>();

function wasmScorerOf(model: IsolationForestModel): WasmScorer | null {
  const cached = wasmScorers.get(model);
  if (cached !== undefined) return cached;
  const { internalSlots: inner, leafSlots, trees, nFeatures, splitFeature, splitValue } = model;
  const nodes = 2 * leafSlots;
  const treeBytes = nodes * 16;
  const columnAt = BLOCK_ROWS * 8;
  const tablesAt = columnAt + BLOCK_ROWS * nFeatures * 8;
  const bytes = tablesAt + trees * treeBytes;
  const kernel =
    bytes <= MAX_WASM_BYTES ? instantiateKernel(model.heightLimit, nFeatures, bytes) : null;
  let scorer: WasmScorer | null = null;
  if (kernel !== null) {
    const { buffer } = kernel;
    const f64 = new Float64Array(buffer);
    const i32 = new Int32Array(buffer);
    for (let t = 0; t < trees; t++) {
      const base = tablesAt + t * treeBytes;
      f64[base / 8] = 0.5;
      for (let a = 1; a < nodes; a++) {
        const at = base + a * 16;
        if (a <= inner) {
          f64[at / 8] = splitValue[t * inner + a - 1]!;
          i32[at / 4 + 2] = splitFeature[t * inner + a - 1]! * 8;
        } else f64[at / 8] = model.leafPath[t * leafSlots + a - 1 - inner]!;
      }
    }
    scorer = {
      run: kernel.run,
      column: new Float64Array(buffer, columnAt, BLOCK_ROWS * nFeatures),
      sums: new Float64Array(buffer, 0, BLOCK_ROWS),
      columnAt,
      tablesAt,
      treeBytes,
    };
  }
  wasmScorers.set(model, scorer);
  return scorer;
}

/** Beyond this many features the transposed block's indices would leave int32. */
const MAX_BLOCK_FEATURES = 2 ** 31 / BLOCK_ROWS;

/**
 * Scores of many rows (row-major, `nFeatures` values a row), bit-identical to `score` row by
 * row: the same splits decide the same way, and each row's leaf path lengths are summed in
 * tree order as there. Rows are taken BLOCK_ROWS at a time and transposed into `column`
 * (feature f of row r at f·BLOCK_ROWS + r); trees are walked one at a time over the block so
 * each stays in L1 cache, and eight rows descend a tree together: their eight dependency
 * chains (load split → load value → compare → next node) overlap in the CPU, which is most of
 * the speed. The transposed block lets the eight rows share one offset `k` (row k + j is
 * `column[offset[a] + k + j]`) instead of eight row offsets, so the eight chains stay in
 * registers. Measured and not kept: 4, 6, 10, 12 or 16 rows at a time, peeling the root level,
 * unrolling two levels (all within the noise); walking the block level by level (2× slower).
 *
 * Where WebAssembly is available the same walk (trees outer, eight rows at a time, sums in
 * tree order) runs in a kernel (isolation-forest-wasm.ts) on an untransposed block: about
 * 1.45× this JS path's rate measured side by side in one process (100 trees, ψ = 256, 24
 * features), since wasm loads carry no per-access bounds check and the chains stay in
 * registers. The JS path below remains the fallback.
 */
export function scoreMany(
  model: IsolationForestModel,
  rows: Float64Array,
  out?: Float64Array,
): Float64Array {
  const nF = model.nFeatures;
  if (rows.length % nF !== 0)
    throw invalid('rows length is not a multiple of nFeatures', { length: rows.length });
  const n = rows.length / nF;
  const result = out ?? new Float64Array(n);
  if (result.length < n) throw invalid('output array is too short', { rows: n });
  if (nF >= MAX_BLOCK_FEATURES) {
    for (let r = 0; r < n; r++) result[r] = score(model, rows.subarray(r * nF, (r + 1) * nF));
    return result;
  }
  const { heightLimit: depth, trees, normaliser } = model;
  const wasm = wasmScorerOf(model);
  if (wasm !== null) {
    const { run, column, sums, columnAt, tablesAt, treeBytes } = wasm;
    for (let start = 0; start < n; start += BLOCK_ROWS) {
      const count = Math.min(n, start + BLOCK_ROWS) - start;
      column.set(rows.subarray(start * nF, (start + count) * nF));
      sums.fill(0, 0, count);
      run(count, trees, tablesAt, treeBytes, columnAt, 0);
      for (let k = 0; k < count; k++)
        result[start + k] = Math.pow(2, -(sums[k]! / trees) / normaliser);
    }
    return result;
  }
  const { offset: offsets, value: values } = tablesOf(model);
  const column: number[] = [];
  for (let i = 0; i < BLOCK_ROWS * nF; i++) column.push(0.5);
  const sums: number[] = [];
  for (let k = 0; k < BLOCK_ROWS; k++) sums.push(0.5);
  for (let start = 0; start < n; start += BLOCK_ROWS) {
    const count = Math.min(n, start + BLOCK_ROWS) - start;
    for (let k = 0; k < count; k++) {
      const from = (start + k) * nF;
      for (let f = 0; f < nF; f++) column[f * BLOCK_ROWS + k] = rows[from + f]!;
    }
    for (let k = 0; k < count; k++) sums[k] = 0;
    for (let t = 0; t < trees; t++) {
      const sf = offsets[t]!;
      const sv = values[t]!;
      let k = 0;
      for (; k + 8 <= count; k += 8) {
        let a0 = 1;
        let a1 = 1;
        let a2 = 1;
        let a3 = 1;
        let a4 = 1;
        let a5 = 1;
        let a6 = 1;
        let a7 = 1;
        for (let d = 0; d < depth; d++) {
          a0 = (a0 << 1) | right(column[(sf[a0]! + k) | 0]!, sv[a0]!);
          a1 = (a1 << 1) | right(column[(sf[a1]! + k + 1) | 0]!, sv[a1]!);
          a2 = (a2 << 1) | right(column[(sf[a2]! + k + 2) | 0]!, sv[a2]!);
          a3 = (a3 << 1) | right(column[(sf[a3]! + k + 3) | 0]!, sv[a3]!);
          a4 = (a4 << 1) | right(column[(sf[a4]! + k + 4) | 0]!, sv[a4]!);
          a5 = (a5 << 1) | right(column[(sf[a5]! + k + 5) | 0]!, sv[a5]!);
          a6 = (a6 << 1) | right(column[(sf[a6]! + k + 6) | 0]!, sv[a6]!);
          a7 = (a7 << 1) | right(column[(sf[a7]! + k + 7) | 0]!, sv[a7]!);
        }
        sums[k] = sums[k]! + sv[a0]!;
        sums[k + 1] = sums[k + 1]! + sv[a1]!;
        sums[k + 2] = sums[k + 2]! + sv[a2]!;
        sums[k + 3] = sums[k + 3]! + sv[a3]!;
        sums[k + 4] = sums[k + 4]! + sv[a4]!;
        sums[k + 5] = sums[k + 5]! + sv[a5]!;
        sums[k + 6] = sums[k + 6]! + sv[a6]!;
        sums[k + 7] = sums[k + 7]! + sv[a7]!;
      }
      for (; k < count; k++) {
        let a = 1;
        for (let d = 0; d < depth; d++) a = (a << 1) | right(column[(sf[a]! + k) | 0]!, sv[a]!);
        sums[k] = sums[k]! + sv[a]!;
      }
    }
    for (let k = 0; k < count; k++)
      result[start + k] = Math.pow(2, -(sums[k]! / trees) / normaliser);
  }
  return result;
}

export interface FeatureAttribution {
  feature: number;
  name: string;
  /** Share of the isolation of this row credited to the feature; shares sum to 1. */
  contribution: number;
  /** Mean number of splits on the feature along the row's path, per tree. */
  splitsPerTree: number;
  /** Mean depth of the first split on the feature, over the trees that use it on the path. */
  meanFirstDepth: number | null;
}

export interface IsolationExplanation {
  score: number;
  /** E[h(x)]: mean path length over the trees, leaf correction included. */
  meanPathLength: number;
  /** Sorted by contribution, largest first. */
  features: FeatureAttribution[];
}

/**
 * Path-based attribution. Along the row's path in each tree, a split on feature f that sends
 * the row into a child holding m of the node's n subsample rows has separated n − m rows from
 * it; f is credited (n − m)/ψ. Early splits separate more rows, so "how often and how early"
 * a feature isolates the row is what it is credited for. An outlier in feature f is cut off
 * from almost the whole sample by the first split on f, which dominates its explanation.
 */
export function explain(model: IsolationForestModel, row: ArrayLike<number>): IsolationExplanation {
  checkRow(model, row);
  const nF = model.nFeatures;
  const credit = new Float64Array(nF);
  const splits = new Float64Array(nF);
  const firstDepthSum = new Float64Array(nF);
  const firstDepthCount = new Float64Array(nF);
  const seen = new Int32Array(nF).fill(-1);
  const slots = model.internalSlots + model.leafSlots;
  let pathSum = 0;
  for (let t = 0; t < model.trees; t++) {
    const base = t * slots;
    const rootSize = model.nodeSize[base]!;
    let node = 0;
    let depth = 0;
    while (model.nodeFeature[base + node]! >= 0) {
      const f = model.nodeFeature[base + node]!;
      const s = t * model.internalSlots + node;
      const child = 2 * node + 1 + right(row[f]!, model.splitValue[s]!);
      credit[f] =
        credit[f]! + (model.nodeSize[base + node]! - model.nodeSize[base + child]!) / rootSize;
      splits[f] = splits[f]! + 1;
      if (seen[f] !== t) {
        seen[f] = t;
        firstDepthSum[f] = firstDepthSum[f]! + depth;
        firstDepthCount[f] = firstDepthCount[f]! + 1;
      }
      node = child;
      depth++;
    }
    pathSum += depth + averagePathLength(model.nodeSize[base + node]!);
  }
  let total = 0;
  for (let f = 0; f < nF; f++) total += credit[f]!;
  const features: FeatureAttribution[] = [];
  for (let f = 0; f < nF; f++)
    features.push({
      feature: f,
      name: model.featureNames[f] ?? `f${f}`,
      contribution: total > 0 ? credit[f]! / total : 0,
      splitsPerTree: splits[f]! / model.trees,
      meanFirstDepth: firstDepthCount[f]! > 0 ? firstDepthSum[f]! / firstDepthCount[f]! : null,
    });
  features.sort((a, b) => b.contribution - a.contribution || a.feature - b.feature);
  return { score: score(model, row), meanPathLength: pathSum / model.trees, features };
}

export function isolationForestToJson(model: IsolationForestModel): IsolationForestJson {
  return {
    version: model.version,
    nFeatures: model.nFeatures,
    featureNames: [...model.featureNames],
    sampleSize: model.sampleSize,
    seed: model.seed,
    trees: model.preorder.map((tree) => ({
      feature: [...tree.feature],
      value: [...tree.value],
      size: [...tree.size],
    })),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberArray(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'number' && Number.isFinite(x)))
    throw invalid(`${what} must be an array of finite numbers`);
  return value as number[];
}

/** Rebuilds a model from `isolationForestToJson` output (or its JSON.parse). Scores of the
 * rebuilt model are bit-identical to the original's. */
export function isolationForestFromJson(json: unknown): IsolationForestModel {
  if (!isRecord(json)) throw invalid('isolation forest model must be an object');
  if (json.version !== ISOLATION_FOREST_VERSION)
    throw invalid(`unsupported isolation forest model version`, { version: json.version });
  const nFeatures = positiveInteger('nFeatures', Number(json.nFeatures));
  const psi = positiveInteger('sampleSize', Number(json.sampleSize), MAX_SAMPLE_SIZE);
  if (psi < 2) throw invalid('sampleSize must be at least 2');
  const seed = Number(json.seed);
  if (!Number.isFinite(seed)) throw invalid('seed must be a number');
  const names = json.featureNames;
  if (
    !Array.isArray(names) ||
    names.length !== nFeatures ||
    !names.every((x) => typeof x === 'string')
  )
    throw invalid('featureNames must have one string per feature');
  if (!Array.isArray(json.trees) || json.trees.length === 0)
    throw invalid('isolation forest model has no trees');
  const preorder = json.trees.map((tree: unknown, t): PreorderTree => {
    if (!isRecord(tree)) throw invalid('tree must be an object', { tree: t });
    const feature = numberArray(tree.feature, `trees[${t}].feature`);
    const value = numberArray(tree.value, `trees[${t}].value`);
    const size = numberArray(tree.size, `trees[${t}].size`);
    if (value.length !== feature.length || size.length !== feature.length)
      throw invalid('tree arrays differ in length', { tree: t });
    for (let i = 0; i < feature.length; i++) {
      const f = feature[i]!;
      if (!Number.isInteger(f) || f < -1 || f >= nFeatures)
        throw invalid('tree refers to an unknown feature', { tree: t, node: i, feature: f });
      if (!Number.isInteger(size[i]) || size[i]! < 1 || size[i]! > psi)
        throw invalid('tree node size out of range', { tree: t, node: i });
    }
    return { feature: [...feature], value: [...value], size: [...size] };
  });
  return buildModel(nFeatures, [...(names as unknown[]).map(String)], psi, seed, preorder);
}
