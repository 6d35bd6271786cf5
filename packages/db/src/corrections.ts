import { randomUUID } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { bogotaDayOf, SLOT_MS } from '@anh/domain/bogota-day';
import { emptySlot, type SeriesKind, type SlotAggregate } from '@anh/domain/aggregation';
import { variableByCode, type VariableDefinition } from '@anh/domain/catalog';
import {
  checkCorrection,
  correctSlot,
  CORRECTION_FLAG,
  DAY_MS,
  describeCorrectionProblem,
  describeEstimateError,
  estimate,
  isSlotStart,
  MAX_INTERPOLATION_REACH_MS,
  MAX_REASON_LENGTH,
  MIN_REASON_LENGTH,
  type CorrectionMethod,
  type EstimateBasis,
  type SeriesPoint,
} from '@anh/domain/corrections';
import { AppError } from '@anh/domain/errors';
import { QUALITY_FLAGS, type QualityFlag } from '@anh/domain/rules';
import { compileChannels } from '@anh/domain/validation';
import { appendTenantAudit } from './audit-store';

/**
 * One variable's series as people look at it: the stored 10-minute slots with the
 * engineers' corrections laid over them (the measured values kept beside), the raw
 * samples, and the corrections themselves (made, superseded, reverted: never deleted,
 * each audited). All functions take the tenant transaction's client.
 */

/** A tenant variable with what reading its series needs. */
export interface SeriesVariable {
  id: string;
  code: string;
  /** The unit the field sends (samples are stored in it). */
  inputUnit: string;
  definition: VariableDefinition;
  kind: SeriesKind;
  pointId: string;
  pointCode: string;
  pointName: string;
  siteId: string;
  /** Field unit → canonical: value·factor + offset (NaN when the unit does not convert). */
  factor: number;
  offset: number;
}

interface VariableRow {
  id: string;
  code: string;
  unit: string;
  rollover_at: number | null;
  point_id: string;
  point_code: string;
  point_name: string;
  site_id: string;
  atm: number | null;
}

/** The variables with these ids; any id the tenant does not have is NOT_FOUND. */
export async function loadSeriesVariables(
  client: pg.ClientBase,
  ids: readonly string[],
): Promise<SeriesVariable[]> {
  const { rows } = await client.query<VariableRow>(
    `SELECT v.id, v.code, v.unit, v.rollover_at, p.id AS point_id, p.code AS point_code,
            p.name AS point_name, p.site_id, s.atmospheric_pressure_psia AS atm
       FROM variables v JOIN measurement_points p ON p.id = v.point_id JOIN sites s ON s.id = p.site_id
      WHERE v.id = ANY($1::uuid[])`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const row = byId.get(id);
    const definition = row && variableByCode(row.code);
    if (!row || !definition)
      throw new AppError('NOT_FOUND', 'Variable no encontrada / variable not found');
    const { compiled } = compileChannels([
      {
        id: row.id,
        variable: row.code,
        unit: row.unit,
        ...(row.atm === null ? {} : { atmosphericPressurePsia: row.atm }),
        ...(row.rollover_at === null ? {} : { rolloverAt: row.rollover_at }),
      },
    ]);
    return {
      id: row.id,
      code: row.code,
      inputUnit: row.unit,
      definition,
      kind: definition.kind,
      pointId: row.point_id,
      pointCode: row.point_code,
      pointName: row.point_name,
      siteId: row.site_id,
      factor: compiled.count === 1 ? compiled.factor[0]! : Number.NaN,
      offset: compiled.count === 1 ? compiled.offset[0]! : 0,
    };
  });
}

export async function loadSeriesVariable(
  client: pg.ClientBase,
  id: string,
): Promise<SeriesVariable> {
  return (await loadSeriesVariables(client, [id]))[0]!;
}

export interface CorrectionRecord {
  id: string;
  variableId: string;
  slotStart: number;
  method: CorrectionMethod;
  value: number;
  reason: string;
  basis: EstimateBasis | null;
  userId: string;
  createdAt: Date;
  supersededAt: Date | null;
  supersededBy: string | null;
  revertedBy: string | null;
  revertReason: string | null;
}

const CORRECTION_COLUMNS = `id, variable_id AS "variableId",
  (extract(epoch from slot_start) * 1000)::float8 AS "slotStart", method, value, reason, basis,
  user_id AS "userId", created_at AS "createdAt", superseded_at AS "supersededAt",
  superseded_by AS "supersededBy", reverted_by AS "revertedBy", revert_reason AS "revertReason"`;

function toRecord(row: CorrectionRecord): CorrectionRecord {
  return { ...row, slotStart: Number(row.slotStart) };
}

/** Corrections in force on these variables' slots starting in [fromMs, toMs). */
export async function activeCorrections(
  client: pg.ClientBase,
  variableIds: readonly string[] | null,
  fromMs: number,
  toMs: number,
): Promise<CorrectionRecord[]> {
  const { rows } = await client.query<CorrectionRecord>(
    `SELECT ${CORRECTION_COLUMNS} FROM slot_corrections
      WHERE superseded_at IS NULL AND slot_start >= $1 AND slot_start < $2
        AND ($3::uuid[] IS NULL OR variable_id = ANY($3::uuid[]))
      ORDER BY variable_id, slot_start`,
    [new Date(fromMs).toISOString(), new Date(toMs).toISOString(), variableIds],
  );
  return rows.map(toRecord);
}

/** Every correction ever made on one slot, newest first. */
export async function correctionHistory(
  client: pg.ClientBase,
  variableId: string,
  slotStart: number,
): Promise<CorrectionRecord[]> {
  const { rows } = await client.query<CorrectionRecord>(
    `SELECT ${CORRECTION_COLUMNS} FROM slot_corrections
      WHERE variable_id = $1 AND slot_start = $2 ORDER BY created_at DESC, id`,
    [variableId, new Date(slotStart).toISOString()],
  );
  return rows.map(toRecord);
}

/** The numbers of a slot that a correction may replace, as measured. */
export interface MeasuredValues {
  mean: number | null;
  min: number | null;
  max: number | null;
  delta: number | null;
  flag: QualityFlag;
}

/** One 10-minute slot of a series: as in force (corrected where corrected). */
export interface SeriesSlot {
  start: number;
  /** Whether the aggregate stage stored it (false: no reading came; it is M). */
  stored: boolean;
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  first: number | null;
  last: number | null;
  delta: number | null;
  completeness: number;
  flag: QualityFlag;
  manualCount: number;
  /** The correction in force, if any; `original` then holds the measured values. */
  correction: Pick<
    CorrectionRecord,
    'id' | 'method' | 'value' | 'reason' | 'userId' | 'createdAt'
  > | null;
  original: MeasuredValues | null;
}

interface SlotRow {
  variable_id: string;
  start: string;
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  first: number | null;
  last: number | null;
  completeness: number;
  flag: QualityFlag;
  delta: number | null;
  counter_event: SlotAggregate['counterEvent'];
  inner_delta: number | null;
  manual_count: number;
}

/** The slot grid [from, to) rounded out to whole slots, and only slots already ended. */
export function slotGrid(
  fromMs: number,
  toMs: number,
  nowMs: number,
): { from: number; to: number } {
  const from = Math.floor(fromMs / SLOT_MS) * SLOT_MS;
  const to = Math.min(Math.ceil(toMs / SLOT_MS) * SLOT_MS, Math.floor(nowMs / SLOT_MS) * SLOT_MS);
  return { from, to: Math.max(from, to) };
}

/**
 * Every slot of each variable in [fromMs, toMs) (whole slots that have ended): the
 * stored aggregate, or an empty M slot where nothing was stored, with the corrections in
 * force applied and the measured values kept beside them.
 */
export async function readSeriesSlots(
  client: pg.ClientBase,
  variables: readonly SeriesVariable[],
  fromMs: number,
  toMs: number,
  nowMs: number,
): Promise<Map<string, SeriesSlot[]>> {
  const grid = slotGrid(fromMs, toMs, nowMs);
  const ids = variables.map((v) => v.id);
  const result = new Map<string, SeriesSlot[]>();
  if (grid.to <= grid.from) {
    for (const id of ids) result.set(id, []);
    return result;
  }
  const { rows } = await client.query<SlotRow>(
    `SELECT variable_id, (extract(epoch from slot_start) * 1000)::float8 AS start, count, mean, min,
            max, first, last, completeness, flag, delta, counter_event, inner_delta, manual_count
       FROM slots WHERE variable_id = ANY($1::uuid[]) AND slot_start >= $2 AND slot_start < $3`,
    [ids, new Date(grid.from).toISOString(), new Date(grid.to).toISOString()],
  );
  const corrections = await activeCorrections(client, ids, grid.from, grid.to);
  const stored = new Map(rows.map((r) => [`${r.variable_id}|${Number(r.start)}`, r]));
  const corrected = new Map(corrections.map((c) => [`${c.variableId}|${c.slotStart}`, c]));
  for (const variable of variables) {
    const list: SeriesSlot[] = [];
    for (let start = grid.from; start < grid.to; start += SLOT_MS) {
      const key = `${variable.id}|${start}`;
      const row = stored.get(key);
      const measured: SlotAggregate = row
        ? {
            slot: 0,
            count: row.count,
            mean: row.mean,
            min: row.min,
            max: row.max,
            first: row.first,
            last: row.last,
            completeness: row.completeness,
            flag: row.flag,
            delta: row.delta,
            counterEvent: row.counter_event,
            innerDelta: row.inner_delta,
          }
        : emptySlot(0);
      const correction = corrected.get(key);
      const shown = correction ? correctSlot(measured, correction, variable.kind) : measured;
      list.push({
        start,
        stored: row !== undefined,
        count: shown.count,
        mean: shown.mean,
        min: shown.min,
        max: shown.max,
        first: shown.first,
        last: shown.last,
        delta: shown.delta,
        completeness: shown.completeness,
        flag: shown.flag,
        manualCount: row?.manual_count ?? 0,
        correction: correction
          ? {
              id: correction.id,
              method: correction.method,
              value: correction.value,
              reason: correction.reason,
              userId: correction.userId,
              createdAt: correction.createdAt,
            }
          : null,
        original: correction
          ? {
              mean: measured.mean,
              min: measured.min,
              max: measured.max,
              delta: measured.delta,
              flag: measured.flag,
            }
          : null,
      });
    }
    result.set(variable.id, list);
  }
  return result;
}

/** One reading as received, with its canonical value and verdicts. */
export interface RawSample {
  ts: number;
  /** In the catalog's canonical unit (null when the source sent none). */
  value: number | null;
  /** As received, in the unit the binding declares. */
  rawValue: number | null;
  sourceStatus: 'good' | 'uncertain' | 'bad';
  sourceCode: number | null;
  /** The validation's flag; null while its batch waits for validation. */
  flag: QualityFlag | null;
  manual: boolean;
}

const SOURCE_STATUS = ['good', 'uncertain', 'bad'] as const;

/** Raw samples of variables in [fromMs, toMs), oldest first, at most `limit` (then truncated). */
export async function readRawSamples(
  client: pg.ClientBase,
  variables: readonly SeriesVariable[],
  fromMs: number,
  toMs: number,
  limit: number,
): Promise<{ samples: Map<string, RawSample[]>; truncated: boolean }> {
  const { rows } = await client.query<{
    variable_id: string;
    t: string;
    value: number | null;
    source_status: number;
    source_code: string | number | null;
    flag: number | null;
    validated: boolean | null;
    manual: boolean | null;
  }>(
    `SELECT s.variable_id, (extract(epoch from s.ts) * 1000)::float8 AS t, s.value, s.source_status,
            s.source_code, s.flag, b.status = 'validated' AS validated, b.origin = 'manual' AS manual
       FROM samples s LEFT JOIN ingest_batches b ON b.seq = s.batch_seq
      WHERE s.variable_id = ANY($1::uuid[]) AND s.ts >= $2 AND s.ts < $3
      ORDER BY s.ts, s.variable_id LIMIT $4`,
    [
      variables.map((v) => v.id),
      new Date(fromMs).toISOString(),
      new Date(toMs).toISOString(),
      limit + 1,
    ],
  );
  const truncated = rows.length > limit;
  const byId = new Map(variables.map((v) => [v.id, v]));
  const samples = new Map<string, RawSample[]>(variables.map((v) => [v.id, []]));
  for (const r of rows.slice(0, limit)) {
    const variable = byId.get(r.variable_id)!;
    const value = r.value === null ? null : r.value * variable.factor + variable.offset;
    samples.get(r.variable_id)!.push({
      ts: Number(r.t),
      value: value === null || Number.isNaN(value) ? null : value,
      rawValue: r.value,
      sourceStatus: SOURCE_STATUS[r.source_status] ?? 'bad',
      sourceCode: r.source_code === null ? null : Number(r.source_code),
      flag: r.flag !== null ? (QUALITY_FLAGS[r.flag] ?? 'B') : r.validated === false ? null : 'G',
      manual: r.manual === true,
    });
  }
  return { samples, truncated };
}

/** How many raw samples these variables have in [fromMs, toMs). */
export async function countRawSamples(
  client: pg.ClientBase,
  variableIds: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM samples WHERE variable_id = ANY($1::uuid[]) AND ts >= $2 AND ts < $3`,
    [variableIds, new Date(fromMs).toISOString(), new Date(toMs).toISOString()],
  );
  return Number(rows[0]?.n ?? 0);
}

/** A slot's values before and after a correction, for the audit entry. */
export interface SlotState {
  mean: number | null;
  min: number | null;
  max: number | null;
  delta: number | null;
  flag: QualityFlag;
  correction: { id: string; method: CorrectionMethod; value: number } | null;
}

function stateOf(slot: SeriesSlot): SlotState {
  return {
    mean: slot.mean,
    min: slot.min,
    max: slot.max,
    delta: slot.delta,
    flag: slot.flag,
    correction: slot.correction
      ? { id: slot.correction.id, method: slot.correction.method, value: slot.correction.value }
      : null,
  };
}

async function slotState(
  client: pg.ClientBase,
  variable: SeriesVariable,
  slotStart: number,
): Promise<SeriesSlot> {
  const slots = await readSeriesSlots(
    client,
    [variable],
    slotStart,
    slotStart + SLOT_MS,
    slotStart + SLOT_MS,
  );
  return slots.get(variable.id)![0]!;
}

/** The variable's effective series around a slot, as an estimate sees it. */
async function estimationSeries(
  client: pg.ClientBase,
  variable: SeriesVariable,
  slotStart: number,
  nowMs: number,
): Promise<SeriesPoint[]> {
  const from = slotStart - Math.max(MAX_INTERPOLATION_REACH_MS, DAY_MS);
  const to = slotStart + MAX_INTERPOLATION_REACH_MS + SLOT_MS;
  const slots = (await readSeriesSlots(client, [variable], from, to, nowMs)).get(variable.id)!;
  return slots.map((s) => ({
    start: s.start,
    value: variable.kind === 'totalizer' ? s.delta : s.mean,
    flag: s.flag,
  }));
}

/** Serialises corrections of one slot (two engineers at once: one waits, then supersedes). */
async function lockSlot(client: pg.ClientBase, variableId: string, slotStart: number) {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
    `slot_corrections|${variableId}|${slotStart}`,
  ]);
}

/**
 * A report already built for the corrected day is now out of date: the day is marked as
 * needing an amendment (the mark the aggregate stage sets for late data). Keyed on the
 * stored reports themselves, so the mark holds whether or not report_days had a row.
 */
async function markDayChanged(client: pg.ClientBase, slotStart: number): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO report_days AS d (day, generated_at, needs_amendment, late_slots, last_late_at)
     SELECT $1::date, min(built_at), true, 1, now() FROM reports WHERE day = $1::date HAVING count(*) > 0
     ON CONFLICT (day) DO UPDATE SET needs_amendment = true, late_slots = d.late_slots + 1,
       last_late_at = now(), generated_at = coalesce(d.generated_at, excluded.generated_at)`,
    [bogotaDayOf(slotStart)],
  );
  return (rowCount ?? 0) > 0;
}

export interface CorrectionInput {
  variableId: string;
  slotStart: number;
  method: CorrectionMethod;
  /** Substitutions only: the value, in the catalog's canonical unit. */
  value?: number | null;
  reason: string;
  userId: string;
  nowMs: number;
}

export interface CorrectionOutcome {
  correction: CorrectionRecord;
  before: SlotState;
  after: SlotState;
  /** The day's report was already generated: it now needs an amendment. */
  amendmentDue: boolean;
}

/**
 * Corrects one slot: checks the input, computes an estimate, supersedes the correction in
 * force (if any), stores the new one and writes the audit entry (before/after) in the
 * same transaction.
 */
export async function correctSlotValue(
  client: pg.PoolClient,
  input: CorrectionInput,
): Promise<CorrectionOutcome> {
  const variable = await loadSeriesVariable(client, input.variableId);
  if (!isSlotStart(input.slotStart))
    throw new AppError(
      'VALIDATION',
      'El inicio no está en la grilla de 10 minutos / the slot start is not on the 10-minute grid',
    );
  if (input.slotStart + SLOT_MS > input.nowMs)
    throw new AppError(
      'VALIDATION',
      'Solo se corrige un intervalo que ya terminó / only a slot that has ended can be corrected',
    );
  const problems = checkCorrection({
    method: input.method,
    value: input.value,
    reason: input.reason,
    variable: variable.definition,
  });
  if (problems.length > 0)
    throw new AppError('VALIDATION', problems.map(describeCorrectionProblem).join('; '), {
      details: { problems },
    });
  await lockSlot(client, variable.id, input.slotStart);
  let value: number;
  let basis: EstimateBasis | null = null;
  if (input.method === 'substitute') value = input.value!;
  else {
    const series = await estimationSeries(client, variable, input.slotStart, input.nowMs);
    // The slot being corrected is not its own basis.
    const result = estimate(
      input.method,
      input.slotStart,
      series.filter((p) => p.start !== input.slotStart),
    );
    if (!result.ok) throw new AppError('VALIDATION', describeEstimateError(result.error));
    const computed = checkCorrection({
      method: input.method,
      value: result.value,
      reason: input.reason,
      variable: variable.definition,
      computed: true,
    });
    if (computed.length > 0)
      throw new AppError('VALIDATION', computed.map(describeCorrectionProblem).join('; '));
    value = result.value;
    basis = result.basis;
  }
  const before = await slotState(client, variable, input.slotStart);
  const id = randomUUID();
  const at = new Date(input.nowMs).toISOString();
  // One correction in force per slot: the one before is ended, pointing to its successor.
  await client.query(
    `UPDATE slot_corrections SET superseded_at = $3, superseded_by = $4
      WHERE variable_id = $1 AND slot_start = $2 AND superseded_at IS NULL`,
    [variable.id, new Date(input.slotStart).toISOString(), at, id],
  );
  const { rows } = await client.query<CorrectionRecord>(
    `INSERT INTO slot_corrections (id, variable_id, slot_start, method, value, reason, basis, user_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${CORRECTION_COLUMNS}`,
    [
      id,
      variable.id,
      new Date(input.slotStart).toISOString(),
      input.method,
      value,
      input.reason.trim(),
      basis === null ? null : JSON.stringify(basis),
      input.userId,
      at,
    ],
  );
  const correction = toRecord(rows[0]!);
  const after = await slotState(client, variable, input.slotStart);
  const amendmentDue = await markDayChanged(client, input.slotStart);
  await appendTenantAudit(drizzle({ client }), {
    actor: `user:${input.userId}`,
    action: before.correction ? 'slot.correction_superseded' : 'slot.corrected',
    entity: 'slot',
    entityId: `${variable.id}@${new Date(input.slotStart).toISOString()}`,
    data: {
      variable: { id: variable.id, code: variable.code, point: variable.pointCode },
      slotStart: new Date(input.slotStart).toISOString(),
      correctionId: id,
      method: input.method,
      flag: CORRECTION_FLAG[input.method],
      value,
      reason: correction.reason,
      basis,
      before: stateOf(before),
      after: stateOf(after),
    },
  });
  return { correction, before: stateOf(before), after: stateOf(after), amendmentDue };
}

/**
 * Ends a correction in force (a reason required, audited): the slot shows its measured
 * values again. A superseded or reverted correction cannot be reverted.
 */
export async function revertCorrection(
  client: pg.PoolClient,
  input: { correctionId: string; reason: string; userId: string; nowMs: number },
): Promise<{
  correction: CorrectionRecord;
  before: SlotState;
  after: SlotState;
  amendmentDue: boolean;
}> {
  const reason = input.reason.trim();
  if (reason.length < MIN_REASON_LENGTH || reason.length > MAX_REASON_LENGTH)
    throw new AppError(
      'VALIDATION',
      describeCorrectionProblem(
        reason.length < MIN_REASON_LENGTH
          ? { kind: 'reason_too_short', min: MIN_REASON_LENGTH }
          : { kind: 'reason_too_long', max: MAX_REASON_LENGTH },
      ),
    );
  const { rows: found } = await client.query<CorrectionRecord>(
    `SELECT ${CORRECTION_COLUMNS} FROM slot_corrections WHERE id = $1`,
    [input.correctionId],
  );
  if (!found[0]) throw new AppError('NOT_FOUND', 'Corrección no encontrada / correction not found');
  const target = toRecord(found[0]);
  await lockSlot(client, target.variableId, target.slotStart);
  const variable = await loadSeriesVariable(client, target.variableId);
  const before = await slotState(client, variable, target.slotStart);
  const { rows } = await client.query<CorrectionRecord>(
    `UPDATE slot_corrections SET superseded_at = $2, reverted_by = $3, revert_reason = $4
      WHERE id = $1 AND superseded_at IS NULL RETURNING ${CORRECTION_COLUMNS}`,
    [target.id, new Date(input.nowMs).toISOString(), input.userId, reason],
  );
  if (!rows[0])
    throw new AppError(
      'CONFLICT',
      'Esa corrección ya no está vigente (fue reemplazada o revertida) / that correction is no longer in force (superseded or reverted)',
    );
  const after = await slotState(client, variable, target.slotStart);
  const amendmentDue = await markDayChanged(client, target.slotStart);
  await appendTenantAudit(drizzle({ client }), {
    actor: `user:${input.userId}`,
    action: 'slot.correction_reverted',
    entity: 'slot',
    entityId: `${variable.id}@${new Date(target.slotStart).toISOString()}`,
    data: {
      variable: { id: variable.id, code: variable.code, point: variable.pointCode },
      slotStart: new Date(target.slotStart).toISOString(),
      correctionId: target.id,
      reason,
      before: stateOf(before),
      after: stateOf(after),
    },
  });
  return {
    correction: toRecord(rows[0]),
    before: stateOf(before),
    after: stateOf(after),
    amendmentDue,
  };
}
