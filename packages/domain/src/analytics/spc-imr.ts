import { formatterFor, list, type Formatter, type MessageOptions } from './spc-format';
import type { SpcLimits } from './spc-limits';
import { NELSON_RULES, SPC_RULES, type ImrRuleId, type SpcViolation } from './spc-rules';

/**
 * Individuals and moving-range (I-MR) chart with the Western Electric and Nelson run
 * rules, evaluated one point at a time. The state is the caller's: a plain JSON object
 * holding the stream position and the last few raw values, nothing derived from the
 * limits. That is what makes a series split across calls (or across a crash and a restart
 * from persisted state) give exactly the violations of one call, and lets limits be
 * re-learned mid-stream without stale zone counts.
 */
export interface SpcState {
  /** Stream index of the next point; missing (non-finite) points are counted too. */
  next: number;
  /** The last consecutive finite values, oldest first, at most SPC_WINDOW of them. */
  recent: number[];
}

/** The longest pattern (Nelson 7, fifteen points) bounds the memory a step needs. */
export const SPC_WINDOW = 15;

export interface SpcOptions extends MessageOptions {
  /** Rules to evaluate, in the order their violations are reported (default NELSON_RULES). */
  rules?: readonly ImrRuleId[];
}

export function createSpcState(): SpcState {
  return { next: 0, recent: [] };
}

interface Context {
  recent: readonly number[];
  index: number;
  limits: SpcLimits;
  format: () => Formatter;
}

type Check = (ctx: Context, rule: ImrRuleId) => SpcViolation | null;

/** The last k values, or null while fewer than k consecutive points have been seen. */
function tail(ctx: Context, k: number): readonly number[] | null {
  return ctx.recent.length < k ? null : ctx.recent.slice(ctx.recent.length - k);
}

function violation(
  ctx: Context,
  rule: ImrRuleId,
  indices: number[],
  values: number[],
  direction: SpcViolation['direction'],
  message: SpcViolation['message'],
  statistic?: SpcViolation['statistic'],
): SpcViolation {
  return {
    rule,
    chart: SPC_RULES[rule].chart,
    index: ctx.index,
    indices,
    values,
    direction,
    ...(statistic ? { statistic } : {}),
    limits: ctx.limits,
    message,
  };
}

/** Indices of the last k points of the window ending at the current one. */
function lastIndices(ctx: Context, k: number): number[] {
  return Array.from({ length: k }, (_, j) => ctx.index - k + 1 + j);
}

function average(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

const beyondThreeSigma: Check = (ctx, rule) => {
  const x = ctx.recent[ctx.recent.length - 1]!;
  const { ucl, lcl, mean, sigma } = ctx.limits;
  const up = x > ucl;
  if (!up && !(x < lcl)) return null;
  const f = ctx.format();
  const z = Math.abs(x - mean) / sigma;
  const limit = up ? ucl : lcl;
  return violation(
    ctx,
    rule,
    [ctx.index],
    [x],
    up ? 'up' : 'down',
    {
      es: `Valor ${f.value('es', x)} ${up ? 'por encima del límite superior' : 'por debajo del límite inferior'} de control (${f.value('es', limit)}): ${f.sigmas('es', z)} ${up ? 'sobre' : 'bajo'} la media (${f.value('es', mean)})`,
      en: `Value ${f.value('en', x)} ${up ? 'above the upper' : 'below the lower'} control limit (${f.value('en', limit)}): ${f.sigmas('en', z)} ${up ? 'above' : 'below'} the mean (${f.value('en', mean)})`,
    },
    { value: x, limit },
  );
};

function sameSide(k: number): Check {
  return (ctx, rule) => {
    const run = tail(ctx, k);
    if (!run) return null;
    const { mean, sigma } = ctx.limits;
    const up = run.every((x) => x > mean);
    if (!up && !run.every((x) => x < mean)) return null;
    const f = ctx.format();
    const avg = average(run);
    return violation(ctx, rule, lastIndices(ctx, k), [...run], up ? 'up' : 'down', {
      es: `${k} puntos seguidos por ${up ? 'encima' : 'debajo'} de la media (${f.value('es', mean)}); promedio del tramo ${f.value('es', avg)} (${f.sigmas('es', (avg - mean) / sigma, true)})`,
      en: `${k} points in a row ${up ? 'above' : 'below'} the mean (${f.value('en', mean)}); run average ${f.value('en', avg)} (${f.sigmas('en', (avg - mean) / sigma, true)})`,
    });
  };
}

const trend: Check = (ctx, rule) => {
  const run = tail(ctx, 6);
  if (!run) return null;
  let rising = true;
  let falling = true;
  for (let j = 1; j < run.length; j++) {
    // Strict: a repeated value is not "steadily" anything.
    if (!(run[j]! > run[j - 1]!)) rising = false;
    if (!(run[j]! < run[j - 1]!)) falling = false;
  }
  if (!rising && !falling) return null;
  const f = ctx.format();
  const first = run[0]!;
  const last = run[run.length - 1]!;
  const change = last - first;
  return violation(ctx, rule, lastIndices(ctx, 6), [...run], rising ? 'up' : 'down', {
    es: `6 puntos seguidos en ${rising ? 'aumento' : 'descenso'} continuo: de ${f.value('es', first)} a ${f.value('es', last)} (${f.delta('es', change)}, ${f.sigmas('es', change / ctx.limits.sigma, true)})`,
    en: `6 points in a row steadily ${rising ? 'increasing' : 'decreasing'}: from ${f.value('en', first)} to ${f.value('en', last)} (${f.delta('en', change)}, ${f.sigmas('en', change / ctx.limits.sigma, true)})`,
  });
};

const alternating: Check = (ctx, rule) => {
  const run = tail(ctx, 14);
  if (!run) return null;
  let swing = 0;
  for (let j = 1; j < run.length; j++) {
    const d = run[j]! - run[j - 1]!;
    if (d === 0) return null;
    if (j > 1 && d * (run[j - 1]! - run[j - 2]!) >= 0) return null;
    swing += Math.abs(d);
  }
  swing /= run.length - 1;
  const f = ctx.format();
  return violation(ctx, rule, lastIndices(ctx, 14), [...run], null, {
    es: `14 puntos seguidos alternando arriba y abajo (oscilación media ${f.value('es', swing)}, ${f.sigmas('es', swing / ctx.limits.sigma)})`,
    en: `14 points in a row alternating up and down (average swing ${f.value('en', swing)}, ${f.sigmas('en', swing / ctx.limits.sigma)})`,
  });
};

/**
 * k of the last n points beyond `zone`σ on one side, the latest point being one of them.
 * Requiring the latest point keeps one excursion from being reported again by the next,
 * ordinary point, and makes the flagged point the unusual one.
 */
function kOfN(k: number, n: number, zone: number): Check {
  return (ctx, rule) => {
    const span = tail(ctx, n);
    if (!span) return null;
    const { mean, sigma } = ctx.limits;
    const x = span[n - 1]!;
    const upper = mean + zone * sigma;
    const lower = mean - zone * sigma;
    const up = x > upper;
    if (!up && !(x < lower)) return null;
    const indices: number[] = [];
    const values: number[] = [];
    span.forEach((v, j) => {
      if (up ? v > upper : v < lower) {
        indices.push(ctx.index - n + 1 + j);
        values.push(v);
      }
    });
    if (values.length < k) return null;
    const f = ctx.format();
    const line = up ? upper : lower;
    return violation(ctx, rule, indices, values, up ? 'up' : 'down', {
      es: `${values.length} de ${n} puntos a más de ${zone}σ por ${up ? 'encima' : 'debajo'} de la media (${up ? '>' : '<'} ${f.value('es', line)}): ${list(
        'es',
        values.map((v) => f.value('es', v)),
      )}`,
      en: `${values.length} of ${n} points more than ${zone}σ ${up ? 'above' : 'below'} the mean (${up ? '>' : '<'} ${f.value('en', line)}): ${list(
        'en',
        values.map((v) => f.value('en', v)),
      )}`,
    });
  };
}

const hugging: Check = (ctx, rule) => {
  const run = tail(ctx, 15);
  if (!run) return null;
  const { mean, sigma } = ctx.limits;
  if (!run.every((x) => Math.abs(x - mean) < sigma)) return null;
  const f = ctx.format();
  const min = Math.min(...run);
  const max = Math.max(...run);
  return violation(ctx, rule, lastIndices(ctx, 15), [...run], null, {
    es: `15 puntos seguidos dentro de ±1σ de la media (entre ${f.value('es', mean - sigma)} y ${f.value('es', mean + sigma)}): menos variación que la línea base; el tramo va de ${f.value('es', min)} a ${f.value('es', max)} (rango ${f.sigmas('es', (max - min) / sigma)})`,
    en: `15 points in a row within ±1σ of the mean (between ${f.value('en', mean - sigma)} and ${f.value('en', mean + sigma)}): less variation than the baseline; the run spans ${f.value('en', min)} to ${f.value('en', max)} (range ${f.sigmas('en', (max - min) / sigma)})`,
  });
};

const mixture: Check = (ctx, rule) => {
  const run = tail(ctx, 8);
  if (!run) return null;
  const { mean, sigma } = ctx.limits;
  if (!run.every((x) => Math.abs(x - mean) > sigma)) return null;
  const above = run.filter((x) => x > mean).length;
  const below = run.length - above;
  const f = ctx.format();
  return violation(ctx, rule, lastIndices(ctx, 8), [...run], null, {
    es: `8 puntos seguidos a más de 1σ de la media (fuera de ${f.value('es', mean - sigma)} a ${f.value('es', mean + sigma)}), ${above} por encima y ${below} por debajo: ninguno cerca de la media`,
    en: `8 points in a row more than 1σ from the mean (outside ${f.value('en', mean - sigma)} to ${f.value('en', mean + sigma)}), ${above} above and ${below} below: none near the mean`,
  });
};

const movingRange: Check = (ctx, rule) => {
  const pair = tail(ctx, 2);
  if (!pair) return null;
  const [previous, x] = pair as [number, number];
  const range = Math.abs(x - previous);
  const { mrUcl, mrBar } = ctx.limits;
  if (!(range > mrUcl)) return null;
  const f = ctx.format();
  return violation(
    ctx,
    rule,
    lastIndices(ctx, 2),
    [previous, x],
    x > previous ? 'up' : 'down',
    {
      es: `Salto de ${f.value('es', range)} entre puntos consecutivos (${f.value('es', previous)} → ${f.value('es', x)}), por encima del límite del rango móvil (${f.value('es', mrUcl)}); ${f.number('es', range / mrBar, 1)} veces el rango móvil medio`,
      en: `Jump of ${f.value('en', range)} between consecutive points (${f.value('en', previous)} → ${f.value('en', x)}), above the moving-range limit (${f.value('en', mrUcl)}); ${f.number('en', range / mrBar, 1)} times the average moving range`,
    },
    { value: range, limit: mrUcl },
  );
};

const CHECKS: Record<ImrRuleId, Check> = {
  'nelson-1': beyondThreeSigma,
  'nelson-2': sameSide(9),
  'nelson-3': trend,
  'nelson-4': alternating,
  'nelson-5': kOfN(2, 3, 2),
  'nelson-6': kOfN(4, 5, 1),
  'nelson-7': hugging,
  'nelson-8': mixture,
  'we-1': beyondThreeSigma,
  'we-2': kOfN(2, 3, 2),
  'we-3': kOfN(4, 5, 1),
  'we-4': sameSide(8),
  'mr-ucl': movingRange,
};

/**
 * Takes the next point of the series, updates `state` in place and returns the violations
 * it completes. A non-finite value is a missing slot: it takes an index and breaks every
 * run. Degenerate limits (a constant baseline) never fire.
 */
export function stepSpc(
  state: SpcState,
  limits: SpcLimits,
  value: number,
  options: SpcOptions = {},
): SpcViolation[] {
  const index = state.next;
  state.next = index + 1;
  if (!Number.isFinite(value)) {
    state.recent.length = 0;
    return [];
  }
  state.recent.push(value);
  if (state.recent.length > SPC_WINDOW) state.recent.shift();
  if (limits.degenerate) return [];
  let formatter: Formatter | undefined;
  const ctx: Context = {
    recent: state.recent,
    index,
    limits,
    // Messages are built only for the rare point that fires.
    format: () => (formatter ??= formatterFor(limits, options)),
  };
  const found: SpcViolation[] = [];
  for (const rule of options.rules ?? NELSON_RULES) {
    const hit = CHECKS[rule](ctx, rule);
    if (hit) found.push(hit);
  }
  return found;
}

/** Evaluates a whole series (or continues one, given `state`) on the I-MR chart. */
export function evaluateSeries(
  values: Float64Array | readonly number[],
  limits: SpcLimits,
  options: SpcOptions & { state?: SpcState } = {},
): SpcViolation[] {
  const state = options.state ?? createSpcState();
  const found: SpcViolation[] = [];
  for (let i = 0; i < values.length; i++)
    found.push(...stepSpc(state, limits, values[i]!, options));
  return found;
}
