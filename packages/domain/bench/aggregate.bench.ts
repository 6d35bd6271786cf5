/**
 * Aggregation throughput: one day of 1 Hz samples (86,400) per variable, to 144 slots.
 * Baseline in the same process: bucketing the same samples into slots without statistics.
 */
import { SLOT_MS } from '../src/aggregation/bogota-day';
import { aggregateDay, type AggregationSample } from '../src/aggregation/slots';

const DAY = '2026-11-27';
const START = Date.UTC(2026, 10, 27, 5);
const PER_DAY = 86_400;
const SERIES = 20;
const ROUNDS = 5;

const series: AggregationSample[][] = Array.from({ length: SERIES }, (_, s) =>
  Array.from({ length: PER_DAY }, (_, k) => ({
    timestamp: START + k * 1000,
    value: s % 2 ? 1000 + k * 0.01 : 850 + Math.sin(k / 600),
    flag: 0,
  })),
);

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

const rates: number[] = [];
const baselineRates: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let t = process.hrtime.bigint();
  let checksum = 0;
  for (const samples of series) {
    const counts = new Uint32Array(144);
    for (const sample of samples) counts[Math.floor((sample.timestamp - START) / SLOT_MS)]!++;
    checksum += counts[0]!;
  }
  baselineRates.push((SERIES * PER_DAY) / (Number(process.hrtime.bigint() - t) / 1e9));
  t = process.hrtime.bigint();
  series.forEach((samples, s) => {
    const result = aggregateDay(
      DAY,
      samples,
      s % 2
        ? { kind: 'totalizer', expectedPerSlot: 600, previousReading: 1000 }
        : { kind: 'analog', expectedPerSlot: 600 },
    );
    if (!result.ok) throw new Error('aggregation failed');
    checksum += result.value.slots.length;
  });
  rates.push((SERIES * PER_DAY) / (Number(process.hrtime.bigint() - t) / 1e9));
  if (checksum === 0) throw new Error('unreachable');
}

console.log(
  JSON.stringify({
    name: 'aggregate.day_to_144_slots',
    value: Math.round(median(rates)),
    unit: 'samples/s',
    series: SERIES,
    samplesPerSeries: PER_DAY,
    rounds: ROUNDS,
    baseline: { name: 'bucket_only', value: Math.round(median(baselineRates)), unit: 'samples/s' },
  }),
);
