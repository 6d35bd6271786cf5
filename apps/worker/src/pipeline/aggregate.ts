import type pg from 'pg';
import type { Database } from '@anh/db';
import { loadBindings, type StoredSlotRow } from '@anh/db/telemetry';
import { bogotaDayOf, SLOT_MS } from '@anh/domain/bogota-day';
import { variableByCode } from '@anh/domain/catalog';
import { FLAG } from '@anh/domain/rules';
import {
  aggregateSlotWithSummaries,
  counterDelta,
  type AggregationSample,
  type SlotAggregate,
  type SlotSummary,
} from '@anh/domain/aggregation';
import { compileTenantChannels } from './channels';

/**
 * Stage 2 (aggregate): the slots the validate stage marked dirty, once closed (their 10
 * minutes over, plus a grace for stragglers), recomputed from ALL their stored samples,
 * never incrementally, so a retry or a late sample cannot count anything twice. A slot
 * whose numbers did not change keeps its revision; one that changed after its day's
 * report was generated marks that day as needing an amendment.
 */
export interface AggregateOptions {
  nowMs: number;
  /** Wait this long after a slot closes before aggregating it (late stragglers). */
  graceMs: number;
  maxSlots?: number;
}

export interface AggregateOutcome {
  slots: number;
  changed: number;
  /** Bogotá days with a changed slot (the analyse stage re-runs them). */
  days: string[];
  /** Days whose generated report must now be amended. */
  amendments: string[];
  /** When the next dirty slot becomes ready (epoch ms), or null. */
  nextReadyAt: number | null;
  more: boolean;
}

interface Target {
  variable: string;
  slotStart: number;
}

type SlotRow = Pick<
  SlotAggregate,
  'count' | 'mean' | 'min' | 'max' | 'first' | 'last' | 'completeness' | 'flag' | 'delta'
> & {
  counterEvent: string | null;
  innerDelta: number | null;
  manualCount: number;
  fromSummary: boolean;
};

const same = (a: SlotRow, b: SlotRow) =>
  a.count === b.count &&
  a.mean === b.mean &&
  a.min === b.min &&
  a.max === b.max &&
  a.first === b.first &&
  a.last === b.last &&
  a.completeness === b.completeness &&
  a.flag === b.flag &&
  a.delta === b.delta &&
  a.counterEvent === b.counterEvent &&
  a.innerDelta === b.innerDelta &&
  a.manualCount === b.manualCount &&
  a.fromSummary === b.fromSummary;

function targetsArgs(targets: Target[]): [string[], string[]] {
  return [targets.map((t) => t.variable), targets.map((t) => new Date(t.slotStart).toISOString())];
}

async function readSlotRows(
  client: pg.ClientBase,
  targets: Target[],
): Promise<Map<string, SlotRow>> {
  const { rows } = await client.query<StoredSlotRow>(
    `SELECT s.*, (extract(epoch from s.slot_start) * 1000)::float8 AS start FROM slots s
     JOIN unnest($1::uuid[], $2::timestamptz[]) AS d(v, st) ON s.variable_id = d.v AND s.slot_start = d.st`,
    targetsArgs(targets),
  );
  return new Map(
    rows.map((r) => [
      `${r.variable_id}|${Number(r.start)}`,
      {
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
        manualCount: r.manual_count,
        fromSummary: r.from_connector_aggregate,
      },
    ]),
  );
}

async function writeSlots(
  client: pg.ClientBase,
  rows: Array<{ target: Target; slot: SlotRow }>,
): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: { target: Target; slot: SlotRow }) => T) => rows.map(f);
  await client.query(
    `INSERT INTO slots AS s (variable_id, slot_start, count, mean, min, max, first, last, completeness,
       flag, delta, counter_event, inner_delta, manual_count, from_connector_aggregate)
     SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::float8[], $5::float8[],
       $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::char(1)[], $11::float8[],
       $12::text[], $13::float8[], $14::int[], $15::boolean[])
     ON CONFLICT (variable_id, slot_start) DO UPDATE SET count = excluded.count,
       mean = excluded.mean, min = excluded.min, max = excluded.max, first = excluded.first,
       last = excluded.last, completeness = excluded.completeness, flag = excluded.flag,
       delta = excluded.delta, counter_event = excluded.counter_event,
       inner_delta = excluded.inner_delta, manual_count = excluded.manual_count,
       from_connector_aggregate = excluded.from_connector_aggregate,
       revision = s.revision + 1, computed_at = now()`,
    [
      col((r) => r.target.variable),
      col((r) => new Date(r.target.slotStart).toISOString()),
      col((r) => r.slot.count),
      col((r) => r.slot.mean),
      col((r) => r.slot.min),
      col((r) => r.slot.max),
      col((r) => r.slot.first),
      col((r) => r.slot.last),
      col((r) => r.slot.completeness),
      col((r) => r.slot.flag),
      col((r) => r.slot.delta),
      col((r) => r.slot.counterEvent),
      col((r) => r.slot.innerDelta),
      col((r) => r.slot.manualCount),
      col((r) => r.slot.fromSummary),
    ],
  );
}

export async function runAggregateStage(
  db: Database,
  tenantId: string,
  options: AggregateOptions,
): Promise<AggregateOutcome> {
  return db.withTenantClient(tenantId, async (client) => {
    await client.query(`SELECT 1 FROM pipeline_stages WHERE stage = 'aggregate' FOR UPDATE`);
    const cutoff = new Date(options.nowMs - SLOT_MS - options.graceMs).toISOString();
    const limit = options.maxSlots ?? 5000;
    // Taken inside the transaction: if this run dies, the marks come back with the rollback.
    const { rows: taken } = await client.query<{ variable_id: string; start: string }>(
      `DELETE FROM dirty_slots WHERE (variable_id, slot_start) IN (
         SELECT variable_id, slot_start FROM dirty_slots WHERE slot_start <= $1
         ORDER BY slot_start LIMIT $2)
       RETURNING variable_id, (extract(epoch from slot_start) * 1000)::float8 AS start`,
      [cutoff, limit],
    );
    const { rows: waiting } = await client.query<{ next: string | null; ready: string }>(
      `SELECT (extract(epoch from min(slot_start)) * 1000)::float8 AS next,
              count(*) FILTER (WHERE slot_start <= $1) AS ready FROM dirty_slots`,
      [cutoff],
    );
    const nextStart =
      waiting[0]?.next === null || waiting[0]?.next === undefined ? null : Number(waiting[0].next);
    const outcome: AggregateOutcome = {
      slots: taken.length,
      changed: 0,
      days: [],
      amendments: [],
      nextReadyAt: nextStart === null ? null : nextStart + SLOT_MS + options.graceMs,
      more: Number(waiting[0]?.ready ?? 0) > 0,
    };
    if (taken.length === 0) return outcome;

    const bindings = new Map((await loadBindings(client)).map((b) => [b.id, b]));
    const compiled = compileTenantChannels([...bindings.values()]);
    const conversion = new Map(
      compiled.bindings.map((b, i) => [
        b.id,
        { factor: compiled.factor[i]!, offset: compiled.offset[i]! },
      ]),
    );
    const targets: Target[] = taken
      .map((r) => ({ variable: r.variable_id, slotStart: Number(r.start) }))
      .filter((t) => bindings.has(t.variable))
      .sort((a, b) =>
        a.variable === b.variable ? a.slotStart - b.slotStart : a.variable < b.variable ? -1 : 1,
      );
    const args = targetsArgs(targets);

    const samplesBySlot = new Map<string, AggregationSample[]>();
    const manualBySlot = new Map<string, number>();
    const { rows: sampleRows } = await client.query<{
      v: string;
      st: string;
      t: string;
      value: number | null;
      flag: number | null;
      manual: boolean;
    }>(
      `SELECT d.v, (extract(epoch from d.st) * 1000)::float8 AS st,
              (extract(epoch from s.ts) * 1000)::float8 AS t, s.value, s.flag,
              b.origin = 'manual' AS manual
       FROM unnest($1::uuid[], $2::timestamptz[]) AS d(v, st)
       JOIN samples s ON s.variable_id = d.v AND s.ts >= d.st AND s.ts < d.st + interval '10 minutes'
       JOIN ingest_batches b ON b.seq = s.batch_seq
       WHERE b.status = 'validated'`,
      args,
    );
    for (const r of sampleRows) {
      const key = `${r.v}|${Number(r.st)}`;
      let list = samplesBySlot.get(key);
      if (!list) samplesBySlot.set(key, (list = []));
      // Normalised here, as the validate stage did: the binding's unit to the canonical one.
      const { factor, offset } = conversion.get(r.v) ?? { factor: Number.NaN, offset: 0 };
      list.push({
        timestamp: Number(r.t),
        value: r.value === null ? Number.NaN : r.value * factor + offset,
        flag: r.flag ?? FLAG.G,
      });
      if (r.manual) manualBySlot.set(key, (manualBySlot.get(key) ?? 0) + 1);
    }
    const summariesBySlot = new Map<string, SlotSummary[]>();
    const { rows: summaryRows } = await client.query<{
      v: string;
      st: string;
      count: number;
      mean: number;
      min: number;
      max: number;
      ft: string;
      first_value: number;
      lt: string;
      last_value: number;
      worst_quality: SlotSummary['worstQuality'];
    }>(
      `SELECT d.v, (extract(epoch from d.st) * 1000)::float8 AS st, a.count, a.mean, a.min, a.max,
              (extract(epoch from a.first_ts) * 1000)::float8 AS ft, a.first_value,
              (extract(epoch from a.last_ts) * 1000)::float8 AS lt, a.last_value, a.worst_quality
       FROM unnest($1::uuid[], $2::timestamptz[]) AS d(v, st)
       JOIN connector_aggregates a ON a.variable_id = d.v AND a.slot_start = d.st`,
      args,
    );
    for (const r of summaryRows) {
      const key = `${r.v}|${Number(r.st)}`;
      const { factor, offset } = conversion.get(r.v) ?? { factor: 1, offset: 0 };
      const c = (x: number) => x * factor + offset;
      let list = summariesBySlot.get(key);
      if (!list) summariesBySlot.set(key, (list = []));
      list.push({
        count: r.count,
        mean: c(r.mean),
        min: c(r.min),
        max: c(r.max),
        firstTs: Number(r.ft),
        firstValue: c(r.first_value),
        lastTs: Number(r.lt),
        lastValue: c(r.last_value),
        worstQuality: r.worst_quality,
      });
    }
    // Totalizers: the reading before each target slot, and the slot after it whose delta
    // starts from this slot's last reading.
    const { rows: before } = await client.query<{ v: string; st: string; last: number }>(
      `SELECT DISTINCT ON (d.v, d.st) d.v, (extract(epoch from d.st) * 1000)::float8 AS st, s.last
       FROM unnest($1::uuid[], $2::timestamptz[]) AS d(v, st)
       JOIN slots s ON s.variable_id = d.v AND s.slot_start < d.st AND s.slot_start >= d.st - interval '1 day'
         AND s.last IS NOT NULL
       ORDER BY d.v, d.st, s.slot_start DESC`,
      args,
    );
    const previousLast = new Map(before.map((r) => [`${r.v}|${Number(r.st)}`, r.last]));
    const existing = await readSlotRows(client, targets);

    const toWrite: Array<{ target: Target; slot: SlotRow }> = [];
    const lastOf = new Map<string, { slotStart: number; last: number | null }>();
    for (const target of targets) {
      const key = `${target.variable}|${target.slotStart}`;
      const binding = bindings.get(target.variable)!;
      const definition = variableByCode(binding.code);
      const isCounter = definition?.kind === 'totalizer';
      const counter = isCounter
        ? binding.rolloverAt === null
          ? {}
          : { rolloverAt: binding.rolloverAt }
        : undefined;
      const slot = aggregateSlotWithSummaries(
        0,
        target.slotStart,
        samplesBySlot.get(key) ?? [],
        summariesBySlot.get(key) ?? [],
        binding.expectedPerSlot,
        counter,
      );
      if (isCounter && slot.first !== null) {
        // A target just before this one (same variable) wins over what was stored.
        const earlier = lastOf.get(target.variable);
        const previous =
          earlier && earlier.last !== null ? earlier.last : (previousLast.get(key) ?? null);
        let delta = slot.innerDelta ?? 0;
        let event = slot.counterEvent;
        if (previous !== null) {
          const boundary = counterDelta(previous, slot.first, counter?.rolloverAt);
          delta += boundary.delta;
          event = boundary.event ?? event;
        }
        slot.delta = delta;
        slot.counterEvent = event;
      } else if (isCounter) {
        slot.delta = slot.count === 0 ? null : 0;
      }
      if (slot.last !== null)
        lastOf.set(target.variable, { slotStart: target.slotStart, last: slot.last });
      const row: SlotRow = {
        count: slot.count,
        mean: slot.mean,
        min: slot.min,
        max: slot.max,
        first: slot.first,
        last: slot.last,
        completeness: slot.completeness,
        flag: slot.flag,
        delta: slot.delta,
        counterEvent: slot.counterEvent,
        innerDelta: slot.innerDelta,
        manualCount: manualBySlot.get(key) ?? 0,
        fromSummary: (summariesBySlot.get(key)?.length ?? 0) > 0,
      };
      const stored = existing.get(key);
      if (!stored || !same(stored, row)) toWrite.push({ target, slot: row });
    }
    // A changed counter slot moves the boundary delta of the next slot with readings.
    const counterTargets = toWrite.filter((w) => {
      const b = bindings.get(w.target.variable)!;
      return variableByCode(b.code)?.kind === 'totalizer' && w.slot.last !== null;
    });
    if (counterTargets.length > 0) {
      const targetKeys = new Set(targets.map((t) => `${t.variable}|${t.slotStart}`));
      const { rows: after } = await client.query<{
        v: string;
        start: string;
        first: number;
        inner_delta: number | null;
        count: number;
      }>(
        `SELECT DISTINCT ON (d.v, d.st) d.v, (extract(epoch from s.slot_start) * 1000)::float8 AS start,
                s.first, s.inner_delta, s.count
         FROM unnest($1::uuid[], $2::timestamptz[]) AS d(v, st)
         JOIN slots s ON s.variable_id = d.v AND s.slot_start > d.st AND s.slot_start <= d.st + interval '1 day'
           AND s.first IS NOT NULL
         ORDER BY d.v, d.st, s.slot_start`,
        targetsArgs(counterTargets.map((w) => w.target)),
      );
      const lastByKey = new Map(
        counterTargets.map((w) => [`${w.target.variable}|${w.target.slotStart}`, w.slot.last!]),
      );
      for (const r of after) {
        const nextKey = `${r.v}|${Number(r.start)}`;
        if (targetKeys.has(nextKey)) continue; // recomputed above already
        const from = counterTargets.find(
          (w) => w.target.variable === r.v && w.target.slotStart < Number(r.start),
        );
        if (!from) continue;
        const last = lastByKey.get(`${from.target.variable}|${from.target.slotStart}`)!;
        const binding = bindings.get(r.v)!;
        const boundary = counterDelta(last, r.first, binding.rolloverAt ?? undefined);
        await client.query(
          `UPDATE slots SET delta = $3, counter_event = coalesce($4, counter_event),
             revision = revision + 1, computed_at = now()
           WHERE variable_id = $1 AND slot_start = to_timestamp($2 / 1000.0) AND delta IS DISTINCT FROM $3`,
          [r.v, Number(r.start), (r.inner_delta ?? 0) + boundary.delta, boundary.event],
        );
      }
    }
    await writeSlots(client, toWrite);
    outcome.changed = toWrite.length;
    const days = [...new Set(toWrite.map((w) => bogotaDayOf(w.target.slotStart)))].sort();
    outcome.days = days;
    if (days.length > 0) {
      const counts = days.map(
        (day) => toWrite.filter((w) => bogotaDayOf(w.target.slotStart) === day).length,
      );
      const { rows: amended } = await client.query<{ day: string }>(
        `UPDATE report_days r SET needs_amendment = true, late_slots = r.late_slots + u.n,
           last_late_at = now()
         FROM unnest($1::date[], $2::int[]) AS u(d, n)
         WHERE r.day = u.d AND r.generated_at IS NOT NULL
         RETURNING to_char(r.day, 'YYYY-MM-DD') AS day`,
        [days, counts],
      );
      outcome.amendments = amended.map((r) => r.day).sort();
    }
    return outcome;
  });
}
