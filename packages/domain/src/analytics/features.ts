/**
 * Window features: the eight statistics per variable of the 3W benchmark (Vargas et al.
 * 2019): median, mean, standard deviation, variance, root mean square, maximum, absolute
 * maximum and minimum of the values in a window.
 *
 * Missing data: NaN and ±∞ are skipped (a reading that is not a finite number is not a
 * reading). A window with no finite value gives NaN for all eight statistics; whoever uses
 * the features must treat that explicitly (the detectors in detectors.ts impute and report
 * it; they never read NaN as "far away").
 *
 * Standard deviation and variance are population statistics (divide by n, numpy's default),
 * computed in two passes (mean first) so a large offset such as 1e7 Pa does not eat the
 * digits of a small spread.
 */
export const WINDOW_STATISTICS = [
  'median',
  'mean',
  'std',
  'variance',
  'rms',
  'max',
  'absMax',
  'min',
] as const;

export type WindowStatistic = (typeof WINDOW_STATISTICS)[number];

export const STATISTICS_PER_VARIABLE = WINDOW_STATISTICS.length;

/** `P-TPT` × statistics → `P-TPT.median`, `P-TPT.mean`, … in the order of `windowFeatureRow`. */
export function windowFeatureNames(variables: readonly string[]): string[] {
  return variables.flatMap((v) => WINDOW_STATISTICS.map((s) => `${v}.${s}`));
}

/**
 * Statistics of `values[start, end)` written to `out[offset … offset+7]` in the order of
 * WINDOW_STATISTICS. Returns the number of finite values used (0 → all NaN).
 * `scratch` (length ≥ end − start) avoids an allocation per window.
 */
export function writeWindowStatistics(
  values: ArrayLike<number>,
  start: number,
  end: number,
  out: Float64Array,
  offset = 0,
  scratch?: Float64Array,
): number {
  const length = Math.max(0, end - start);
  const buffer =
    scratch !== undefined && scratch.length >= length ? scratch : new Float64Array(length);
  let count = 0;
  let sum = 0;
  let max = -Infinity;
  let min = Infinity;
  for (let i = start; i < end; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) continue;
    buffer[count++] = x;
    sum += x;
    if (x > max) max = x;
    if (x < min) min = x;
  }
  if (count === 0) {
    out.fill(NaN, offset, offset + STATISTICS_PER_VARIABLE);
    return 0;
  }
  const mean = sum / count;
  let squaredDeviations = 0;
  let squares = 0;
  for (let i = 0; i < count; i++) {
    const x = buffer[i]!;
    squaredDeviations += (x - mean) * (x - mean);
    squares += x * x;
  }
  const variance = squaredDeviations / count;
  const used = buffer.subarray(0, count).sort();
  const half = count >> 1;
  const median = count % 2 === 1 ? used[half]! : (used[half - 1]! + used[half]!) / 2;
  out[offset] = median;
  out[offset + 1] = mean;
  out[offset + 2] = Math.sqrt(variance);
  out[offset + 3] = variance;
  out[offset + 4] = Math.sqrt(squares / count);
  out[offset + 5] = max;
  out[offset + 6] = Math.max(Math.abs(max), Math.abs(min));
  out[offset + 7] = min;
  return count;
}

/** The eight statistics of one window of values, as a record. */
export function windowStatistics(values: ArrayLike<number>): Record<WindowStatistic, number> & {
  count: number;
} {
  const out = new Float64Array(STATISTICS_PER_VARIABLE);
  const count = writeWindowStatistics(values, 0, values.length, out);
  const record = { count } as Record<WindowStatistic, number> & { count: number };
  WINDOW_STATISTICS.forEach((name, i) => (record[name] = out[i]!));
  return record;
}

/**
 * One feature row for a window `[start, end)` of several variables (one column each): the
 * eight statistics of the first variable, then of the second, … (see windowFeatureNames).
 */
export function windowFeatureRow(
  columns: readonly ArrayLike<number>[],
  start: number,
  end: number,
  scratch?: Float64Array,
): Float64Array {
  const row = new Float64Array(columns.length * STATISTICS_PER_VARIABLE);
  const buffer = scratch ?? new Float64Array(Math.max(0, end - start));
  columns.forEach((column, v) =>
    writeWindowStatistics(column, start, end, row, v * STATISTICS_PER_VARIABLE, buffer),
  );
  return row;
}
