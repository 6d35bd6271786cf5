import type { Database } from '@anh/db';
import { loadFieldDay } from '@anh/db/telemetry';
import { evaluateDayRules } from '@anh/domain/day-rules';

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

export async function runAnalyseStage(
  db: Database,
  tenantId: string,
  day: string,
): Promise<AnalyseOutcome> {
  return db.withTenantClient(tenantId, async (client) => {
    await client.query(`SELECT 1 FROM pipeline_stages WHERE stage = 'analyse' FOR UPDATE`);
    const field = await loadFieldDay(client, day);
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
