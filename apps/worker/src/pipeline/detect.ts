import type pg from 'pg';
import type { Database } from '@anh/db';
import { raiseAlert, resolveAlert } from '@anh/db/reports';
import { variableByCode } from '@anh/domain/catalog';
import { isAppError } from '@anh/domain/errors';
import {
  alertStep,
  describePointAnomaly,
  loadPointModel,
  MIN_TRAINING_WINDOWS,
  POINT_WINDOW_SLOTS,
  scorePointWindows,
  trainPointModel,
  tunedThreshold,
  type LoadedPointModel,
  type VariableSeries,
} from '@anh/domain/point-model';
import { evaluateSeries, learnLimits, type ImrRuleId, type SpcLimits } from '@anh/domain/spc';

/**
 * Stage 4 (detect): anomalies in closed slots, per measurement point.
 *
 * - A point without a model gets one as soon as it has a day of slots: an isolation
 *   forest over its continuous variables' window features, and SPC limits per variable,
 *   both learned on the same baseline (at most BASELINE_DAYS) and stored as new versions.
 *   Scoring starts after the baseline (a model does not judge its own training data).
 * - Every new slot is scored: the forest (threshold tuned by operators' verdicts) and the
 *   SPC rules that mean a real change (a point beyond 3σ, a run on one side, a trend). Each
 *   finding is an anomaly row with its evidence and the model version.
 * - Slots the validation engine flagged bad or missing are not process values: they enter
 *   as missing, and the data-quality flag is the validation engine's job, not ours.
 * - Findings become alerts, one open per point and detector: raised, counted, escalated to
 *   critical after half an hour, resolved after an hour without findings.
 * Runs in one transaction per tenant: run twice, it finds nothing new the second time.
 */
export const BASELINE_DAYS = 30;
const SLOT_MS = 600_000;
/**
 * SPC on slot means: a slot beyond 3σ (Nelson 1) and a jump between consecutive slots
 * beyond the moving-range limit are recorded as anomalies (evidence for charts). Slot
 * means follow daily cycles, so run and trend rules (Nelson 2–8) fire every afternoon, and
 * the 3σ limits use the baseline's overall spread, not the short-term (moving-range) sigma
 * a daily cycle makes too narrow. An SPC *alert* needs Nelson 1 on two consecutive slots:
 * one slot beyond 3σ happens to some variable of a well every few hours by chance
 * (0.27 % per variable and slot); two in a row is a change.
 */
export const SPC_ALERT_RULES: readonly ImrRuleId[] = ['nelson-1', 'mr-ucl'];
const SPC_HISTORY_SLOTS = 15;

export interface DetectOutcome {
  points: number;
  trained: number;
  scoredSlots: number;
  anomalies: number;
  raised: number;
  escalated: number;
  resolved: number;
}

interface PointRow {
  id: string;
  code: string;
  variables: Array<{ id: string; code: string; unit: string }>;
}

interface StoredModel {
  id: string;
  version: number;
  model: unknown;
  baselineTo: number;
}

async function pointsOf(client: pg.ClientBase): Promise<PointRow[]> {
  const { rows } = await client.query<{
    point_id: string;
    point_code: string;
    variable_id: string;
    code: string;
    unit: string;
  }>(
    `SELECT p.id AS point_id, p.code AS point_code, v.id AS variable_id, v.code, v.unit
       FROM measurement_points p JOIN variables v ON v.point_id = p.id
      ORDER BY p.code, v.code`,
  );
  const points = new Map<string, PointRow>();
  for (const r of rows) {
    // Continuous process values only: counters, states and lab samples are not in slots
    // as a signal the forest could learn.
    if (variableByCode(r.code)?.kind !== 'analog') continue;
    const point = points.get(r.point_id) ?? { id: r.point_id, code: r.point_code, variables: [] };
    point.variables.push({ id: r.variable_id, code: r.code, unit: r.unit });
    points.set(r.point_id, point);
  }
  return [...points.values()];
}

/** Slot means on the 10-minute grid [fromMs, toMs]; NaN where missing or flagged B/M. */
async function seriesOf(
  client: pg.ClientBase,
  point: PointRow,
  fromMs: number,
  toMs: number,
): Promise<VariableSeries[]> {
  const length = Math.floor((toMs - fromMs) / SLOT_MS) + 1;
  const series = point.variables.map((v) => ({
    code: v.code,
    values: new Float64Array(length).fill(NaN),
  }));
  const index = new Map(point.variables.map((v, i) => [v.id, i]));
  const { rows } = await client.query<{ variable_id: string; at: string; mean: number | null }>(
    `SELECT variable_id, (extract(epoch FROM slot_start) * 1000)::text AS at, mean
       FROM slots
      WHERE variable_id = ANY($1::uuid[]) AND slot_start >= $2 AND slot_start <= $3
        AND flag NOT IN ('B', 'M') AND mean IS NOT NULL`,
    [
      point.variables.map((v) => v.id),
      new Date(fromMs).toISOString(),
      new Date(toMs).toISOString(),
    ],
  );
  for (const r of rows) {
    const i = Math.round((Number(r.at) - fromMs) / SLOT_MS);
    if (i >= 0 && i < length) series[index.get(r.variable_id)!]!.values[i] = r.mean!;
  }
  return series;
}

async function activeModel(
  client: pg.ClientBase,
  pointId: string,
  kind: 'iforest' | 'spc',
): Promise<StoredModel | null> {
  const { rows } = await client.query<{
    id: string;
    version: number;
    model: unknown;
    baseline_to: Date;
  }>(
    `SELECT id, version, model, baseline_to FROM anomaly_models
      WHERE point_id = $1 AND kind = $2 AND active ORDER BY version DESC LIMIT 1`,
    [pointId, kind],
  );
  const r = rows[0];
  return r
    ? { id: r.id, version: r.version, model: r.model, baselineTo: r.baseline_to.getTime() }
    : null;
}

async function storeModel(
  client: pg.ClientBase,
  pointId: string,
  kind: 'iforest' | 'spc',
  model: unknown,
  info: { fromMs: number; toMs: number; rows: number; threshold: number | null; nowMs: number },
): Promise<StoredModel> {
  await client.query(`UPDATE anomaly_models SET active = false WHERE point_id = $1 AND kind = $2`, [
    pointId,
    kind,
  ]);
  const { rows } = await client.query<{ id: string; version: number }>(
    `INSERT INTO anomaly_models (point_id, kind, version, trained_at, baseline_from, baseline_to, rows, model, threshold)
     VALUES ($1, $2, (SELECT coalesce(max(version), 0) + 1 FROM anomaly_models WHERE point_id = $1 AND kind = $2),
             $3, $4, $5, $6, $7, $8)
     RETURNING id, version`,
    [
      pointId,
      kind,
      new Date(info.nowMs).toISOString(),
      new Date(info.fromMs).toISOString(),
      new Date(info.toMs).toISOString(),
      info.rows,
      JSON.stringify(model),
      info.threshold,
    ],
  );
  return { id: rows[0]!.id, version: rows[0]!.version, model, baselineTo: info.toMs };
}

interface SpcSet {
  version: 'spc-set-1';
  limits: Record<string, SpcLimits>;
}

/** Trains both models of a point on its baseline; null when there is not enough of it. */
async function trainPoint(
  client: pg.ClientBase,
  point: PointRow,
  lastSlotMs: number,
  nowMs: number,
): Promise<{ forest: StoredModel; spc: StoredModel } | null> {
  const fromMs = lastSlotMs - (BASELINE_DAYS * 144 - 1) * SLOT_MS;
  const { rows } = await client.query<{ first: string | null }>(
    `SELECT (extract(epoch FROM min(slot_start)) * 1000)::text AS first FROM slots
      WHERE variable_id = ANY($1::uuid[]) AND slot_start >= $2`,
    [point.variables.map((v) => v.id), new Date(fromMs).toISOString()],
  );
  if (!rows[0]?.first) return null;
  const startMs = Math.max(fromMs, Number(rows[0].first));
  const series = await seriesOf(client, point, startMs, lastSlotMs);
  if ((series[0]?.values.length ?? 0) < MIN_TRAINING_WINDOWS + POINT_WINDOW_SLOTS - 1) return null;
  let trained: LoadedPointModel;
  try {
    trained = trainPointModel(series, { seed: 1 });
  } catch (error) {
    // A baseline with no variation (a point shut in all month): no model, no anomalies.
    if (isAppError(error) && error.code === 'VALIDATION') return null;
    throw error;
  }
  const limits: Record<string, SpcLimits> = {};
  for (const [i, s] of series.entries()) {
    const finite = s.values.filter(Number.isFinite);
    if (finite.length < 20) continue;
    const learned = learnLimits(finite, {
      learnedAt: new Date(nowMs).toISOString(),
      unit: point.variables[i]!.unit,
    });
    limits[s.code] = {
      ...learned,
      sigma: learned.overallSigma,
      ucl: learned.mean + 3 * learned.overallSigma,
      lcl: learned.mean - 3 * learned.overallSigma,
    };
  }
  const info = { fromMs: startMs, toMs: lastSlotMs, rows: trained.model.trainingWindows, nowMs };
  const forest = await storeModel(client, point.id, 'iforest', trained.model, {
    ...info,
    threshold: trained.model.threshold,
  });
  const spcSet: SpcSet = { version: 'spc-set-1', limits };
  const spc = await storeModel(client, point.id, 'spc', spcSet, { ...info, threshold: null });
  return { forest, spc };
}

interface OpenAlert {
  id: string;
  occurrences: number;
  severity: 'info' | 'warning' | 'critical';
  lastSeenMs: number;
}

async function openAlert(
  client: pg.ClientBase,
  kind: string,
  subject: string,
): Promise<OpenAlert | null> {
  const { rows } = await client.query<{
    id: string;
    occurrences: number;
    severity: OpenAlert['severity'];
    last_seen_at: Date | null;
    raised_at: Date;
  }>(
    `SELECT id, occurrences, severity, last_seen_at, raised_at FROM alerts
      WHERE kind = $1 AND subject = $2 AND resolved_at IS NULL`,
    [kind, subject],
  );
  const r = rows[0];
  return r
    ? {
        id: r.id,
        occurrences: r.occurrences,
        severity: r.severity,
        lastSeenMs: (r.last_seen_at ?? r.raised_at).getTime(),
      }
    : null;
}

/** Applies one slot's finding to the alert of (kind, subject); returns the open alert id. */
async function advanceAlert(
  client: pg.ClientBase,
  key: { kind: string; subject: string },
  finding: { message: string; data: Record<string, unknown> } | null,
  slotMs: number,
  outcome: DetectOutcome,
): Promise<string | null> {
  const open = await openAlert(client, key.kind, key.subject);
  const step = alertStep(open, finding !== null, slotMs);
  if (step === 'resolve') {
    await resolveAlert(client, key.kind, key.subject, slotMs);
    outcome.resolved++;
    return null;
  }
  if (!finding) return open?.id ?? null;
  await raiseAlert(client, {
    ...key,
    severity: 'warning',
    audience: ['engineer', 'operator'],
    message: finding.message,
    data: finding.data,
    nowMs: slotMs,
  });
  if (step === 'raise') outcome.raised++;
  if (step === 'escalate') {
    await client.query(
      `UPDATE alerts SET severity = 'critical', escalated_at = $3
        WHERE kind = $1 AND subject = $2 AND resolved_at IS NULL`,
      [key.kind, key.subject, new Date(slotMs).toISOString()],
    );
    outcome.escalated++;
  }
  return (await openAlert(client, key.kind, key.subject))?.id ?? null;
}

export async function runDetectStage(
  db: Database,
  tenantId: string,
  options: { nowMs: number; retrain?: boolean; pointId?: string },
): Promise<DetectOutcome> {
  return db.withTenantClient(tenantId, async (client) => {
    // One detect run per tenant at a time (the lock is the tenant's own: schema-qualified).
    await client.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':detect'))`);
    const outcome: DetectOutcome = {
      points: 0,
      trained: 0,
      scoredSlots: 0,
      anomalies: 0,
      raised: 0,
      escalated: 0,
      resolved: 0,
    };
    // Closed slots only: the newest slot that has ended.
    const closedUntil = Math.floor(options.nowMs / SLOT_MS) * SLOT_MS - SLOT_MS;
    for (const point of await pointsOf(client)) {
      if (options.pointId && point.id !== options.pointId) continue;
      outcome.points++;
      const { rows: latest } = await client.query<{ last: string | null }>(
        `SELECT (extract(epoch FROM max(slot_start)) * 1000)::text AS last FROM slots
          WHERE variable_id = ANY($1::uuid[]) AND slot_start <= $2`,
        [point.variables.map((v) => v.id), new Date(closedUntil).toISOString()],
      );
      if (!latest[0]?.last) continue;
      const lastSlotMs = Number(latest[0].last);
      let forest = options.retrain ? null : await activeModel(client, point.id, 'iforest');
      let spc = options.retrain ? null : await activeModel(client, point.id, 'spc');
      if (!forest || !spc) {
        const trained = await trainPoint(client, point, lastSlotMs, options.nowMs);
        if (!trained) continue;
        ({ forest, spc } = trained);
        outcome.trained++;
        // Scoring starts after the baseline, never over the model's own training data.
        await client.query(
          `INSERT INTO detect_cursors (point_id, scored_until) VALUES ($1, $2)
           ON CONFLICT (point_id) DO UPDATE SET scored_until = greatest(detect_cursors.scored_until, excluded.scored_until)`,
          [point.id, new Date(lastSlotMs).toISOString()],
        );
      }
      const { rows: cursorRows } = await client.query<{ until: string }>(
        `SELECT (extract(epoch FROM scored_until) * 1000)::text AS until FROM detect_cursors WHERE point_id = $1`,
        [point.id],
      );
      const cursorMs = cursorRows[0] ? Number(cursorRows[0].until) : forest.baselineTo;
      if (lastSlotMs <= cursorMs) continue;
      await scorePoint(client, point, { forest, spc }, cursorMs, lastSlotMs, outcome);
      await client.query(`UPDATE detect_cursors SET scored_until = $2 WHERE point_id = $1`, [
        point.id,
        new Date(lastSlotMs).toISOString(),
      ]);
    }
    return outcome;
  });
}

async function scorePoint(
  client: pg.ClientBase,
  point: PointRow,
  models: { forest: StoredModel; spc: StoredModel },
  cursorMs: number,
  lastSlotMs: number,
  outcome: DetectOutcome,
): Promise<void> {
  const history = Math.max(POINT_WINDOW_SLOTS, SPC_HISTORY_SLOTS);
  const fromMs = cursorMs - (history - 1) * SLOT_MS;
  const series = await seriesOf(client, point, fromMs, lastSlotMs);
  const firstNew = Math.round((cursorMs + SLOT_MS - fromMs) / SLOT_MS);
  const slotMsOf = (index: number) => fromMs + index * SLOT_MS;
  outcome.scoredSlots += series[0]!.values.length - firstNew;

  // The forest, with the point's threshold as operators' verdicts tuned it.
  const loaded = loadPointModel(models.forest.model);
  // Each detector's verdicts tune its own threshold (scores of one model version only:
  // another version's scores are on another scale).
  const { rows: verdicts } = await client.query<{
    detector: string;
    score: number;
    verdict: 'real' | 'false_alarm';
  }>(
    `SELECT a.detector, a.score, f.verdict FROM anomaly_feedback f JOIN anomalies a ON a.id = f.anomaly_id
      WHERE a.model_id = $1`,
    [models.forest.id],
  );
  const threshold = tunedThreshold(
    loaded.model.threshold,
    verdicts.filter((v) => v.detector === 'iforest'),
  );
  const envelopeThreshold = tunedThreshold(
    1,
    verdicts.filter((v) => v.detector === 'envelope'),
  );
  const scored = new Map(
    scorePointWindows(loaded, series, firstNew, threshold, envelopeThreshold).map((s) => [
      s.index,
      s,
    ]),
  );

  // SPC per variable over the same slots, with enough history for the run rules.
  const spcSet = models.spc.model as SpcSet;
  const spcFindings = new Map<
    number,
    Array<{
      variable: PointRow['variables'][number];
      violations: ReturnType<typeof evaluateSeries>;
    }>
  >();
  for (const [i, s] of series.entries()) {
    const limits = spcSet.limits[s.code];
    if (!limits) continue;
    const violations = evaluateSeries(s.values, limits, {
      rules: SPC_ALERT_RULES,
      unit: point.variables[i]!.unit,
      // One slot before the new ones too: an alert needs two consecutive slots beyond 3σ.
    }).filter((v) => v.index >= firstNew - 1);
    for (const v of violations) {
      const list = spcFindings.get(v.index) ?? [];
      const entry = list.find((e) => e.variable.code === s.code);
      if (entry) entry.violations.push(v);
      else list.push({ variable: point.variables[i]!, violations: [v] });
      spcFindings.set(v.index, list);
    }
  }

  for (let index = firstNew; index < series[0]!.values.length; index++) {
    const slotMs = slotMsOf(index);
    const at = new Date(slotMs).toISOString();
    const hit = scored.get(index);
    let finding: { message: string; data: Record<string, unknown> } | null = null;
    let anomalyId: string | null = null;
    if (hit?.anomalous) {
      const message = describePointAnomaly(point.code, hit);
      const evidence = {
        message,
        detector: hit.detector,
        score: hit.score,
        threshold: hit.threshold,
        modelThreshold: loaded.model.threshold,
        envelopeRatio: hit.envelopeRatio,
        envelopeThreshold: hit.envelopeThreshold,
        drivers: hit.drivers,
        excludedForDataQuality: hit.excluded,
      };
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO anomalies (point_id, detector, model_id, model_version, slot_start, score, threshold, evidence)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (point_id, detector, slot_start) DO NOTHING RETURNING id`,
        [
          point.id,
          hit.detector,
          models.forest.id,
          models.forest.version,
          at,
          // Each detector's own score and threshold (what feedback tunes).
          hit.detector === 'envelope' ? hit.envelopeRatio : hit.score,
          hit.detector === 'envelope' ? hit.envelopeThreshold : hit.threshold,
          JSON.stringify(evidence),
        ],
      );
      anomalyId = rows[0]?.id ?? null;
      if (anomalyId) outcome.anomalies++;
      finding = {
        message: `${message.es} / ${message.en}`,
        data: {
          point: point.code,
          slotStart: at,
          modelVersion: models.forest.version,
          ...evidence,
        },
      };
    }
    const alertId = await advanceAlert(
      client,
      { kind: 'anomaly.point', subject: point.code },
      finding,
      slotMs,
      outcome,
    );
    if (anomalyId && alertId)
      await client.query('UPDATE anomalies SET alert_id = $2 WHERE id = $1', [anomalyId, alertId]);

    for (const variable of point.variables) {
      const found = spcFindings.get(index)?.find((e) => e.variable.id === variable.id);
      let spcFinding: { message: string; data: Record<string, unknown> } | null = null;
      const ids: string[] = [];
      const beyond = (i: number) =>
        spcFindings
          .get(i)
          ?.some(
            (e) => e.variable.id === variable.id && e.violations.some((v) => v.rule === 'nelson-1'),
          ) ?? false;
      const sustained = beyond(index) && beyond(index - 1);
      for (const v of found?.violations ?? []) {
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO anomalies (point_id, variable_id, detector, model_id, model_version, slot_start, score, threshold, evidence)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (point_id, detector, slot_start) DO NOTHING RETURNING id`,
          [
            point.id,
            variable.id,
            `spc:${v.rule}:${variable.code}`,
            models.spc.id,
            models.spc.version,
            at,
            v.statistic?.value ?? v.values.at(-1) ?? 0,
            v.statistic?.limit ?? v.limits.ucl,
            JSON.stringify({ ...v, limits: { ...v.limits } }),
          ],
        );
        if (rows[0]) {
          ids.push(rows[0].id);
          outcome.anomalies++;
        }
        if (sustained && v.rule === 'nelson-1')
          spcFinding ??= {
            message: `${point.code} · ${v.message.es} / ${point.code} · ${v.message.en}`,
            data: {
              point: point.code,
              variable: variable.code,
              rule: v.rule,
              slotStart: at,
              modelVersion: models.spc.version,
            },
          };
      }
      const spcAlert = await advanceAlert(
        client,
        { kind: 'anomaly.spc', subject: `${point.code}/${variable.code}` },
        spcFinding,
        slotMs,
        outcome,
      );
      if (spcAlert && ids.length > 0)
        await client.query('UPDATE anomalies SET alert_id = $2 WHERE id = ANY($1::uuid[])', [
          ids,
          spcAlert,
        ]);
    }
  }
}
