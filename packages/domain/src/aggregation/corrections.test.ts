import { describe, expect, it } from 'vitest';
import { variableByCode } from '../measurement/catalog';
import { bogotaDayStart, SLOT_MS } from './bogota-day';
import {
  applyCorrections,
  checkCorrection,
  correctedField,
  CORRECTION_FLAG,
  DAY_MS,
  describeCorrectionProblem,
  describeEstimateError,
  estimate,
  interpolateAt,
  isSlotStart,
  previousDayAt,
  type SeriesPoint,
} from './corrections';
import { aggregateDay, type DayAggregation } from './slots';

const day = '2026-11-27';
const start = (bogotaDayStart(day) as { ok: true; ms: number }).ms;
const at = (slot: number) => start + slot * SLOT_MS;

describe('estimates', () => {
  const series: SeriesPoint[] = [
    { start: at(10), value: 100, flag: 'G' },
    { start: at(11), value: 999, flag: 'B' },
    { start: at(12), value: null, flag: 'M' },
    { start: at(13), value: 50, flag: 'S' },
    { start: at(14), value: 130, flag: 'G' },
  ];

  it('interpolates linearly between the nearest good neighbours, skipping B, M, S and E', () => {
    const result = interpolateAt(at(12), series);
    expect(result).toEqual({
      ok: true,
      value: 115,
      basis: {
        method: 'interpolate',
        before: { start: at(10), value: 100, flag: 'G' },
        after: { start: at(14), value: 130, flag: 'G' },
      },
    });
    expect(estimate('interpolate', at(11), series)).toMatchObject({ ok: true, value: 107.5 });
  });

  it('refuses when a side has no good slot within reach, or the start is off the grid', () => {
    expect(interpolateAt(at(9), series)).toEqual({
      ok: false,
      error: { kind: 'no_neighbour', side: 'before', reachMs: 24 * 3600_000 },
    });
    expect(interpolateAt(at(15), series)).toMatchObject({
      ok: false,
      error: { side: 'after' },
    });
    const far = [
      { start: at(0) - 2 * DAY_MS, value: 1, flag: 'G' as const },
      { start: at(20), value: 2, flag: 'G' as const },
    ];
    expect(interpolateAt(at(5), far)).toMatchObject({ ok: false, error: { side: 'before' } });
    expect(interpolateAt(at(5) + 1, series)).toMatchObject({
      ok: false,
      error: { kind: 'misaligned' },
    });
    expect(isSlotStart(at(5))).toBe(true);
    expect(isSlotStart(at(5) + 60_000)).toBe(false);
  });

  it('takes the same slot of the previous day, corrected or good, never bad or missing', () => {
    const yesterday = (slot: number, value: number | null, flag: SeriesPoint['flag']) => ({
      start: at(slot) - DAY_MS,
      value,
      flag,
    });
    expect(previousDayAt(at(3), [yesterday(3, 42, 'G')])).toEqual({
      ok: true,
      value: 42,
      basis: { method: 'previous_day', from: { start: at(3) - DAY_MS, value: 42, flag: 'G' } },
    });
    expect(estimate('previous_day', at(3), [yesterday(3, 40, 'S')])).toMatchObject({
      ok: true,
      value: 40,
    });
    for (const p of [yesterday(3, 42, 'B'), yesterday(3, null, 'M'), yesterday(4, 42, 'G')])
      expect(previousDayAt(at(3), [p])).toMatchObject({
        ok: false,
        error: { kind: 'no_previous_day' },
      });
  });

  it('explains every failure in Spanish and English', () => {
    for (const message of [
      describeEstimateError({ kind: 'misaligned', start: 1 }),
      describeEstimateError({ kind: 'no_neighbour', side: 'before', reachMs: 3600_000 }),
      describeEstimateError({ kind: 'no_neighbour', side: 'after', reachMs: 3600_000 }),
      describeEstimateError({ kind: 'no_previous_day', start: 1 }),
    ])
      expect(message).toMatch(/ \/ /);
  });
});

describe('checking a correction', () => {
  const thp = variableByCode('tubing_head_pressure')!;
  const totalizer = variableByCode('fiscal_gross_totalizer')!;
  const reason = 'Ticket de medición 4471';

  it('needs a reason of ten characters and, for a substitution, a value in range', () => {
    expect(checkCorrection({ method: 'substitute', value: 850, reason, variable: thp })).toEqual(
      [],
    );
    expect(
      checkCorrection({ method: 'substitute', value: 850, reason: ' corto    ', variable: thp }),
    ).toEqual([{ kind: 'reason_too_short', min: 10 }]);
    expect(
      checkCorrection({ method: 'substitute', value: null, reason, variable: thp }).map(
        (p) => p.kind,
      ),
    ).toEqual(['value_required']);
    expect(
      checkCorrection({ method: 'substitute', value: Number.NaN, reason, variable: thp }),
    ).toEqual([{ kind: 'not_finite' }]);
    const [min, max] = thp.physicalRange;
    expect(
      checkCorrection({ method: 'substitute', value: max + 1, reason, variable: thp }),
    ).toEqual([{ kind: 'out_of_range', min, max }]);
    expect(
      checkCorrection({ method: 'substitute', value: -1, reason, variable: totalizer }),
    ).toMatchObject([{ kind: 'out_of_range', min: 0 }]);
    expect(
      checkCorrection({ method: 'substitute', value: 1e9, reason, variable: totalizer }),
    ).toEqual([]);
  });

  it('an estimate takes no typed value; its computed value is checked like one', () => {
    expect(checkCorrection({ method: 'interpolate', value: 3, reason, variable: thp })).toEqual([
      { kind: 'value_not_allowed' },
    ]);
    expect(checkCorrection({ method: 'previous_day', value: null, reason, variable: thp })).toEqual(
      [],
    );
    expect(
      checkCorrection({
        method: 'interpolate',
        value: thp.physicalRange[1] * 2,
        reason,
        variable: thp,
        computed: true,
      }).map((p) => p.kind),
    ).toEqual(['out_of_range']);
    expect(describeCorrectionProblem({ kind: 'out_of_range', min: 0, max: Infinity })).toMatch(
      /negativ/,
    );
    expect(describeCorrectionProblem({ kind: 'reason_too_long', max: 1000 })).toMatch(/ \/ /);
  });
});

describe('applying corrections to a day', () => {
  const minute = 60_000;
  const analog = (): DayAggregation => {
    const samples = [0, 1, 2].flatMap((slot) =>
      Array.from({ length: 10 }, (_, k) => ({
        timestamp: at(slot) + k * minute,
        value: 100 + slot * 10 + k,
        flag: slot === 1 && k === 3 ? 3 : 0,
      })),
    );
    const result = aggregateDay(day, samples, { kind: 'analog', expectedPerSlot: 10 });
    if (!result.ok) throw new Error('aggregation failed');
    return result.value;
  };

  it('replaces the value of an analog slot, flags it S or E and keeps the measured slot', () => {
    const measured = analog();
    const frozen = JSON.stringify(measured);
    const { aggregation, originals } = applyCorrections(
      measured,
      [
        { slot: 1, method: 'substitute', value: 200 },
        { slot: 5, method: 'interpolate', value: 123 },
      ],
      'analog',
    );
    expect(JSON.stringify(measured)).toBe(frozen);
    expect(aggregation.slots[1]).toMatchObject({
      mean: 200,
      min: 200,
      max: 200,
      flag: 'S',
      count: measured.slots[1]!.count,
      completeness: measured.slots[1]!.completeness,
    });
    expect(aggregation.slots[5]).toMatchObject({ mean: 123, flag: 'E', count: 0 });
    expect(originals.get(1)).toBe(measured.slots[1]);
    expect(originals.get(1)!.flag).toBe('B');
    expect(originals.get(5)!.flag).toBe('M');
    expect(aggregation.slots[0]).toBe(measured.slots[0]);
    expect(aggregation.total).toBeNull();
  });

  it("replaces a totalizer slot's increase and recomputes the day's total", () => {
    const samples = Array.from({ length: 30 }, (_, k) => ({
      timestamp: at(0) + k * minute,
      value: 1000 + k,
      flag: 0,
    }));
    const result = aggregateDay(day, samples, { kind: 'totalizer', expectedPerSlot: 10 });
    if (!result.ok) throw new Error('aggregation failed');
    const before = result.value.total!;
    const { aggregation } = applyCorrections(
      result.value,
      [{ slot: 2, method: 'previous_day', value: 50 }],
      'totalizer',
    );
    expect(aggregation.slots[2]).toMatchObject({
      delta: 50,
      flag: 'E',
      first: result.value.slots[2]!.first,
    });
    expect(aggregation.total).toBeCloseTo(before - result.value.slots[2]!.delta! + 50, 9);
    expect(correctedField('totalizer')).toBe('delta');
    expect(correctedField('state')).toBe('mean');
    expect(CORRECTION_FLAG).toEqual({ substitute: 'S', interpolate: 'E', previous_day: 'E' });
  });

  it('ignores a correction outside the day or without a finite value', () => {
    const measured = analog();
    const { aggregation, originals } = applyCorrections(
      measured,
      [
        { slot: 144, method: 'substitute', value: 1 },
        { slot: 0, method: 'substitute', value: Number.NaN },
      ],
      'analog',
    );
    expect(originals.size).toBe(0);
    expect(aggregation.slots).toEqual(measured.slots);
  });
});
