/**
 * `npm run bench -w @anh/domain`: full-catalog validation throughput on one core.
 * Prints one JSON object per result. The baseline, run in the same process on the same
 * batch, is a loop that only converts units and checks the physical range: the cost of
 * the other rules is the difference.
 */
import { VARIABLES } from '../src/measurement/catalog';
import {
  compileChannels,
  createValidationState,
  validateBatch,
  type ChannelBinding,
  type SampleBatch,
} from '../src/validation/engine';

const POINTS_PER_VARIABLE = 50;
const SAMPLES = 2_000_000;
const ROUNDS = 7;

function buildChannels(): ChannelBinding[] {
  const bindings: ChannelBinding[] = [];
  for (let p = 0; p < POINTS_PER_VARIABLE; p++) {
    for (const v of VARIABLES)
      bindings.push({
        id: `${v.code}#${p}`,
        variable: v.code,
        unit: v.canonicalUnit,
        atmosphericPressurePsia: 13.9,
      });
  }
  return bindings;
}

/** Plausible data: each channel wanders inside its typical range, 1 s apart, 0.1 % Bad status. */
function buildBatch(
  channels: number,
  typicalMin: Float64Array,
  typicalMax: Float64Array,
  isTotalizer: Uint8Array,
): SampleBatch {
  const batch: SampleBatch = {
    length: SAMPLES,
    channel: new Uint32Array(SAMPLES),
    timestamp: new Float64Array(SAMPLES),
    value: new Float64Array(SAMPLES),
    sourceStatus: new Uint8Array(SAMPLES),
  };
  const start = Date.UTC(2026, 10, 27, 5);
  let seed = 42;
  const random = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < SAMPLES; i++) {
    const c = i % channels;
    const round = Math.floor(i / channels);
    batch.channel[i] = c;
    batch.timestamp[i] = start + round * 1000;
    const lo = typicalMin[c]!;
    const hi = Math.min(typicalMax[c]!, lo + 1e6);
    batch.value[i] = isTotalizer[c]
      ? 1000 + round * 0.5
      : lo + (hi - lo) * (0.5 + 0.3 * Math.sin(round / 3000 + c) + 0.0001 * random());
    batch.sourceStatus[i] = random() < 0.001 ? 2 : 0;
  }
  return batch;
}

function rangeOnlyBaseline(
  batch: SampleBatch,
  factor: Float64Array,
  offset: Float64Array,
  min: Float64Array,
  max: Float64Array,
): number {
  let bad = 0;
  for (let i = 0; i < batch.length; i++) {
    const c = batch.channel[i]!;
    const x = batch.value[i]! * factor[c]! + offset[c]!;
    if (x < min[c]! || x > max[c]!) bad++;
  }
  return bad;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const { compiled, errors } = compileChannels(buildChannels());
if (errors.length > 0) throw new Error(`bench bindings invalid: ${JSON.stringify(errors[0])}`);
const batch = buildBatch(
  compiled.count,
  compiled.typicalMin,
  compiled.typicalMax,
  compiled.isTotalizer,
);
const nowMs = batch.timestamp[SAMPLES - 1]! + 60_000;

const baselineRates: number[] = [];
const rates: number[] = [];
let violations = 0;
for (let round = 0; round < ROUNDS; round++) {
  let t = process.hrtime.bigint();
  rangeOnlyBaseline(
    batch,
    compiled.factor,
    compiled.offset,
    compiled.physicalMin,
    compiled.physicalMax,
  );
  baselineRates.push(SAMPLES / (Number(process.hrtime.bigint() - t) / 1e9));
  t = process.hrtime.bigint();
  const outcome = validateBatch(compiled, createValidationState(compiled.count), batch, { nowMs });
  rates.push(SAMPLES / (Number(process.hrtime.bigint() - t) / 1e9));
  if (!outcome.ok) throw new Error('bench batch rejected');
  violations = outcome.result.violations.sample.length;
}

console.log(
  JSON.stringify({
    name: 'validate.full_catalog',
    value: Math.round(median(rates)),
    unit: 'samples/s',
    channels: compiled.count,
    variables: VARIABLES.length,
    samples: SAMPLES,
    rounds: ROUNDS,
    violations,
    baseline: {
      name: 'convert_and_range_only',
      value: Math.round(median(baselineRates)),
      unit: 'samples/s',
    },
  }),
);
