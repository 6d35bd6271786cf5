import { z } from 'zod';
import { tenantTables, type Database } from '@anh/db';
import { variableByCode } from '@anh/domain/catalog';
import { createTRPCRouter, tenantProcedure } from '../init';

/** Raw readings are looked up this far back (beyond it, the last closed slot). */
const LAST_SAMPLE_DAYS = 62;

/** A variable's last value: the last raw reading, in the unit it arrives in; else the last closed slot. */
export interface LastValue {
  value: number | null;
  /** Epoch ms of the reading (a slot: its end). */
  at: number;
  unit: string;
  source: 'sample' | 'slot';
}

export interface FieldVariable {
  id: string;
  code: string;
  /** The catalog's name, Spanish and English (the code when the catalog lacks it). */
  name: { es: string; en: string };
  /** The unit readings are entered and stored in (the binding's). */
  unit: string;
  last: LastValue | null;
}

export interface FieldPointState {
  variables: FieldVariable[];
  /** Last `well_status` (1 open, 0 shut); null when the point does not measure it. */
  open: number | null;
  /** Newest reading over its variables (epoch ms), null when none. */
  lastDataAt: number | null;
  /** Open alerts that name this point, and the worst of their severities. */
  openAlerts: number;
  worstSeverity: 'critical' | 'warning' | 'info' | null;
}

const SEVERITY_ORDER = ['critical', 'warning', 'info'] as const;

export const fieldRouter = createTRPCRouter({
  /**
   * Sites of the tenant with their measurement points and how many variables each has.
   * With `last: true` (the field operators' phone page), each point also carries its
   * variables with their last value and its age, the well's open/shut status and its open
   * alerts: one round of lateral index probes, no dashboard aggregation.
   */
  overview: tenantProcedure('field.overview')
    .input(z.object({ last: z.boolean().optional() }))
    .query(async ({ ctx, input }) => {
      const { sites, points, variables } = await ctx.withTenant(async (tx) => ({
        sites: await tx.select().from(tenantTables.sites).orderBy(tenantTables.sites.code),
        points: await tx
          .select()
          .from(tenantTables.measurementPoints)
          .orderBy(tenantTables.measurementPoints.code),
        variables: await tx
          .select({
            id: tenantTables.variables.id,
            pointId: tenantTables.variables.pointId,
            code: tenantTables.variables.code,
            unit: tenantTables.variables.unit,
          })
          .from(tenantTables.variables)
          .orderBy(tenantTables.variables.code),
      }));
      const variableCount = new Map<string, number>();
      for (const v of variables)
        variableCount.set(v.pointId, (variableCount.get(v.pointId) ?? 0) + 1);
      const states = input.last ? await pointStates(ctx.db, ctx.tenant.id, variables) : null;
      return {
        tenant: { slug: ctx.tenant.slug, legalName: ctx.tenant.legalName, role: ctx.tenant.role },
        asOf: Date.now(),
        sites: sites.map((site) => ({
          id: site.id,
          code: site.code,
          name: site.name,
          fieldName: site.fieldName,
          points: points
            .filter((p) => p.siteId === site.id)
            .map((p) => ({
              id: p.id,
              code: p.code,
              name: p.name,
              kind: p.kind,
              variables: variableCount.get(p.id) ?? 0,
              ...(states ? { state: states(p.id, p.code, site.id) } : {}),
            })),
        })),
      };
    }),
});

async function pointStates(
  db: Database,
  tenantId: string,
  variables: Array<{ id: string; pointId: string; code: string; unit: string }>,
) {
  const { last, alerts } = await db.withTenantClient(tenantId, async (client) => ({
    last: (
      await client.query<{
        id: string;
        ts_ms: number | null;
        value: number | null;
        slot_end_ms: number | null;
        slot_mean: number | null;
      }>(
        // As the point page reads it (series.point): one backwards index probe per
        // variable on samples, and on slots only where no raw reading is left.
        `SELECT v.id, (extract(epoch from s.ts) * 1000)::float8 AS ts_ms, s.value,
                (extract(epoch from sl.slot_start + interval '10 minutes') * 1000)::float8 AS slot_end_ms,
                sl.mean AS slot_mean
           FROM unnest($1::uuid[]) AS v(id)
           LEFT JOIN LATERAL (
             SELECT ts, value FROM samples
              WHERE variable_id = v.id AND ts > now() - make_interval(days => $2) AND ts <= now() + interval '1 day'
              ORDER BY ts DESC LIMIT 1) s ON true
           LEFT JOIN LATERAL (
             SELECT slot_start, mean FROM slots
              WHERE variable_id = v.id AND slot_start > now() - make_interval(days => $2)
                AND slot_start <= now() - interval '10 minutes' AND mean IS NOT NULL
              ORDER BY slot_start DESC LIMIT 1) sl ON s.ts IS NULL`,
        [variables.map((v) => v.id), LAST_SAMPLE_DAYS],
      )
    ).rows,
    alerts: (
      await client.query<{ point: string; site_id: string | null; severity: string; n: number }>(
        `SELECT data->>'point' AS point, site_id, severity, count(*)::int AS n
           FROM alerts WHERE resolved_at IS NULL AND data->>'point' IS NOT NULL
          GROUP BY 1, 2, 3`,
      )
    ).rows,
  }));
  const lastOf = new Map(last.map((r) => [r.id, r]));
  const byPoint = new Map<string, FieldVariable[]>();
  for (const v of variables) {
    const row = lastOf.get(v.id);
    let lastValue: LastValue | null = null;
    if (row?.ts_ms != null)
      lastValue = { value: row.value, at: Number(row.ts_ms), unit: v.unit, source: 'sample' };
    else if (row?.slot_end_ms != null)
      // Slots are in the catalog's canonical unit, not the binding's.
      lastValue = {
        value: row.slot_mean,
        at: Number(row.slot_end_ms),
        unit: variableByCode(v.code)?.canonicalUnit ?? v.unit,
        source: 'slot',
      };
    const list = byPoint.get(v.pointId) ?? [];
    const definition = variableByCode(v.code);
    list.push({
      id: v.id,
      code: v.code,
      name: definition?.name ?? { es: v.code, en: v.code },
      unit: v.unit,
      last: lastValue,
    });
    byPoint.set(v.pointId, list);
  }
  return (pointId: string, pointCode: string, siteId: string): FieldPointState => {
    const vars = byPoint.get(pointId) ?? [];
    const status = vars.find((v) => v.code === 'well_status');
    // Alerts name their point by code (detect stage); the site tells same codes apart.
    const mine = alerts.filter(
      (a) => a.point === pointCode && (a.site_id === null || a.site_id === siteId),
    );
    const worst = SEVERITY_ORDER.find((s) => mine.some((a) => a.severity === s)) ?? null;
    return {
      variables: vars,
      open: status ? (status.last?.value ?? null) : null,
      lastDataAt: vars.reduce<number | null>(
        (newest, v) => (v.last && v.last.at > (newest ?? -Infinity) ? v.last.at : newest),
        null,
      ),
      openAlerts: mine.reduce((n, a) => n + a.n, 0),
      worstSeverity: worst,
    };
  };
}
