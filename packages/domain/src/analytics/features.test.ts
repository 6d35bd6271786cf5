import { describe, expect, it } from 'vitest';
import {
  WINDOW_STATISTICS,
  windowFeatureNames,
  windowFeatureRow,
  windowStatistics,
  writeWindowStatistics,
} from './features';

describe('window features', () => {
  it('computes the eight statistics of the 3W protocol', () => {
    const s = windowStatistics([3, -4, 1, 2]);
    expect(s.count).toBe(4);
    expect(s.median).toBe(1.5);
    expect(s.mean).toBe(0.5);
    expect(s.variance).toBeCloseTo(7.25, 12); // population variance
    expect(s.std).toBeCloseTo(Math.sqrt(7.25), 12);
    expect(s.rms).toBeCloseTo(Math.sqrt(30 / 4), 12);
    expect(s.max).toBe(3);
    expect(s.absMax).toBe(4);
    expect(s.min).toBe(-4);
    expect(windowStatistics([5, 1, 3]).median).toBe(3);
  });

  it('skips missing values and gives NaN for a window without data', () => {
    expect(windowStatistics([NaN, 2, Infinity, 4])).toMatchObject({ count: 2, mean: 3, min: 2 });
    const empty = windowStatistics([NaN, NaN]);
    expect(empty.count).toBe(0);
    for (const name of WINDOW_STATISTICS) expect(empty[name]).toBeNaN();
  });

  it('keeps the spread of a small signal on a large offset', () => {
    const s = windowStatistics([1e7 + 1, 1e7 - 1, 1e7 + 1, 1e7 - 1]);
    expect(s.variance).toBe(1);
    expect(s.std).toBe(1);
  });

  it('lays out one row per window: variables × statistics, named to match', () => {
    const a = Float64Array.from([1, 2, 3, 4]);
    const b = Float64Array.from([NaN, NaN, NaN, NaN]);
    const row = windowFeatureRow([a, b], 1, 3);
    expect(row.length).toBe(16);
    expect(windowFeatureNames(['A', 'B'])[1]).toBe('A.mean');
    expect(row[1]).toBe(2.5);
    expect(Number.isNaN(row[9])).toBe(true);
    const out = new Float64Array(8);
    expect(writeWindowStatistics(a, 0, 0, out)).toBe(0);
  });
});
