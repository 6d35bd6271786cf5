import type { MessageText } from './spc-format';
import type { SpcLimits } from './spc-limits';

/**
 * The SPC rules, each with a stable id. Zones are measured from the centre line in units
 * of the within sigma of the limits: "beyond 2σ" means |x − mean| > 2σ. Comparisons are
 * strict, so a point exactly on a line (or exactly on the mean) does not count for the
 * side it touches; in a row means consecutive slots, and a missing slot breaks the row.
 *
 * Nominal false-alarm probability per point for in-control Gaussian data, i.e. the chance
 * that a given point completes the pattern (the tests recompute these from first
 * principles and check them against seeded noise):
 *
 *   nelson-1 / we-1  0.27 %     nelson-5 / we-2  0.20 %     nelson-8  0.010 %
 *   nelson-2         0.39 %     nelson-6 / we-3  0.45 %     we-4      0.78 %
 *   nelson-3         0.28 %     nelson-7         0.33 %     mr-ucl    0.92 %
 *   nelson-4         0.46 %
 *
 * Together the default set (Nelson 1–8 and the MR rule) flags about 3 % of in-control
 * points, some 4–5 of the 144 slots of a day: right for a dashboard of candidates to
 * review, too many for paging anyone. Pick a smaller set (`rules`) where flags feed alerts.
 * (Real slot means are often autocorrelated, which makes the run rules fire more still.)
 */
export const SPC_RULES = {
  /** One point beyond 3σ: a large, sudden departure (the Shewhart rule). */
  'nelson-1': {
    chart: 'individuals',
    points: 1,
    es: 'Un punto a más de 3σ de la media',
    en: 'One point more than 3σ from the mean',
  },
  /** Nine points in a row on one side of the mean: a sustained shift of the level. */
  'nelson-2': {
    chart: 'individuals',
    points: 9,
    es: 'Nueve puntos seguidos al mismo lado de la media',
    en: 'Nine points in a row on the same side of the mean',
  },
  /** Six points in a row steadily increasing or decreasing: a drift (fouling, wear, a leak). */
  'nelson-3': {
    chart: 'individuals',
    points: 6,
    es: 'Seis puntos seguidos en aumento o descenso continuo',
    en: 'Six points in a row steadily increasing or decreasing',
  },
  /**
   * Fourteen points in a row alternating up and down: oscillation, typically a controller
   * hunting or two sources sampled in turn.
   */
  'nelson-4': {
    chart: 'individuals',
    points: 14,
    es: 'Catorce puntos seguidos alternando arriba y abajo',
    en: 'Fourteen points in a row alternating up and down',
  },
  /**
   * Two of three points beyond 2σ on the same side (the latest being one of them): a
   * medium shift, seen before it reaches 3σ.
   */
  'nelson-5': {
    chart: 'individuals',
    points: 3,
    es: 'Dos de tres puntos a más de 2σ del mismo lado',
    en: 'Two of three points beyond 2σ on the same side',
  },
  /** Four of five points beyond 1σ on the same side (the latest being one): a small shift. */
  'nelson-6': {
    chart: 'individuals',
    points: 5,
    es: 'Cuatro de cinco puntos a más de 1σ del mismo lado',
    en: 'Four of five points beyond 1σ on the same side',
  },
  /**
   * Fifteen points in a row within 1σ of the mean, on either side: less variation than the
   * baseline (stratification, a smoothed or partly frozen signal, limits learned on a
   * noisier period).
   */
  'nelson-7': {
    chart: 'individuals',
    points: 15,
    es: 'Quince puntos seguidos dentro de ±1σ de la media',
    en: 'Fifteen points in a row within ±1σ of the mean',
  },
  /**
   * Eight points in a row beyond 1σ, on either side, none within: a mixture of two
   * regimes (two wells on one line, over-adjustment).
   */
  'nelson-8': {
    chart: 'individuals',
    points: 8,
    es: 'Ocho puntos seguidos a más de 1σ de la media, a cualquier lado',
    en: 'Eight points in a row beyond 1σ on either side',
  },
  /** Western Electric rule 1: one point beyond 3σ (same test as Nelson 1). */
  'we-1': {
    chart: 'individuals',
    points: 1,
    es: 'Un punto a más de 3σ de la media',
    en: 'One point more than 3σ from the mean',
  },
  /** Western Electric rule 2: two of three beyond 2σ on the same side (as Nelson 5). */
  'we-2': {
    chart: 'individuals',
    points: 3,
    es: 'Dos de tres puntos a más de 2σ del mismo lado',
    en: 'Two of three points beyond 2σ on the same side',
  },
  /** Western Electric rule 3: four of five beyond 1σ on the same side (as Nelson 6). */
  'we-3': {
    chart: 'individuals',
    points: 5,
    es: 'Cuatro de cinco puntos a más de 1σ del mismo lado',
    en: 'Four of five points beyond 1σ on the same side',
  },
  /** Western Electric rule 4: eight in a row on one side of the mean (Nelson 2 uses nine). */
  'we-4': {
    chart: 'individuals',
    points: 8,
    es: 'Ocho puntos seguidos al mismo lado de la media',
    en: 'Eight points in a row on the same side of the mean',
  },
  /** Moving range above D4 · MR̄: a jump between consecutive slots. */
  'mr-ucl': {
    chart: 'moving-range',
    points: 2,
    es: 'Rango móvil por encima de su límite superior',
    en: 'Moving range above its upper control limit',
  },
  /** EWMA beyond its (time-varying) limits: a small sustained shift. */
  ewma: {
    chart: 'ewma',
    points: 1,
    es: 'EWMA fuera de sus límites',
    en: 'EWMA beyond its control limits',
  },
  /** Tabular CUSUM above h: a small sustained shift, with an estimate of its size. */
  cusum: {
    chart: 'cusum',
    points: 1,
    es: 'CUSUM por encima del umbral h',
    en: 'CUSUM above the decision interval h',
  },
} as const satisfies Record<string, { chart: SpcChart; points: number; es: string; en: string }>;

export type SpcRuleId = keyof typeof SPC_RULES;
export type SpcChart = 'individuals' | 'moving-range' | 'ewma' | 'cusum';
/** The rules evaluated by the individuals / moving-range step. */
export type ImrRuleId = Exclude<SpcRuleId, 'ewma' | 'cusum'>;

export const NELSON_RULES: readonly ImrRuleId[] = [
  'nelson-1',
  'nelson-2',
  'nelson-3',
  'nelson-4',
  'nelson-5',
  'nelson-6',
  'nelson-7',
  'nelson-8',
  'mr-ucl',
];
export const WESTERN_ELECTRIC_RULES: readonly ImrRuleId[] = [
  'we-1',
  'we-2',
  'we-3',
  'we-4',
  'mr-ucl',
];

/**
 * One firing of one rule, with everything needed to explain it later: which points, their
 * values, the limits (and their version) they were judged against, and a sentence.
 */
export interface SpcViolation {
  rule: SpcRuleId;
  chart: SpcChart;
  /** Stream index of the point that completed the pattern (missing points are counted). */
  index: number;
  /** Stream indices of the points involved, oldest first. */
  indices: number[];
  /** Their values, in the same order. */
  values: number[];
  /** Direction of the departure; null for patterns without one (oscillation, hugging, mixture). */
  direction: 'up' | 'down' | null;
  /** For charts with a statistic (the value, MR, EWMA, CUSUM): its value and the limit it crossed. */
  statistic?: { value: number; limit: number };
  limits: SpcLimits;
  message: MessageText;
}
