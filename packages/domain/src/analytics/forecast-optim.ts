/**
 * Small deterministic numerics for the forecasts: a bounded Nelder–Mead, a coarse grid to
 * start it from, and the few statistics the intervals need. No randomness anywhere, so
 * the same series always gives the same parameters.
 */

/** Two-sided normal quantiles for the 80 % and 95 % prediction intervals. */
export const Z80 = 1.2815515655446004;
export const Z95 = 1.959963984540054;

export interface Bound {
  lo: number;
  hi: number;
}

export interface MinimizeResult {
  x: number[];
  value: number;
  evaluations: number;
}

/** Maps an unconstrained coordinate onto (lo, hi) with a logistic. */
function toBounded(u: number, bound: Bound): number {
  return bound.lo + (bound.hi - bound.lo) / (1 + Math.exp(-u));
}

function toFree(x: number, bound: Bound): number {
  const p = (x - bound.lo) / (bound.hi - bound.lo);
  const clamped = Math.min(1 - 1e-9, Math.max(1e-9, p));
  return Math.log(clamped / (1 - clamped));
}

/**
 * Minimises `f` inside a box with Nelder–Mead on logistic-transformed coordinates.
 * Non-finite objective values count as +Infinity, so a diverging candidate is simply
 * never chosen. Deterministic: the start is given, the simplex is built from it.
 */
export function nelderMead(
  f: (x: number[]) => number,
  start: readonly number[],
  bounds: readonly Bound[],
  options: { maxEvaluations?: number; tolerance?: number } = {},
): MinimizeResult {
  const dims = start.length;
  const maxEvaluations = options.maxEvaluations ?? 200 * dims + 100;
  const tolerance = options.tolerance ?? 1e-10;
  let evaluations = 0;
  const g = (u: number[]): number => {
    evaluations++;
    const value = f(u.map((v, i) => toBounded(v, bounds[i]!)));
    return Number.isFinite(value) ? value : Infinity;
  };
  const origin = start.map((v, i) => toFree(v, bounds[i]!));
  const simplex: Array<{ u: number[]; value: number }> = [{ u: origin, value: g(origin) }];
  for (let i = 0; i < dims; i++) {
    const u = [...origin];
    u[i] = u[i]! + (Math.abs(u[i]!) > 1 ? 0.5 * Math.abs(u[i]!) : 0.5);
    simplex.push({ u, value: g(u) });
  }
  const combine = (a: number[], b: number[], t: number) => a.map((v, i) => v + t * (b[i]! - v));
  while (evaluations < maxEvaluations) {
    simplex.sort((a, b) => a.value - b.value);
    const best = simplex[0]!;
    const worst = simplex[dims]!;
    const spread = Math.abs(worst.value - best.value);
    let size = 0;
    for (const vertex of simplex)
      for (let i = 0; i < dims; i++) size = Math.max(size, Math.abs(vertex.u[i]! - best.u[i]!));
    if (spread <= tolerance * (Math.abs(best.value) + tolerance) && size < 1e-7) break;
    if (size < 1e-10) break;
    const centroid = new Array<number>(dims).fill(0);
    for (let k = 0; k < dims; k++)
      for (let i = 0; i < dims; i++) centroid[i] = centroid[i]! + simplex[k]!.u[i]! / dims;
    const reflected = combine(centroid, worst.u, -1);
    const reflectedValue = g(reflected);
    if (reflectedValue < best.value) {
      const expanded = combine(centroid, worst.u, -2);
      const expandedValue = g(expanded);
      simplex[dims] =
        expandedValue < reflectedValue
          ? { u: expanded, value: expandedValue }
          : { u: reflected, value: reflectedValue };
      continue;
    }
    if (reflectedValue < simplex[dims - 1]!.value) {
      simplex[dims] = { u: reflected, value: reflectedValue };
      continue;
    }
    const outside = reflectedValue < worst.value;
    const contracted = combine(centroid, outside ? reflected : worst.u, 0.5);
    const contractedValue = g(contracted);
    if (contractedValue < Math.min(worst.value, reflectedValue)) {
      simplex[dims] = { u: contracted, value: contractedValue };
      continue;
    }
    for (let k = 1; k <= dims; k++) {
      const u = combine(best.u, simplex[k]!.u, 0.5);
      simplex[k] = { u, value: g(u) };
    }
  }
  simplex.sort((a, b) => a.value - b.value);
  const best = simplex[0]!;
  return {
    x: best.u.map((v, i) => toBounded(v, bounds[i]!)),
    value: best.value,
    evaluations,
  };
}

/** Best point of a full grid (the cartesian product of `axes`), to start Nelder–Mead from. */
export function gridSearch(
  f: (x: number[]) => number,
  axes: ReadonlyArray<readonly number[]>,
): { x: number[]; value: number } {
  let best: { x: number[]; value: number } = { x: axes.map((a) => a[0]!), value: Infinity };
  const walk = (prefix: number[]) => {
    if (prefix.length === axes.length) {
      const value = f(prefix);
      if (Number.isFinite(value) && value < best.value) best = { x: [...prefix], value };
      return;
    }
    for (const v of axes[prefix.length]!) walk([...prefix, v]);
  };
  walk([]);
  return best;
}

/** Grid search then Nelder–Mead from the best grid point. */
export function gridThenRefine(
  f: (x: number[]) => number,
  axes: ReadonlyArray<readonly number[]>,
  bounds: readonly Bound[],
  options?: { maxEvaluations?: number; tolerance?: number },
): MinimizeResult {
  const start = gridSearch(f, axes);
  const refined = nelderMead(f, start.x, bounds, options);
  return refined.value <= start.value ? refined : { ...start, evaluations: refined.evaluations };
}

/** Inverse of a small symmetric positive-definite matrix (Gauss–Jordan), or null when singular. */
export function invertSymmetric(matrix: readonly (readonly number[])[]): number[][] | null {
  const n = matrix.length;
  const a = matrix.map((row, i) => [
    ...row,
    ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  ]);
  const scale = Math.max(1e-300, ...matrix.map((row, i) => Math.abs(row[i]!)));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-12 * scale) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    for (let j = 0; j < 2 * n; j++) a[col]![j] = a[col]![j]! / p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = a[r]![col]!;
      if (factor === 0) continue;
      for (let j = 0; j < 2 * n; j++) a[r]![j] = a[r]![j]! - factor * a[col]![j]!;
    }
  }
  return a.map((row) => row.slice(n));
}

/** Least squares line y = a + b·x. */
export function linearFit(xs: readonly number[], ys: readonly number[]): { a: number; b: number } {
  const n = xs.length;
  if (n === 0) return { a: 0, b: 0 };
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}
