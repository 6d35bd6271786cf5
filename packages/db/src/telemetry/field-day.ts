import type pg from 'pg';
import { bogotaDayStart, SLOT_MS, SLOTS_PER_DAY } from '@anh/domain/bogota-day';
import { emptySlot, type DayAggregation, type SlotAggregate } from '@anh/domain/aggregation';
import { applyCorrections, type SlotCorrection } from '@anh/domain/corrections';
import { variableByCode } from '@anh/domain/catalog';
import type { FieldDay, PointDay } from '@anh/domain/day-rules';
import { AppError } from '@anh/domain/errors';
import { loadBindings } from './bindings';

/**
 * One Bogotá day of stored 10-minute slots as the domain's FieldDay: every variable of the
 * tenant (or of one site) with its 144 slots, a slot nobody aggregated being empty (M),
 * and the engineers' corrections in force applied (flag S or E; see slot_corrections).
 * What the day rules and the daily report read.
 */
/** A row of `slots` as the driver returns it (`start`: slot_start as epoch ms). */
export interface StoredSlotRow {
  variable_id: string;
  start: string;
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  first: number | null;
  last: number | null;
  completeness: number;
  flag: SlotAggregate['flag'];
  delta: number | null;
  counter_event: SlotAggregate['counterEvent'];
  inner_delta: number | null;
  manual_count: number;
  from_connector_aggregate: boolean;
}

export async function loadFieldDay(
  client: pg.ClientBase,
  day: string,
  options: { siteId?: string } = {},
): Promise<FieldDay> {
  const start = bogotaDayStart(day);
  if (!start.ok) throw new AppError('VALIDATION', `invalid day ${day}`);
  const bindings = (await loadBindings(client)).filter(
    (b) => !options.siteId || b.siteId === options.siteId,
  );
  // Only the slots of the variables asked for: a tenant with 25 sites builds 25 reports,
  // and reading the whole tenant's day for each made the 06:00 build quadratic
  // (measured: 436 s for 25 sites × 20 wells; see docs/SCALING.md).
  const variableIds = bindings.map((b) => b.id);
  const { rows } = await client.query<StoredSlotRow>(
    `SELECT *, (extract(epoch from slot_start) * 1000)::float8 AS start
     FROM slots WHERE variable_id = ANY($3::uuid[]) AND slot_start >= $1 AND slot_start < $2`,
    [
      new Date(start.ms).toISOString(),
      new Date(start.ms + SLOTS_PER_DAY * SLOT_MS).toISOString(),
      variableIds,
    ],
  );
  const slotsOf = new Map<string, SlotAggregate[]>();
  const empty = () => Array.from({ length: SLOTS_PER_DAY }, (_, k) => emptySlot(k));
  for (const r of rows) {
    let slots = slotsOf.get(r.variable_id);
    if (!slots) slotsOf.set(r.variable_id, (slots = empty()));
    const k = Math.floor((Number(r.start) - start.ms) / SLOT_MS);
    slots[k] = {
      slot: k,
      count: r.count,
      mean: r.mean,
      min: r.min,
      max: r.max,
      first: r.first,
      last: r.last,
      completeness: r.completeness,
      flag: r.flag,
      delta: r.delta,
      counterEvent: r.counter_event,
      innerDelta: r.inner_delta,
    };
  }
  // Corrections in force (slot_corrections, migration 0010): substitutions and estimates.
  const { rows: corrections } = await client.query<{
    variable_id: string;
    start: string;
    method: SlotCorrection['method'];
    value: number;
  }>(
    `SELECT variable_id, (extract(epoch from slot_start) * 1000)::float8 AS start, method, value
     FROM slot_corrections
     WHERE superseded_at IS NULL AND variable_id = ANY($3::uuid[]) AND slot_start >= $1 AND slot_start < $2`,
    [
      new Date(start.ms).toISOString(),
      new Date(start.ms + SLOTS_PER_DAY * SLOT_MS).toISOString(),
      variableIds,
    ],
  );
  const correctionsOf = new Map<string, SlotCorrection[]>();
  for (const c of corrections) {
    let list = correctionsOf.get(c.variable_id);
    if (!list) correctionsOf.set(c.variable_id, (list = []));
    list.push({
      slot: Math.floor((Number(c.start) - start.ms) / SLOT_MS),
      method: c.method,
      value: c.value,
    });
  }
  const points = new Map<string, PointDay>();
  for (const b of bindings) {
    let point = points.get(b.pointCode);
    if (!point)
      points.set(
        b.pointCode,
        (point = { code: b.pointCode, name: b.pointName, kind: b.pointKind, variables: [] }),
      );
    const slots = slotsOf.get(b.id) ?? empty();
    const kind = variableByCode(b.code)?.kind;
    const measured: DayAggregation = {
      day,
      slots,
      rejected: [],
      total: kind === 'totalizer' ? slots.reduce((sum, s) => sum + (s.delta ?? 0), 0) : null,
    };
    const fixes = correctionsOf.get(b.id);
    point.variables.push({
      code: b.code,
      aggregation: fixes && kind ? applyCorrections(measured, fixes, kind).aggregation : measured,
    });
  }
  return { day, points: [...points.values()] };
}
