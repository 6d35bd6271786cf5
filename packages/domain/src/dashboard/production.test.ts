import { describe, expect, it } from 'vitest';
import { bogotaDayStart, SLOT_MS } from '../aggregation/bogota-day';
import { aggregateDay, type AggregationSample, type SlotAggregate } from '../aggregation/slots';
import {
  closedSlots,
  dailyQuantity,
  fieldSourceOf,
  relativeChange,
  slotRate,
  sumQuantities,
  type DaySlotSums,
} from './production';

const DAY = '2026-11-27';
const START = (bogotaDayStart(DAY) as { ms: number }).ms;
const MIN = 60_000;

/** What the database's GROUP BY gives for a day's slots. */
function sumsOf(slots: readonly SlotAggregate[]): DaySlotSums {
  const withMean = slots.filter((s) => s.mean !== null);
  const withDelta = slots.filter((s) => s.delta !== null);
  return {
    meanSlots: withMean.length,
    sumMean: withMean.reduce((sum, s) => sum + s.mean!, 0),
    deltaSlots: withDelta.length,
    sumDelta: withDelta.reduce((sum, s) => sum + s.delta!, 0),
    lastDeltaSlot: withDelta.length ? withDelta[withDelta.length - 1]!.slot : null,
  };
}

describe('daily quantities from slots', () => {
  it('integrates a rate over time, whatever the sample density (never a sum of samples)', () => {
    // 1,200 bbl/d until noon (one sample a minute), 600 bbl/d after (one every 5 minutes):
    // 12 h at 1,200 plus 12 h at 600 is 600 + 300 = 900 bbl, an average of 900 bbl/d.
    const samples: AggregationSample[] = [];
    for (let t = 0; t < 12 * 60; t += 1)
      samples.push({ timestamp: START + t * MIN, value: 1200, flag: 0 });
    for (let t = 12 * 60; t < 24 * 60; t += 5)
      samples.push({ timestamp: START + t * MIN, value: 600, flag: 0 });
    const day = aggregateDay(DAY, samples, { kind: 'analog', expectedPerSlot: 10 });
    if (!day.ok) throw new Error('aggregation failed');
    const quantity = dailyQuantity('rate', sumsOf(day.value.slots), 144);
    expect(quantity.volume).toBeCloseTo(900, 6);
    expect(quantity.rate).toBeCloseTo(900, 6);
    expect(quantity.coveredSlots).toBe(144);
    // What a naive sum of samples would have said, to show the test can tell them apart.
    const naive = samples.reduce((sum, s) => sum + s.value, 0);
    expect(naive).not.toBeCloseTo(900, 0);
  });

  it('a rate measured half the day: volume of the covered time, rate of the covered time', () => {
    const samples: AggregationSample[] = [];
    for (let t = 0; t < 12 * 60; t += 1)
      samples.push({ timestamp: START + t * MIN, value: 480, flag: 0 });
    const day = aggregateDay(DAY, samples, { kind: 'analog', expectedPerSlot: 10 });
    if (!day.ok) throw new Error('aggregation failed');
    const quantity = dailyQuantity('rate', sumsOf(day.value.slots), 144);
    expect(quantity.volume).toBeCloseTo(240, 6);
    expect(quantity.rate).toBeCloseTo(480, 6);
    expect(quantity.coveredSlots).toBe(72);
  });

  it('sums totalizer deltas across a gap, and the rate counts the gap as produced time', () => {
    // 1 bbl a minute all day; the connector was down from 08:00 to 14:00.
    const samples: AggregationSample[] = [];
    for (let t = 0; t < 24 * 60; t += 1) {
      if (t >= 8 * 60 && t < 14 * 60) continue;
      samples.push({ timestamp: START + t * MIN, value: 50_000 + t, flag: 0 });
    }
    const day = aggregateDay(DAY, samples, {
      kind: 'totalizer',
      expectedPerSlot: 10,
      previousReading: 50_000 - 1,
    });
    if (!day.ok) throw new Error('aggregation failed');
    const quantity = dailyQuantity('totalizer', sumsOf(day.value.slots), 144);
    expect(quantity.volume).toBe(24 * 60);
    expect(quantity.rate).toBeCloseTo(1440, 9);
    expect(quantity.coveredSlots).toBe(144);
  });

  it('a totalizer today so far: the rate is per day, over the time up to the last delta', () => {
    const sums: DaySlotSums = {
      meanSlots: 0,
      sumMean: 0,
      deltaSlots: 36,
      sumDelta: 150,
      lastDeltaSlot: 35,
    };
    const quantity = dailyQuantity('totalizer', sums, 37);
    expect(quantity.volume).toBe(150);
    expect(quantity.rate).toBeCloseTo(600, 9); // 150 bbl in 6 h
  });

  it('nothing measured is null, not zero', () => {
    expect(dailyQuantity('rate', undefined, 144).rate).toBeNull();
    expect(
      dailyQuantity(
        'totalizer',
        { meanSlots: 3, sumMean: 9, deltaSlots: 0, sumDelta: 0, lastDeltaSlot: null },
        144,
      ).volume,
    ).toBeNull();
    expect(sumQuantities([dailyQuantity('rate', undefined, 10)], 10).rate).toBeNull();
  });

  it('sums points, skipping the unmeasured ones', () => {
    const a = dailyQuantity(
      'rate',
      { meanSlots: 144, sumMean: 144 * 100, deltaSlots: 0, sumDelta: 0, lastDeltaSlot: null },
      144,
    );
    const b = dailyQuantity(
      'rate',
      { meanSlots: 72, sumMean: 72 * 50, deltaSlots: 0, sumDelta: 0, lastDeltaSlot: null },
      144,
    );
    const total = sumQuantities([a, b, dailyQuantity('rate', undefined, 144)], 144);
    expect(total.rate).toBe(150);
    expect(total.volume).toBe(100 + 25);
    expect(total.coveredSlots).toBe(72);
  });
});

describe('sources, slots, changes', () => {
  it('prefers the fiscal net meter, then separator totalizers, then flows', () => {
    expect(
      fieldSourceOf('oil', new Set(['separator_oil_flow', 'fiscal_nsv_totalizer']))?.code,
    ).toBe('fiscal_nsv_totalizer');
    expect(fieldSourceOf('gas', new Set(['separator_gas_flow']))?.kind).toBe('rate');
    expect(fieldSourceOf('water', new Set(['tank_level']))).toBeNull();
  });

  it('counts closed slots only', () => {
    expect(closedSlots(START, START + 25 * MIN)).toBe(2);
    expect(closedSlots(START, START - 1)).toBe(0);
    expect(closedSlots(START, START + 3 * 86_400_000)).toBe(144);
    expect(closedSlots(START, START + 144 * SLOT_MS - 1)).toBe(143);
  });

  it('turns a delta into a per-day rate, spread over the slots it closes', () => {
    expect(slotRate('totalizer', { mean: null, delta: 10 })).toBe(1440);
    expect(slotRate('totalizer', { mean: null, delta: 30 }, 3)).toBe(1440);
    expect(slotRate('rate', { mean: 812, delta: null })).toBe(812);
  });

  it('relative change', () => {
    expect(relativeChange(110, 100)).toBeCloseTo(0.1, 12);
    expect(relativeChange(100, 0)).toBeNull();
    expect(relativeChange(null, 100)).toBeNull();
  });
});
