/**
 * `npx tsx packages/domain/bench/isolation-forest.bench.ts`: isolation forest cost on one
 * core. Prints one JSON object per result.
 *
 * - Training: one measurement point's month of 10-minute window features, 30 × 144 = 4,320
 *   rows × 24 features, 100 trees, ψ = 256. Baseline: one min/max pass over the same rows
 *   (the least any training must do).
 * - Scoring: 100 trees × ψ = 256 on 24 features, with `scoreMany` (the batch path) and
 *   `score` (one row at a time). Baseline, in the same process on the same rows: a loop that
 *   only sums each row's values, i.e. the cost of reading the data.
 *
 * Rates are medians of ROUNDS runs on wall-clock time; `cpu_value` divides by the process's
 * CPU time instead, which is the better "one core" figure when the machine is shared
 * (`load_average` says how shared it was).
 */
import { loadavg } from 'node:os';
import {
  explain,
  isolationForestToJson,
  score,
  scoreMany,
  trainIsolationForest,
} from '../src/analytics/isolation-forest';
import { createRandom } from '../src/analytics/random';

const FEATURES = 24;
const TRAIN_ROWS = 30 * 144;
const SCORE_ROWS = 250_000;
const SINGLE_ROWS = 50_000;
const ROUNDS = 7;
const TREES = 100;
const SAMPLE_SIZE = 256;

/** Window-feature-like rows: 3 latent process states mixed into 24 correlated features,
 * plus noise, plus a few far-off rows. */
function buildRows(rows: number, seed: number): Float64Array {
  const rng = createRandom(seed);
  const mix = Array.from({ length: FEATURES * 3 }, () => rng.normal());
  const out = new Float64Array(rows * FEATURES);
  for (let r = 0; r < rows; r++) {
    const latent = [rng.normal(), rng.normal(), rng.normal()];
    const far = rng.next() < 0.01 ? 6 : 0;
    for (let f = 0; f < FEATURES; f++)
      out[r * FEATURES + f] =
        100 * f +
        mix[f * 3]! * latent[0]! +
        mix[f * 3 + 1]! * latent[1]! +
        mix[f * 3 + 2]! * latent[2]! +
        0.3 * rng.normal() +
        (f % 5 === 0 ? far : 0);
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs `fn` ROUNDS times; returns median wall and CPU seconds per run. */
function time(fn: () => void): { wall: number; cpu: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    fn();
    walls.push(Number(process.hrtime.bigint() - start) / 1e9);
    const used = process.cpuUsage(cpu);
    cpus.push((used.user + used.system) / 1e6);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

let sink = 0;

function sumRows(rows: Float64Array): void {
  let total = 0;
  for (let i = 0; i < rows.length; i++) total += rows[i]!;
  sink += total;
}

function minMaxColumns(rows: Float64Array): void {
  const min = new Float64Array(FEATURES).fill(Infinity);
  const max = new Float64Array(FEATURES).fill(-Infinity);
  for (let i = 0; i < rows.length; i++) {
    const f = i % FEATURES;
    const x = rows[i]!;
    if (x < min[f]!) min[f] = x;
    if (x > max[f]!) max[f] = x;
  }
  sink += min[0]! + max[0]!;
}

const training = buildRows(TRAIN_ROWS, 1);
const scoring = buildRows(SCORE_ROWS, 2);
const load = Math.round(loadavg()[0]! * 100) / 100;

// Warm-up so every measured path runs optimised code.
let model = trainIsolationForest(training, FEATURES, { trees: TREES, sampleSize: SAMPLE_SIZE });
scoreMany(model, scoring.subarray(0, 20_000 * FEATURES));
sumRows(scoring);

const train = time(() => {
  model = trainIsolationForest(training, FEATURES, {
    trees: TREES,
    sampleSize: SAMPLE_SIZE,
    seed: 7,
  });
});
const trainBaseline = time(() => minMaxColumns(training));
console.log(
  JSON.stringify({
    name: 'iforest.train',
    value: Math.round(train.wall * 1e4) / 10,
    unit: 'ms',
    cpu_value: Math.round(train.cpu * 1e4) / 10,
    rows: TRAIN_ROWS,
    features: FEATURES,
    trees: TREES,
    sample_size: SAMPLE_SIZE,
    model_json_bytes: JSON.stringify(isolationForestToJson(model)).length,
    rounds: ROUNDS,
    load_average: load,
    baseline: {
      name: 'column_min_max_same_rows',
      value: Math.round(trainBaseline.wall * 1e7) / 1e4,
      unit: 'ms',
    },
  }),
);

const out = new Float64Array(SCORE_ROWS);
const batch = time(() => {
  scoreMany(model, scoring, out);
});
const readOnly = time(() => sumRows(scoring));
const single = time(() => {
  let total = 0;
  for (let r = 0; r < SINGLE_ROWS; r++)
    total += score(model, scoring.subarray(r * FEATURES, (r + 1) * FEATURES));
  sink += total;
});
const rate = (seconds: number, rows = SCORE_ROWS) => Math.round(rows / seconds);
const baseline = { name: 'sum_loop_same_rows', value: rate(readOnly.wall), unit: 'samples/s' };
for (const [name, t, samples] of [
  ['iforest.score_many', batch, SCORE_ROWS],
  ['iforest.score_one', single, SINGLE_ROWS],
] as const)
  console.log(
    JSON.stringify({
      name,
      value: rate(t.wall, samples),
      unit: 'samples/s',
      cpu_value: rate(t.cpu, samples),
      trees: TREES,
      sample_size: SAMPLE_SIZE,
      features: FEATURES,
      samples,
      rounds: ROUNDS,
      load_average: load,
      baseline,
    }),
  );

const EXPLAIN_ROWS = 20_000;
const explained = time(() => {
  for (let r = 0; r < EXPLAIN_ROWS; r++)
    sink += explain(model, scoring.subarray(r * FEATURES, (r + 1) * FEATURES)).meanPathLength;
});
console.log(
  JSON.stringify({
    name: 'iforest.explain',
    value: rate(explained.wall, EXPLAIN_ROWS),
    unit: 'samples/s',
    cpu_value: rate(explained.cpu, EXPLAIN_ROWS),
    samples: EXPLAIN_ROWS,
    rounds: ROUNDS,
    baseline,
  }),
);
if (Number.isNaN(sink)) throw new Error('unreachable: keeps the measured loops alive');
