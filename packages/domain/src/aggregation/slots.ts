import { FLAG, QUALITY_FLAGS, type QualityFlag } from '../validation/rules';
import { bogotaDayStart, SLOT_MS, SLOTS_PER_DAY, type DayError } from './bogota-day';
import { AppError } from '../errors';

/**
 * Raw validated samples to 10-minute slots. Each slot is computed from its own samples
 * only, so a late sample re-aggregates just its slot (and, for a totalizer, the delta of
 * the following slot, from values already stored).
 */
export interface AggregationSample {
  timestamp: number;
  /** Canonical value from the validation engine. */
  value: number;
  /** FLAG code from the validation engine. */
  flag: number;
}

export type SeriesKind = 'analog' | 'state' | 'sampled' | 'totalizer';

export interface SlotAggregate {
  slot: number;
  /** Good-quality samples used for the statistics. */
  count: number;
  /** Time-weighted mean (sample-and-hold within the slot); for a state, the fraction of time on. */
  mean: number | null;
  min: number | null;
  max: number | null;
  first: number | null;
  last: number | null;
  /** count / expected, capped at 1. */
  completeness: number;
  /** Worst quality seen in the slot; M when it had no usable sample. */
  flag: QualityFlag;
  /** Totalizers: increase since the previous slot's last reading (rollover and resets handled). */
  delta: number | null;
  /** Totalizers: what the delta had to handle. */
  counterEvent: 'rollover' | 'reset' | null;
  /** Totalizers: increase between this slot's own readings (resets inside the slot handled). */
  innerDelta: number | null;
}

export interface AggregationOptions {
  kind: SeriesKind;
  /** Samples expected per slot (e.g. 10 for one a minute). */
  expectedPerSlot: number;
  /** Totalizers: counter maximum, to tell a rollover from a reset. */
  rolloverAt?: number;
  /** Totalizers: last good reading of the previous day, for slot 0's delta. */
  previousReading?: number | null;
}

export type AggregationError = DayError | { kind: 'invalid_option'; option: string; value: number };

export interface DayAggregation {
  day: string;
  slots: SlotAggregate[];
  /** Samples outside the day, or non-finite timestamps: not aggregated, listed by index. */
  rejected: Array<{ index: number; reason: 'other_day' | 'bad_timestamp' }>;
  /** Totalizers: Σ slot deltas. Other kinds: null. */
  total: number | null;
}

/** A slot with no usable sample (flag M). */
export function emptySlot(slot: number): SlotAggregate {
  return {
    slot,
    count: 0,
    mean: null,
    min: null,
    max: null,
    first: null,
    last: null,
    completeness: 0,
    flag: 'M',
    delta: null,
    counterEvent: null,
    innerDelta: null,
  };
}

/** Statistics of one slot from its own samples (any order). */
export function aggregateSlot(
  slot: number,
  slotStart: number,
  samples: readonly AggregationSample[],
  expectedPerSlot: number,
  counter?: { rolloverAt?: number },
): SlotAggregate {
  if (samples.length === 0) return emptySlot(slot);
  const ordered = [...samples].sort((a, b) => a.timestamp - b.timestamp);
  const slotEnd = slotStart + SLOT_MS;
  let worst = -1;
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  let weighted = 0;
  let covered = 0;
  let first: number | null = null;
  let last: number | null = null;
  let innerDelta = 0;
  let innerEvent: 'rollover' | 'reset' | null = null;
  const good = ordered.filter((s) => {
    worst = Math.max(worst, s.flag);
    return s.flag !== FLAG.B && s.flag !== FLAG.M && Number.isFinite(s.value);
  });
  for (let k = 0; k < good.length; k++) {
    const s = good[k]!;
    const until = k + 1 < good.length ? good[k + 1]!.timestamp : slotEnd;
    const span = Math.max(0, until - s.timestamp);
    weighted += s.value * span;
    covered += span;
    if (s.value < min) min = s.value;
    if (s.value > max) max = s.value;
    if (counter && last !== null) {
      const step = counterDelta(last, s.value, counter.rolloverAt);
      innerDelta += step.delta;
      innerEvent = step.event ?? innerEvent;
    }
    first ??= s.value;
    last = s.value;
    count++;
  }
  if (count === 0) return { ...emptySlot(slot), flag: QUALITY_FLAGS[worst]! };
  return {
    slot,
    count,
    mean: covered > 0 ? weighted / covered : (first ?? null),
    min,
    max,
    first,
    last,
    completeness: Math.min(1, count / expectedPerSlot),
    flag: QUALITY_FLAGS[worst]!,
    delta: null,
    counterEvent: counter ? innerEvent : null,
    innerDelta: counter ? innerDelta : null,
  };
}

/** Increase of a counter from `previous` to `current`, telling rollover from reset. */
export function counterDelta(
  previous: number,
  current: number,
  rolloverAt?: number,
): { delta: number; event: 'rollover' | 'reset' | null } {
  if (current >= previous) return { delta: current - previous, event: null };
  if (rolloverAt !== undefined && previous > 0.9 * rolloverAt && current < 0.1 * rolloverAt) {
    return { delta: rolloverAt - previous + current, event: 'rollover' };
  }
  // A reset restarts the count from zero: what it shows now was produced since.
  return { delta: current, event: 'reset' };
}

/** Fills each totalizer slot's delta from its first/last and the previous reading. */
export function applyCounterDeltas(
  slots: SlotAggregate[],
  options: Pick<AggregationOptions, 'rolloverAt' | 'previousReading'>,
  from = 0,
  to = slots.length,
): void {
  // The reading just before slot `from`: the nearest earlier slot with one, else the previous day.
  let previous: number | null = options.previousReading ?? null;
  for (let k = from - 1; k >= 0; k--) {
    const last = slots[k]!.last;
    if (last !== null) {
      previous = last;
      break;
    }
  }
  for (let k = from; k < to; k++) {
    const slot = slots[k]!;
    if (slot.first === null || slot.last === null) {
      slot.delta = slot.count === 0 ? null : 0;
      continue;
    }
    let delta = slot.innerDelta ?? 0;
    let event = slot.counterEvent;
    if (previous !== null) {
      const boundary = counterDelta(previous, slot.first, options.rolloverAt);
      delta += boundary.delta;
      event = boundary.event ?? event;
    }
    slot.delta = delta;
    slot.counterEvent = event;
    previous = slot.last;
  }
}

function counterOptions(options: AggregationOptions): { rolloverAt?: number } | undefined {
  if (options.kind !== 'totalizer') return undefined;
  return options.rolloverAt === undefined ? {} : { rolloverAt: options.rolloverAt };
}

/** Aggregates one variable's samples for one Bogotá day into exactly 144 slots. */
export function aggregateDay(
  day: string,
  samples: readonly AggregationSample[],
  options: AggregationOptions,
): { ok: true; value: DayAggregation } | { ok: false; error: AggregationError } {
  const start = bogotaDayStart(day);
  if (!start.ok) return start;
  if (!(options.expectedPerSlot > 0) || !Number.isFinite(options.expectedPerSlot)) {
    return {
      ok: false,
      error: { kind: 'invalid_option', option: 'expectedPerSlot', value: options.expectedPerSlot },
    };
  }
  const buckets: AggregationSample[][] = Array.from({ length: SLOTS_PER_DAY }, () => []);
  const rejected: DayAggregation['rejected'] = [];
  samples.forEach((sample, index) => {
    if (!Number.isFinite(sample.timestamp)) {
      rejected.push({ index, reason: 'bad_timestamp' });
      return;
    }
    const slot = Math.floor((sample.timestamp - start.ms) / SLOT_MS);
    if (slot < 0 || slot >= SLOTS_PER_DAY) rejected.push({ index, reason: 'other_day' });
    else buckets[slot]!.push(sample);
  });
  const counter = counterOptions(options);
  const slots = buckets.map((bucket, k) =>
    aggregateSlot(k, start.ms + k * SLOT_MS, bucket, options.expectedPerSlot, counter),
  );
  let total: number | null = null;
  if (options.kind === 'totalizer') {
    applyCounterDeltas(slots, options);
    total = slots.reduce((sum, s) => sum + (s.delta ?? 0), 0);
  }
  return { ok: true, value: { day, slots, rejected, total } };
}

/**
 * Re-aggregates one slot after late samples arrived: its own samples are scanned again;
 * for a totalizer the next slot's delta is refreshed from the stored readings.
 */
export function reaggregateSlot(
  aggregation: DayAggregation,
  slot: number,
  slotSamples: readonly AggregationSample[],
  options: AggregationOptions,
): DayAggregation {
  const start = bogotaDayStart(aggregation.day);
  if (!start.ok) throw new AppError('VALIDATION', `invalid day ${aggregation.day}`);
  const slots = aggregation.slots.map((s) => ({ ...s }));
  slots[slot] = aggregateSlot(
    slot,
    start.ms + slot * SLOT_MS,
    slotSamples,
    options.expectedPerSlot,
    counterOptions(options),
  );
  let total = aggregation.total;
  if (options.kind === 'totalizer') {
    // The next slot with readings takes its boundary delta from this slot's last reading.
    let next = slot + 1;
    while (next < SLOTS_PER_DAY && slots[next]!.first === null) next++;
    applyCounterDeltas(slots, options, slot, Math.min(SLOTS_PER_DAY, next + 1));
    total = slots.reduce((sum, s) => sum + (s.delta ?? 0), 0);
  }
  return { ...aggregation, slots, total };
}

/**
 * A 10-minute summary made by a connector of raw samples it had to drop (disk full
 * during a long outage), already in canonical units.
 */
export interface SlotSummary {
  count: number;
  mean: number;
  min: number;
  max: number;
  firstTs: number;
  firstValue: number;
  lastTs: number;
  lastValue: number;
  worstQuality: 'good' | 'uncertain' | 'bad';
}

/**
 * A slot from its own samples plus connector summaries. First, last and the counter's
 * inner delta come from the readings in time order (each summary adds its first and last
 * reading); the mean is weighted by count once summaries are involved, since their
 * sample times are gone; the flag is at least E (estimated), or B/S if a summary was.
 */
export function aggregateSlotWithSummaries(
  slot: number,
  slotStart: number,
  samples: readonly AggregationSample[],
  summaries: readonly SlotSummary[],
  expectedPerSlot: number,
  counter?: { rolloverAt?: number },
): SlotAggregate {
  const own = aggregateSlot(slot, slotStart, samples, expectedPerSlot, counter);
  const usable = summaries.filter((s) => s.worstQuality !== 'bad');
  if (summaries.length === 0) return own;
  const points = usable.flatMap((s) => [
    { timestamp: s.firstTs, value: s.firstValue, flag: FLAG.G },
    { timestamp: s.lastTs, value: s.lastValue, flag: FLAG.G },
  ]);
  const ordered = aggregateSlot(slot, slotStart, [...samples, ...points], expectedPerSlot, counter);
  const worst = Math.max(
    FLAG.E,
    ...summaries.map((s) =>
      s.worstQuality === 'bad' ? FLAG.B : s.worstQuality === 'uncertain' ? FLAG.S : FLAG.G,
    ),
    QUALITY_FLAGS.indexOf(own.flag === 'M' ? 'G' : own.flag),
  );
  const count = own.count + usable.reduce((n, s) => n + s.count, 0);
  if (count === 0) return { ...own, flag: QUALITY_FLAGS[worst]! };
  const weighted =
    (own.mean ?? 0) * own.count + usable.reduce((sum, s) => sum + s.mean * s.count, 0);
  return {
    ...ordered,
    count,
    mean: weighted / count,
    min: Math.min(own.min ?? Infinity, ...usable.map((s) => s.min)),
    max: Math.max(own.max ?? -Infinity, ...usable.map((s) => s.max)),
    completeness: Math.min(1, count / expectedPerSlot),
    flag: QUALITY_FLAGS[worst]!,
  };
}
