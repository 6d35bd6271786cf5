import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLAG } from '../validation/rules';
import { bogotaDayOf, bogotaDayStart, previousBogotaDay, SLOT_MS } from './bogota-day';
import {
  aggregateDay,
  reaggregateSlot,
  type AggregationOptions,
  type AggregationSample,
} from './slots';

const DAY = '2026-11-27';
const START = Date.UTC(2026, 10, 27, 5); // 00:00 in Bogotá is 05:00 UTC
const MIN = 60_000;
const analog: AggregationOptions = { kind: 'analog', expectedPerSlot: 10 };

function must<T>(result: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

describe('Bogotá day', () => {
  it('starts at 05:00 UTC and has no daylight saving', () => {
    expect(bogotaDayStart(DAY)).toEqual({ ok: true, ms: START });
    expect(bogotaDayOf(START)).toBe(DAY);
    expect(bogotaDayOf(START - 1)).toBe('2026-11-26');
    expect(previousBogotaDay('2026-03-01')).toBe('2026-02-28');
    expect(bogotaDayStart('2026-02-30')).toEqual({
      ok: false,
      error: { kind: 'invalid_day', day: '2026-02-30' },
    });
    expect(bogotaDayStart('27/11/2026')).toMatchObject({ ok: false });
  });
});

describe('aggregateDay', () => {
  it('computes time-weighted mean, min, max, last, count, completeness and worst quality', () => {
    const samples: AggregationSample[] = [
      { timestamp: START, value: 100, flag: FLAG.G },
      { timestamp: START + 8 * MIN, value: 200, flag: FLAG.G },
      { timestamp: START + 9 * MIN, value: 9999, flag: FLAG.B },
    ];
    const day = must(aggregateDay(DAY, samples, analog));
    expect(day.slots).toHaveLength(144);
    expect(day.slots[0]).toMatchObject({
      count: 2,
      min: 100,
      max: 200,
      last: 200,
      completeness: 0.2,
      flag: 'B',
    });
    // 100 for 8 minutes, 200 for the last 2 minutes of the slot.
    expect(day.slots[0]!.mean).toBeCloseTo((100 * 8 + 200 * 2) / 10, 12);
    expect(day.slots[1]).toMatchObject({ count: 0, mean: null, flag: 'M', completeness: 0 });
  });

  it('rejects samples from another day and non-finite timestamps, keeping the rest', () => {
    const day = must(
      aggregateDay(
        DAY,
        [
          { timestamp: START - 1, value: 1, flag: FLAG.G },
          { timestamp: START + 24 * 60 * MIN, value: 1, flag: FLAG.G },
          { timestamp: Number.NaN, value: 1, flag: FLAG.G },
          { timestamp: START + 143 * SLOT_MS, value: 7, flag: FLAG.G },
        ],
        analog,
      ),
    );
    expect(day.rejected).toEqual([
      { index: 0, reason: 'other_day' },
      { index: 1, reason: 'other_day' },
      { index: 2, reason: 'bad_timestamp' },
    ]);
    expect(day.slots[143]!.last).toBe(7);
    expect(aggregateDay('2026-13-01', [], analog)).toMatchObject({
      ok: false,
      error: { kind: 'invalid_day' },
    });
    expect(aggregateDay(DAY, [], { kind: 'analog', expectedPerSlot: 0 })).toMatchObject({
      ok: false,
      error: { kind: 'invalid_option' },
    });
  });

  it('gives totalizer deltas across slots, from the previous day, through rollover and reset', () => {
    const t = (minute: number, value: number) => ({
      timestamp: START + minute * MIN,
      value,
      flag: FLAG.G,
    });
    const options: AggregationOptions = {
      kind: 'totalizer',
      expectedPerSlot: 10,
      rolloverAt: 1_000_000,
      previousReading: 999_900,
    };
    const day = must(
      aggregateDay(DAY, [t(1, 999_950), t(5, 50), t(15, 150), t(25, 100), t(26, 120)], options),
    );
    expect(day.slots[0]).toMatchObject({ delta: 150, counterEvent: 'rollover' });
    expect(day.slots[1]).toMatchObject({ delta: 100 });
    // Reset between 150 and 100: the 100 shown was produced since the reset.
    expect(day.slots[2]).toMatchObject({ delta: 120, counterEvent: 'reset' });
    expect(day.total).toBe(370);
  });
});

const sampleArbitrary = fc.record({
  timestamp: fc.integer({ min: START, max: START + 24 * 60 * MIN - 1 }),
  value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  flag: fc.constantFrom(FLAG.G, FLAG.G, FLAG.G, FLAG.S, FLAG.B),
});

describe('aggregation invariants (property)', () => {
  it('exactly 144 slots, completeness in [0, 1], mean between min and max', () => {
    fc.assert(
      fc.property(fc.array(sampleArbitrary, { maxLength: 400 }), (samples) => {
        const day = must(aggregateDay(DAY, samples, analog));
        return (
          day.slots.length === 144 &&
          day.slots.every((s) => s.completeness >= 0 && s.completeness <= 1) &&
          day.slots.every(
            (s) => s.mean === null || (s.mean >= s.min! - 1e-6 && s.mean <= s.max! + 1e-6),
          )
        );
      }),
    );
  });

  it('a growing counter: the day total equals the sum of its slots and last − previous reading', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 24 * 60 * MIN - 1 }),
            fc.double({ min: 0, max: 1000, noNaN: true }),
          ),
          { minLength: 1, maxLength: 300 },
        ),
        (steps) => {
          const sorted = [...steps].sort((a, b) => a[0] - b[0]);
          let reading = 5000;
          const samples = sorted.map(([offset, increment]) => ({
            timestamp: START + offset,
            value: (reading += increment),
            flag: FLAG.G,
          }));
          const day = must(
            aggregateDay(DAY, samples, {
              kind: 'totalizer',
              expectedPerSlot: 10,
              previousReading: 5000,
            }),
          );
          const sum = day.slots.reduce((acc, s) => acc + (s.delta ?? 0), 0);
          return (
            Math.abs(sum - day.total!) < 1e-6 &&
            Math.abs(day.total! - (reading - 5000)) < 1e-6 * Math.max(1, reading)
          );
        },
      ),
    );
  });

  it('late samples re-aggregate only their slot and give the same result as aggregating everything', () => {
    fc.assert(
      fc.property(
        fc.array(sampleArbitrary, { minLength: 1, maxLength: 200 }),
        fc.array(sampleArbitrary, { minLength: 1, maxLength: 20 }),
        (onTime, late) => {
          const full = must(aggregateDay(DAY, [...onTime, ...late], analog));
          let incremental = must(aggregateDay(DAY, onTime, analog));
          const touched = new Set(late.map((s) => Math.floor((s.timestamp - START) / SLOT_MS)));
          for (const slot of touched) {
            const inSlot = [...onTime, ...late].filter(
              (s) => Math.floor((s.timestamp - START) / SLOT_MS) === slot,
            );
            incremental = reaggregateSlot(incremental, slot, inSlot, analog);
          }
          return JSON.stringify(incremental.slots) === JSON.stringify(full.slots);
        },
      ),
    );
  });

  it('late totalizer readings give the same deltas as aggregating everything', () => {
    const options: AggregationOptions = {
      kind: 'totalizer',
      expectedPerSlot: 10,
      previousReading: 0,
    };
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 24 * 60 - 1 }), { minLength: 2, maxLength: 100 }),
        fc.integer({ min: 1, max: 5 }),
        (minutes, lateEvery) => {
          const samples = [...minutes]
            .sort((a, b) => a - b)
            .map((m) => ({ timestamp: START + m * MIN, value: m * 10, flag: FLAG.G }));
          const late = samples.filter((_, i) => i % (lateEvery + 1) === 1);
          const onTime = samples.filter((s) => !late.includes(s));
          const full = must(aggregateDay(DAY, samples, options));
          let incremental = must(aggregateDay(DAY, onTime, options));
          for (const slot of new Set(
            late.map((s) => Math.floor((s.timestamp - START) / SLOT_MS)),
          )) {
            incremental = reaggregateSlot(
              incremental,
              slot,
              samples.filter((s) => Math.floor((s.timestamp - START) / SLOT_MS) === slot),
              options,
            );
          }
          return (
            JSON.stringify(incremental.slots.map((s) => s.delta)) ===
              JSON.stringify(full.slots.map((s) => s.delta)) && incremental.total === full.total
          );
        },
      ),
    );
  });
});
