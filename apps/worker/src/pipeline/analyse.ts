import type { Database } from '@anh/db';
import { loadBindings } from '@anh/db/telemetry';
import { SLOT_MS, SLOTS_PER_DAY } from '@anh/domain/bogota-day';
import type { SlotAggregate } from '@anh/domain/aggregation';
import { evaluateDayRules, type FieldDay, type PointDay } from '@anh/domain/day-rules';
import { variableByCode } from '@anh/domain/catalog';
import { dayBounds } from './aggregate';

/**
 * Stage 3 (analyse): the day rules (completeness, physics, balances, totalizer against
 * integrated rate…) over a Bogotá day's stored slots. The day's outcomes are replaced as a
 * whole, so running it again gives the same rows. Anomaly models join here (issue 8).
 */
export interface AnalyseOutcome {
  day: string;
  rules: number;
  violations: number;
  notEvaluated: number;
}

function emptySlot(slot: number): SlotAggregate {
  return {
    slot,
    count: 0,
    mean: null,
    min: null,
    max: null,
    first: null,
    last: null,
    completeness: 0,
    flag: 'M',
    delta: null,
    counterEvent: null,
    innerDelta: null,
  };
}

export async function runAnalyseStage(
  db: Database,
  tenantId: string,
  day: string,
): Promise<AnalyseOutcome> {
  const { start, end } = dayBounds(day);
  return db.withTenantClient(tenantId, async (client) => {
    await client.query(`SELECT 1 FROM pipeline_stages WHERE stage = 'analyse' FOR UPDATE`);
    const bindings = await loadBindings(client);
    const { rows } = await client.query<{
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
    }>(
      `SELECT variable_id, (extract(epoch from slot_start) * 1000)::float8 AS start, count, mean,
              min, max, first, last, completeness, flag, delta, counter_event, inner_delta
       FROM slots WHERE slot_start >= $1 AND slot_start < $2`,
      [new Date(start).toISOString(), new Date(end).toISOString()],
    );
    const slotsOf = new Map<string, SlotAggregate[]>();
    for (const r of rows) {
      let slots = slotsOf.get(r.variable_id);
      if (!slots)
        slotsOf.set(
          r.variable_id,
          (slots = Array.from({ length: SLOTS_PER_DAY }, (_, k) => emptySlot(k))),
        );
      const k = Math.floor((Number(r.start) - start) / SLOT_MS);
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
    const points = new Map<string, PointDay>();
    for (const b of bindings) {
      let point = points.get(b.pointCode);
      if (!point)
        points.set(
          b.pointCode,
          (point = { code: b.pointCode, name: b.pointName, kind: b.pointKind, variables: [] }),
        );
      const slots =
        slotsOf.get(b.id) ?? Array.from({ length: SLOTS_PER_DAY }, (_, k) => emptySlot(k));
      const isCounter = variableByCode(b.code)?.kind === 'totalizer';
      point.variables.push({
        code: b.code,
        aggregation: {
          day,
          slots,
          rejected: [],
          total: isCounter ? slots.reduce((sum, s) => sum + (s.delta ?? 0), 0) : null,
        },
      });
    }
    const field: FieldDay = { day, points: [...points.values()] };
    const outcomes = evaluateDayRules(field);
    await client.query('DELETE FROM day_rule_results WHERE day = $1', [day]);
    // One row per rule and subject (point/variable); several outcomes of one rule on one
    // subject (per-slot rules) are kept together in the detail.
    const grouped = new Map<
      string,
      { ruleId: string; subject: string; status: string; detail: unknown[] }
    >();
    const rank = { ok: 0, not_evaluated: 1, violation: 2 } as const;
    for (const o of outcomes) {
      const subject = [o.point, o.variable].filter(Boolean).join('/') || '*';
      const key = `${o.ruleId}|${subject}`;
      const entry = grouped.get(key);
      if (!entry) grouped.set(key, { ruleId: o.ruleId, subject, status: o.status, detail: [o] });
      else {
        entry.detail.push(o);
        if (rank[o.status] > rank[entry.status as keyof typeof rank]) entry.status = o.status;
      }
    }
    const list = [...grouped.values()];
    await client.query(
      `INSERT INTO day_rule_results (day, rule_id, subject, status, detail)
       SELECT $1, r, s, st, d FROM unnest($2::text[], $3::text[], $4::text[], $5::jsonb[]) AS u(r, s, st, d)`,
      [
        day,
        list.map((g) => g.ruleId),
        list.map((g) => g.subject),
        list.map((g) => g.status),
        list.map((g) => JSON.stringify(g.detail)),
      ],
    );
    return {
      day,
      rules: list.length,
      violations: list.filter((g) => g.status === 'violation').length,
      notEvaluated: list.filter((g) => g.status === 'not_evaluated').length,
    };
  });
}
