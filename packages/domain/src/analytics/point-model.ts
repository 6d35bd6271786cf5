/**
 * Anomaly detection for one measurement point (a well, a separator, a tank…): its
 * continuous variables together, on 10-minute slot means, as the worker's detect stage
 * runs it. Pure: the worker loads slots and stores models, anomalies and alerts.
 *
 * - Features: for every variable, the eight window statistics (features.ts) over the last
 *   POINT_WINDOW_SLOTS slots (one hour). A reading's slot is one sample of the window.
 * - Data quality first: a slot the validation engine flagged bad (B: stuck, out of range…)
 *   or missing (M) is not a process value. It enters the window as missing, so a dead gauge
 *   or a unit error is the validation engine's flag, never an anomaly here; the evidence
 *   names the variables left out.
 * - Model: an isolation forest on standardised features (training statistics only;
 *   constant and empty features dropped, see detectors.ts). The threshold is a high
 *   quantile of the training windows' own scores, then tuned per point by operators'
 *   feedback (tunedThreshold). Serialised with a version; the version goes on every anomaly.
 */
import { AppError } from '../errors';
import { fitStandardiser, type DroppedFeature } from './detectors';
import { STATISTICS_PER_VARIABLE, windowFeatureNames, windowFeatureRow } from './features';
import {
  explain,
  isolationForestFromJson,
  isolationForestToJson,
  scoreMany,
  trainIsolationForest,
  type IsolationForestJson,
  type IsolationForestModel,
} from './isolation-forest';

export const POINT_MODEL_VERSION = 'point-iforest-1';
export const POINT_WINDOW_SLOTS = 6;
/** A day of slots: fewer windows than this and no model is trained. */
export const MIN_TRAINING_WINDOWS = 144;
/**
 * The forest's threshold: the highest score of any training window (quantile 1). A point
 * scores 144 windows a day, so even a 99.5 % quantile would alert most days on normal
 * operation; at the maximum, normal operation alerts about once per baseline length (a
 * month), and operators' verdicts move it from there.
 */
export const TRAINING_QUANTILE = 1;
/**
 * The forest looks at all of a point's features at once; with a dozen variables × eight
 * statistics, a gross excursion of ONE variable moves few of the ~100 features it splits on
 * at random, and its score rises less than it should. So a window is also anomalous when a
 * feature leaves the baseline's envelope: |z| beyond ENVELOPE_FACTOR × the largest |z| seen
 * in training, and at least ENVELOPE_MIN_Z.
 */
export const ENVELOPE_FACTOR = 1.5;
const LEVEL_STATISTICS = new Set(['median', 'mean', 'min', 'max']);
export const ENVELOPE_MIN_Z = 4;

/** One variable's slot means on a regular 10-minute grid; NaN where missing or flagged. */
export interface VariableSeries {
  code: string;
  values: Float64Array;
}

export interface PointModel {
  version: typeof POINT_MODEL_VERSION;
  variables: string[];
  featureNames: string[];
  windowSlots: number;
  used: number[];
  mean: number[];
  sd: number[];
  dropped: DroppedFeature[];
  threshold: number;
  /** Per kept feature, the largest |z| any training window had: the baseline's envelope. */
  envelope: number[];
  /**
   * Which kept features the envelope watches: levels (median, mean, min, max), not spreads.
   * A six-slot variance has a long right tail, so spreads are left to the forest.
   */
  levelFeature: boolean[];
  trainingWindows: number;
  forest: IsolationForestJson;
}

/** A loaded model: the forest rebuilt once for scoring. */
export interface LoadedPointModel {
  model: PointModel;
  forest: IsolationForestModel;
}

function windowRows(series: readonly VariableSeries[], windowSlots: number) {
  const length = series[0]?.values.length ?? 0;
  const rows: Float64Array[] = [];
  const ends: number[] = [];
  const columns = series.map((s) => s.values);
  for (let end = windowSlots; end <= length; end++) {
    rows.push(completeWindowRow(columns, end - windowSlots, end).row);
    ends.push(end - 1);
  }
  return { rows, ends };
}

/**
 * The window's feature row, where a variable with any missing or flagged slot in the
 * window is left out whole (its eight statistics NaN, imputed at the baseline later): the
 * statistics of a partial window (a std of two values…) are not comparable with the
 * baseline's, and a gauge the validation engine flagged must not look like a process
 * change. Returns the left-out variables' positions.
 */
function completeWindowRow(
  columns: readonly Float64Array[],
  start: number,
  end: number,
): { row: Float64Array; incomplete: number[] } {
  const row = windowFeatureRow(columns, start, end);
  const incomplete: number[] = [];
  columns.forEach((column, v) => {
    for (let i = start; i < end; i++)
      if (!Number.isFinite(column[i]!)) {
        row.fill(NaN, v * STATISTICS_PER_VARIABLE, (v + 1) * STATISTICS_PER_VARIABLE);
        incomplete.push(v);
        return;
      }
  });
  return { row, incomplete };
}

/** Standardised rows of the kept features; a missing value sits at the training mean (0). */
function standardise(model: PointModel, row: ArrayLike<number>, out: Float64Array, at: number) {
  let missing = 0;
  for (let k = 0; k < model.used.length; k++) {
    const x = row[model.used[k]!]!;
    if (Number.isFinite(x)) out[at + k] = (x - model.mean[k]!) / model.sd[k]!;
    else {
      out[at + k] = 0;
      missing++;
    }
  }
  return missing;
}

function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/**
 * Trains a point's model on its baseline series (all the same length, one slot each).
 * VALIDATION when there are too few windows or no variable with usable variation.
 */
export function trainPointModel(
  series: readonly VariableSeries[],
  options: { seed?: number; trees?: number; sampleSize?: number } = {},
): LoadedPointModel {
  const { rows } = windowRows(series, POINT_WINDOW_SLOTS);
  if (rows.length < MIN_TRAINING_WINDOWS)
    throw new AppError('VALIDATION', 'not enough baseline windows to train', {
      details: { windows: rows.length, needed: MIN_TRAINING_WINDOWS },
    });
  const names = windowFeatureNames(series.map((s) => s.code));
  const standardiser = fitStandardiser(rows, names);
  if (standardiser.used.length === 0)
    throw new AppError('VALIDATION', 'no variable of this point varies in its baseline', {
      details: { dropped: standardiser.dropped.length },
    });
  const partial: Omit<PointModel, 'forest' | 'threshold' | 'envelope' | 'levelFeature'> = {
    version: POINT_MODEL_VERSION,
    variables: series.map((s) => s.code),
    featureNames: names,
    windowSlots: POINT_WINDOW_SLOTS,
    used: [...standardiser.used],
    mean: [...standardiser.mean],
    sd: [...standardiser.sd],
    dropped: standardiser.dropped,
    trainingWindows: rows.length,
  };
  const width = partial.used.length;
  const matrix = new Float64Array(rows.length * width);
  rows.forEach((row, i) =>
    standardise(
      { ...partial, envelope: [], levelFeature: [] } as unknown as PointModel,
      row,
      matrix,
      i * width,
    ),
  );
  const forest = trainIsolationForest(matrix, width, {
    trees: options.trees ?? 100,
    sampleSize: options.sampleSize ?? 256,
    seed: options.seed ?? 1,
    featureNames: partial.used.map((j) => names[j]!),
  });
  const scores = scoreMany(forest, matrix).sort();
  const envelope = new Array<number>(width).fill(0);
  for (let i = 0; i < rows.length; i++)
    for (let k = 0; k < width; k++)
      envelope[k] = Math.max(envelope[k]!, Math.abs(matrix[i * width + k]!));
  const model: PointModel = {
    ...partial,
    envelope,
    levelFeature: partial.used.map((j) =>
      LEVEL_STATISTICS.has(names[j]!.slice(names[j]!.lastIndexOf('.') + 1)),
    ),
    threshold: quantile(scores, TRAINING_QUANTILE),
    forest: isolationForestToJson(forest),
  };
  return { model, forest };
}

export function loadPointModel(json: unknown): LoadedPointModel {
  const model = json as PointModel | null;
  if (model?.version !== POINT_MODEL_VERSION)
    throw new AppError('INTEGRITY', 'not a point-iforest-1 model');
  return { model, forest: isolationForestFromJson(model.forest) };
}

export interface FeatureEvidence {
  feature: string;
  variable: string;
  statistic: string;
  value: number;
  baselineMean: number;
  /** Standard deviations from the baseline mean. */
  z: number;
  contribution: number;
}

export interface PointScore {
  /** Index (in the series) of the slot that closes the window. */
  index: number;
  score: number;
  threshold: number;
  anomalous: boolean;
  /** The largest |z| of the window over its feature's envelope limit (> 1: outside). */
  envelopeRatio: number;
  envelopeThreshold: number;
  /** Which test found it: the forest's score, or a feature out of the baseline's envelope. */
  detector: 'iforest' | 'envelope' | null;
  /** Variables left out of this window: a slot of theirs in it was missing or flagged. */
  excluded: string[];
  /** The features that drove the score, largest share first (only for anomalous windows). */
  drivers: FeatureEvidence[];
}

/**
 * Scores every window that ends at or after `fromIndex`. `threshold` overrides the
 * model's (the point's tuned threshold).
 */
export function scorePointWindows(
  loaded: LoadedPointModel,
  series: readonly VariableSeries[],
  fromIndex: number,
  threshold = loaded.model.threshold,
  /** How far out of the envelope counts (1 = its edge); raised by false-alarm verdicts. */
  envelopeThreshold = 1,
): PointScore[] {
  const { model, forest } = loaded;
  const byCode = new Map(series.map((s) => [s.code, s.values]));
  const length = series[0]?.values.length ?? 0;
  const columns = model.variables.map(
    (code) => byCode.get(code) ?? new Float64Array(length).fill(NaN),
  );
  const out: PointScore[] = [];
  const width = model.used.length;
  const standardised = new Float64Array(width);
  for (let end = Math.max(model.windowSlots, fromIndex + 1); end <= length; end++) {
    const start = end - model.windowSlots;
    const { row, incomplete } = completeWindowRow(columns, start, end);
    standardise(model, row, standardised, 0);
    const excluded = incomplete.map((v) => model.variables[v]!);
    // Nothing to judge: every variable of the point is missing or flagged in this window.
    if (excluded.length === model.variables.length) continue;
    const explanation = explain(forest, standardised);
    const forestSays = explanation.score > threshold;
    let envelopeRatio = 0;
    for (let k = 0; k < width; k++)
      if (model.levelFeature[k])
        envelopeRatio = Math.max(
          envelopeRatio,
          Math.abs(standardised[k]!) /
            Math.max(ENVELOPE_MIN_Z, ENVELOPE_FACTOR * model.envelope[k]!),
        );
    const outside = envelopeRatio > envelopeThreshold;
    const anomalous = forestSays || outside;
    out.push({
      index: end - 1,
      score: explanation.score,
      threshold,
      envelopeRatio,
      envelopeThreshold,
      anomalous,
      detector: forestSays ? 'iforest' : outside ? 'envelope' : null,
      excluded,
      drivers: anomalous ? driversOf(model, row, standardised, explanation.features) : [],
    });
  }
  return out;
}

/**
 * The variables that drove a verdict, furthest from their baseline first (each shown by
 * its statistic with the largest |z|), with the forest's credit summed per variable (a
 * variable has eight statistics; one jump moves several of them).
 */
function driversOf(
  model: PointModel,
  row: Float64Array,
  standardised: Float64Array,
  features: ReadonlyArray<{ feature: number; contribution: number }>,
): FeatureEvidence[] {
  const byVariable = new Map<string, { credit: number; best: FeatureEvidence | null }>();
  for (const f of features) {
    const k = f.feature;
    const name = model.featureNames[model.used[k]!]!;
    const dot = name.lastIndexOf('.');
    const variable = name.slice(0, dot);
    const entry = byVariable.get(variable) ?? { credit: 0, best: null };
    entry.credit += f.contribution;
    const z = standardised[k]!;
    if (!entry.best || Math.abs(z) > Math.abs(entry.best.z))
      entry.best = {
        feature: name,
        variable,
        statistic: name.slice(dot + 1),
        value: row[model.used[k]!]!,
        baselineMean: model.mean[k]!,
        z,
        contribution: 0,
      };
    byVariable.set(variable, entry);
  }
  const ranked = [...byVariable.values()].sort(
    (a, b) => Math.abs(b.best!.z) - Math.abs(a.best!.z) || b.credit - a.credit,
  );
  // Variables clearly away from their baseline (|z| ≥ 2); at least the furthest one.
  const clear = ranked.filter((e) => Math.abs(e.best!.z) >= 2);
  return (clear.length > 0 ? clear : ranked.slice(0, 1))
    .slice(0, 3)
    .map((e) => ({ ...e.best!, contribution: e.credit }));
}

/** What an anomaly says in people's words (Spanish and English), with the numbers. */
export function describePointAnomaly(
  pointCode: string,
  scored: PointScore,
): { es: string; en: string } {
  const es = (n: number, d = 2) =>
    new Intl.NumberFormat('es-CO', { maximumFractionDigits: d }).format(n);
  const en = (n: number, d = 2) =>
    new Intl.NumberFormat('en', { maximumFractionDigits: d }).format(n);
  const sign = (z: number) => (z >= 0 ? '+' : '−');
  const drivers = (f: typeof es) =>
    scored.drivers
      .map(
        (d) =>
          `${d.feature} = ${f(d.value)} (${sign(d.z)}${f(Math.abs(d.z), 1)}σ; ${f(d.contribution * 100, 0)} %)`,
      )
      .join(', ');
  if (scored.detector === 'envelope')
    return {
      es: `${pointCode}: fuera de todo lo visto en su línea base. Principales: ${drivers(es)}.`,
      en: `${pointCode}: outside anything seen in its baseline. Main drivers: ${drivers(en)}.`,
    };
  return {
    es: `${pointCode}: comportamiento conjunto inusual (puntaje ${es(scored.score, 3)} > umbral ${es(scored.threshold, 3)}). Principales: ${drivers(es)}.`,
    en: `${pointCode}: unusual joint behaviour (score ${en(scored.score, 3)} > threshold ${en(scored.threshold, 3)}). Main drivers: ${drivers(en)}.`,
  };
}

/**
 * The point's threshold after operators' verdicts: above every score they called a false
 * alarm (so the same condition stops alerting), but never above a score they confirmed as
 * real (catching real events wins over silencing noise). Bounded below by the model's.
 */
export function tunedThreshold(
  base: number,
  feedback: ReadonlyArray<{ score: number; verdict: 'real' | 'false_alarm' }>,
): number {
  const margin = 1e-3;
  const falseAlarms = feedback.filter((f) => f.verdict === 'false_alarm').map((f) => f.score);
  const real = feedback.filter((f) => f.verdict === 'real').map((f) => f.score);
  let threshold = base;
  if (falseAlarms.length > 0) threshold = Math.max(threshold, Math.max(...falseAlarms) + margin);
  const lowestReal = real.length > 0 ? Math.min(...real) : Infinity;
  if (threshold >= lowestReal) threshold = Math.max(base, lowestReal - margin);
  return threshold;
}

/** How an open alert evolves with each scored slot. */
export const ESCALATE_AFTER_SLOTS = 3;
export const RESOLVE_AFTER_QUIET_SLOTS = 6;

export type AlertStep = 'raise' | 'repeat' | 'escalate' | 'resolve' | 'none';

/**
 * One slot's effect on the alert of a point's detector: a first anomaly raises it (warning),
 * a repeat counts an occurrence, the third occurrence (half an hour) escalates it to
 * critical, and an hour without anomalies resolves it.
 */
export function alertStep(
  open: {
    occurrences: number;
    severity: 'info' | 'warning' | 'critical';
    lastSeenMs: number;
  } | null,
  anomalous: boolean,
  slotStartMs: number,
): AlertStep {
  if (anomalous) {
    if (!open) return 'raise';
    return open.severity !== 'critical' && open.occurrences + 1 >= ESCALATE_AFTER_SLOTS
      ? 'escalate'
      : 'repeat';
  }
  if (open && slotStartMs - open.lastSeenMs >= RESOLVE_AFTER_QUIET_SLOTS * 600_000)
    return 'resolve';
  return 'none';
}
