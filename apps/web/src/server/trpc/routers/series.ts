import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { controlTables, type Database } from '@anh/db';
import {
  correctionHistory,
  correctSlotValue,
  loadSeriesVariable,
  readRawSamples,
  readSeriesSlots,
  revertCorrection,
  slotGrid,
  type SeriesSlot,
  type SeriesVariable,
} from '@anh/db/corrections';
import { BOGOTA_OFFSET_MS, SLOT_MS } from '@anh/domain/bogota-day';
import {
  CORRECTION_METHODS,
  CORRECTION_METHOD_LABELS,
  DAY_MS,
  MAX_REASON_LENGTH,
  MIN_REASON_LENGTH,
  type CorrectionMethod,
} from '@anh/domain/corrections';
import { variableByCode, type VariableDefinition } from '@anh/domain/catalog';
import { AppError } from '@anh/domain/errors';
import {
  QUALITY_FLAGS,
  RULE_FAMILIES,
  RULES,
  ruleIndex,
  type QualityFlag,
} from '@anh/domain/rules';
import { UNITS } from '@anh/domain/units';
import { invalidateDashboards } from '~/server/dashboard/service';
import { createTRPCRouter, tenantProcedure } from '../init';

/**
 * A measurement point's series for people: its variables with their last value, trends
 * (10-minute slots, or hour/day buckets over long ranges) with flags, corrections and
 * anomalies, raw samples, the evidence behind a flag, and engineers' corrections
 * (substitution or estimate, with method and reason; audited; see packages/db/src/corrections.ts).
 */

/** Longest range of one slots request (and of an export of slots). */
export const MAX_SLOT_RANGE_DAYS = 92;
/** Longest range of one raw request, and most samples it returns. */
export const MAX_RAW_RANGE_MS = 24 * 3600_000;
export const MAX_RAW_ROWS = 20_000;
/** Up to this span slots are returned as they are; beyond, hour buckets, then day buckets. */
const SLOT_RESOLUTION_UNTIL_MS = 7 * DAY_MS;
const HOUR_RESOLUTION_UNTIL_MS = 42 * DAY_MS;

export type Resolution = '10min' | 'hour' | 'day';

/** An instant as ISO 8601 with its offset, within years PostgreSQL and people both handle. */
export const instantSchema = z.iso.datetime({ offset: true }).refine(
  (value) => {
    const year = new Date(value).getUTCFullYear();
    return year >= 2000 && year <= 2100;
  },
  { message: 'Fecha fuera de rango / date out of range' },
);

const rangeMessage = (max: string) =>
  `El rango debe ir de «desde» a «hasta» y durar como máximo ${max} / the range must run from «from» to «to» and last at most ${max}`;

/** from < to, at most `maxMs` apart. */
export function rangeOf(from: string, to: string, maxMs: number, max: string) {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  if (!(toMs > fromMs) || toMs - fromMs > maxMs)
    throw new AppError('VALIDATION', rangeMessage(max));
  return { fromMs, toMs };
}

export const slotRangeOf = (from: string, to: string) =>
  rangeOf(from, to, MAX_SLOT_RANGE_DAYS * DAY_MS, `${MAX_SLOT_RANGE_DAYS} días / days`);

export function resolutionFor(spanMs: number): Resolution {
  if (spanMs <= SLOT_RESOLUTION_UNTIL_MS) return '10min';
  return spanMs <= HOUR_RESOLUTION_UNTIL_MS ? 'hour' : 'day';
}

/** Start of the bucket (Bogotá hour or day) that an instant is in. */
export function bucketStart(ms: number, resolution: Resolution): number {
  if (resolution === '10min') return Math.floor(ms / SLOT_MS) * SLOT_MS;
  if (resolution === 'hour') return Math.floor(ms / 3600_000) * 3600_000;
  return Math.floor((ms + BOGOTA_OFFSET_MS) / DAY_MS) * DAY_MS - BOGOTA_OFFSET_MS;
}

const flagRank = (flag: QualityFlag) => QUALITY_FLAGS.indexOf(flag);

export interface CorrectionSummary {
  id: string;
  method: CorrectionMethod;
  value: number;
  reason: string;
  userId: string;
  createdAt: Date;
}

/** One point of a trend: a 10-minute slot, or an hour or day of them. */
export interface TrendPoint {
  start: number;
  end: number;
  /** As in force: the mean (a totalizer's increase), corrected where corrected. */
  value: number | null;
  min: number | null;
  max: number | null;
  completeness: number;
  /** Worst flag of its slots. */
  flag: QualityFlag;
  slots: number;
  /** How many of its slots are corrected. */
  corrected: number;
  /** The measured value, where something in it was corrected (else null). */
  original: number | null;
  originalFlag: QualityFlag | null;
  /** The correction in force (10-minute points only). */
  correction: CorrectionSummary | null;
}

const valueOf = (s: Pick<SeriesSlot, 'mean' | 'delta'>, totalizer: boolean) =>
  totalizer ? s.delta : s.mean;

/**
 * Slots into trend points: 10-minute points as they are, or hour/day buckets (the mean of
 * the slots' means, min of mins, max of maxes; a totalizer's increases added up).
 */
export function toTrend(
  slots: readonly SeriesSlot[],
  resolution: Resolution,
  totalizer: boolean,
): TrendPoint[] {
  const buckets = new Map<number, SeriesSlot[]>();
  for (const slot of slots) {
    const key = bucketStart(slot.start, resolution);
    let list = buckets.get(key);
    if (!list) buckets.set(key, (list = []));
    list.push(slot);
  }
  const span = resolution === '10min' ? SLOT_MS : resolution === 'hour' ? 3600_000 : DAY_MS;
  return [...buckets.entries()].map(([start, list]) => {
    const measured = (s: SeriesSlot) => (s.original ? { ...s, ...s.original } : s);
    const combine = (items: ReadonlyArray<Pick<SeriesSlot, 'mean' | 'delta'>>) => {
      const values = items.map((s) => valueOf(s, totalizer)).filter((v): v is number => v !== null);
      if (values.length === 0) return null;
      const sum = values.reduce((a, b) => a + b, 0);
      return totalizer ? sum : sum / values.length;
    };
    const mins = list.map((s) => s.min).filter((v): v is number => v !== null);
    const maxs = list.map((s) => s.max).filter((v): v is number => v !== null);
    const corrected = list.filter((s) => s.correction !== null).length;
    const worst = (flags: QualityFlag[]) =>
      flags.reduce<QualityFlag>((w, f) => (flagRank(f) > flagRank(w) ? f : w), 'G');
    const only = list.length === 1 ? list[0]! : null;
    return {
      start,
      end: start + span,
      value: combine(list),
      min: mins.length ? Math.min(...mins) : null,
      max: maxs.length ? Math.max(...maxs) : null,
      completeness: list.reduce((a, s) => a + s.completeness, 0) / list.length,
      flag: worst(list.map((s) => s.flag)),
      slots: list.length,
      corrected,
      original: corrected > 0 ? combine(list.map(measured)) : null,
      originalFlag: corrected > 0 ? worst(list.map((s) => measured(s).flag)) : null,
      correction: resolution === '10min' && only?.correction ? only.correction : null,
    };
  });
}

function variableView(variable: SeriesVariable) {
  const d = variable.definition;
  return {
    id: variable.id,
    code: variable.code,
    name: d.name,
    kind: d.kind,
    unit: d.canonicalUnit,
    unitLabel: UNITS[d.canonicalUnit].label,
    inputUnit: variable.inputUnit,
    physicalRange: d.physicalRange,
    pointId: variable.pointId,
    pointCode: variable.pointCode,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Names (or e-mails) of the tenant's members among `userIds`; anyone else is left out. */
async function memberNames(db: Database, tenantId: string, userIds: readonly string[]) {
  const ids = [...new Set(userIds.filter((id) => UUID.test(id)))];
  if (ids.length === 0) return {} as Record<string, string>;
  const { users, memberships } = controlTables;
  const rows = await db.control
    .select({ id: users.id, name: users.name, email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.tenantId, tenantId), inArray(memberships.userId, ids)));
  return Object.fromEntries(rows.map((r) => [r.id, r.name ?? r.email])) as Record<string, string>;
}

interface AnomalyRow {
  id: string;
  detector: string;
  slotStart: Date;
  score: number;
  threshold: number;
  modelVersion: number;
  evidence: unknown;
  variableId: string | null;
  verdict: string | null;
}

async function anomaliesIn(
  client: Parameters<typeof readSeriesSlots>[0],
  variable: SeriesVariable,
  fromMs: number,
  toMs: number,
) {
  const { rows } = await client.query<AnomalyRow>(
    `SELECT a.id, a.detector, a.slot_start AS "slotStart", a.score, a.threshold,
            a.model_version AS "modelVersion", a.evidence, a.variable_id AS "variableId", f.verdict
       FROM anomalies a LEFT JOIN anomaly_feedback f ON f.anomaly_id = a.id
      WHERE a.point_id = $1 AND (a.variable_id IS NULL OR a.variable_id = $2)
        AND a.slot_start >= $3 AND a.slot_start < $4
      ORDER BY a.slot_start, a.detector LIMIT 1000`,
    [variable.pointId, variable.id, new Date(fromMs).toISOString(), new Date(toMs).toISOString()],
  );
  return rows.map((r) => ({ ...r, slotStart: r.slotStart.getTime() }));
}

function formatEvidence(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
}

/** A validation rule's message in both languages, filled from the stored evidence. */
function ruleMessage(
  ruleId: string,
  definition: VariableDefinition,
  value: number | null,
  value2: number | null,
  stored: string,
) {
  let rule;
  try {
    rule = RULES[ruleIndex(ruleId)]!;
  } catch {
    return { rule: null, message: { es: stored, en: stored } };
  }
  const render = (locale: 'es' | 'en') => {
    const v = value ?? Number.NaN;
    const v2 = value2 ?? Number.NaN;
    const replacements: Record<string, string> = {
      variable: definition.name[locale],
      point: '',
      value: formatEvidence(v),
      value2: formatEvidence(v2),
      unit: UNITS[definition.canonicalUnit].label,
      min: formatEvidence(
        rule.check === 'typical' ? definition.typicalRange[0] : definition.physicalRange[0],
      ),
      max: formatEvidence(
        rule.check === 'typical'
          ? definition.typicalRange[1]
          : rule.check === 'rate_of_change'
            ? (definition.maxRatePerMinute ?? Number.NaN)
            : rule.check === 'totalizer_rollover'
              ? v2
              : definition.physicalRange[1],
      ),
    };
    return rule.message[locale].replace(
      /\{(\w+)\}/g,
      (_, key: string) => replacements[key] ?? `{${key}}`,
    );
  };
  return { rule, message: { es: render('es'), en: render('en') } };
}

const correctionInput = z.object({
  variableId: z.uuid(),
  slotStart: instantSchema,
  method: z.enum(CORRECTION_METHODS),
  /** Substitutions: the value in the catalog's canonical unit. */
  value: z.number().finite().nullish(),
  reason: z
    .string()
    .trim()
    .min(MIN_REASON_LENGTH, {
      message: `La razón debe tener al menos ${MIN_REASON_LENGTH} caracteres / the reason needs at least ${MIN_REASON_LENGTH} characters`,
    })
    .max(MAX_REASON_LENGTH),
});

export const seriesRouter = createTRPCRouter({
  /** The point, its site, its variables with their last reading and its age. */
  point: tenantProcedure('series.point')
    .input(z.object({ pointId: z.uuid() }))
    .query(({ ctx, input }) =>
      ctx.db.withTenantClient(ctx.tenant.id, async (client) => {
        const { rows: points } = await client.query<{
          id: string;
          code: string;
          name: string;
          kind: string;
          site_id: string;
          site_code: string;
          site_name: string;
          field_name: string;
        }>(
          `SELECT p.id, p.code, p.name, p.kind, s.id AS site_id, s.code AS site_code,
                  s.name AS site_name, s.field_name
             FROM measurement_points p JOIN sites s ON s.id = p.site_id WHERE p.id = $1`,
          [input.pointId],
        );
        const point = points[0];
        if (!point) throw new AppError('NOT_FOUND', 'Punto no encontrado / point not found');
        const { rows: variableRows } = await client.query<{ id: string; code: string }>(
          `SELECT id, code FROM variables WHERE point_id = $1 ORDER BY code`,
          [point.id],
        );
        const known = variableRows.filter((v) => variableByCode(v.code));
        const { rows: last } = await client.query<{
          id: string;
          ts: Date | null;
          value: number | null;
          flag: number | null;
          source_status: number | null;
          slot_end: Date | null;
          slot_mean: number | null;
          slot_flag: QualityFlag | null;
        }>(
          // The last raw sample; failing that (data that arrived as the connector's own
          // 10-minute aggregates, or samples past retention), the last closed slot.
          `SELECT v.id, s.ts, s.value, s.flag, s.source_status,
                  sl.slot_start + interval '10 minutes' AS slot_end, sl.mean AS slot_mean, sl.flag AS slot_flag
             FROM unnest($1::uuid[]) AS v(id)
             LEFT JOIN LATERAL (
               SELECT ts, value, flag, source_status FROM samples
                WHERE variable_id = v.id AND ts > now() - interval '62 days' AND ts <= now() + interval '1 day'
                ORDER BY ts DESC LIMIT 1) s ON true
             LEFT JOIN LATERAL (
               SELECT slot_start, mean, flag FROM slots
                WHERE variable_id = v.id AND slot_start > now() - interval '62 days'
                  AND slot_start <= now() - interval '10 minutes' AND mean IS NOT NULL
                ORDER BY slot_start DESC LIMIT 1) sl ON s.ts IS NULL`,
          [known.map((v) => v.id)],
        );
        const lastOf = new Map(last.map((r) => [r.id, r]));
        const nowMs = Date.now();
        const variables = [];
        for (const row of known) {
          const variable = await loadSeriesVariable(client, row.id);
          const sample = lastOf.get(row.id);
          const converted =
            sample?.value === null || sample?.value === undefined
              ? null
              : sample.value * variable.factor + variable.offset;
          const slotEnd = sample?.slot_end ?? null;
          variables.push({
            ...variableView(variable),
            last: sample?.ts
              ? {
                  at: sample.ts.getTime(),
                  value: converted === null || Number.isNaN(converted) ? null : converted,
                  flag: sample.flag === null ? 'G' : (QUALITY_FLAGS[sample.flag] ?? 'B'),
                  ageSeconds: Math.max(0, Math.round((nowMs - sample.ts.getTime()) / 1000)),
                }
              : slotEnd && sample?.slot_mean != null
                ? {
                    at: slotEnd.getTime(),
                    value: sample.slot_mean,
                    flag: sample.slot_flag ?? 'G',
                    ageSeconds: Math.max(0, Math.round((nowMs - slotEnd.getTime()) / 1000)),
                  }
                : null,
          });
        }
        return {
          point: { id: point.id, code: point.code, name: point.name, kind: point.kind },
          site: {
            id: point.site_id,
            code: point.site_code,
            name: point.site_name,
            fieldName: point.field_name,
          },
          variables,
        };
      }),
    ),

  /** A variable's trend in a range (≤ 92 days), with flags, corrections, anomalies, counts. */
  slots: tenantProcedure('series.slots')
    .input(z.object({ variableId: z.uuid(), from: instantSchema, to: instantSchema }))
    .query(({ ctx, input }) =>
      ctx.db.withTenantClient(ctx.tenant.id, async (client) => {
        const variable = await loadSeriesVariable(client, input.variableId);
        const { fromMs, toMs } = slotRangeOf(input.from, input.to);
        const nowMs = Date.now();
        const grid = slotGrid(fromMs, toMs, nowMs);
        const slots = (await readSeriesSlots(client, [variable], fromMs, toMs, nowMs)).get(
          variable.id,
        )!;
        const resolution = resolutionFor(grid.to - grid.from);
        const counts = Object.fromEntries(QUALITY_FLAGS.map((f) => [f, 0])) as Record<
          QualityFlag,
          number
        >;
        for (const s of slots) counts[s.flag]++;
        return {
          variable: variableView(variable),
          from: grid.from,
          to: grid.to,
          resolution,
          points: toTrend(slots, resolution, variable.kind === 'totalizer'),
          counts,
          corrected: slots.filter((s) => s.correction !== null).length,
          anomalies: await anomaliesIn(client, variable, grid.from, grid.to),
        };
      }),
    ),

  /** Raw samples as received (≤ 24 h, ≤ 20 000), canonical and as sent, with verdicts. */
  raw: tenantProcedure('series.raw')
    .input(z.object({ variableId: z.uuid(), from: instantSchema, to: instantSchema }))
    .query(({ ctx, input }) =>
      ctx.db.withTenantClient(ctx.tenant.id, async (client) => {
        const variable = await loadSeriesVariable(client, input.variableId);
        const { fromMs, toMs } = rangeOf(input.from, input.to, MAX_RAW_RANGE_MS, '24 h');
        const { samples, truncated } = await readRawSamples(
          client,
          [variable],
          fromMs,
          toMs,
          MAX_RAW_ROWS,
        );
        return {
          variable: variableView(variable),
          from: fromMs,
          to: toMs,
          samples: samples.get(variable.id)!,
          truncated,
          limit: MAX_RAW_ROWS,
        };
      }),
    ),

  /** Why a slot has its flag: the rules that fired on its samples, its counts, its corrections. */
  evidence: tenantProcedure('series.evidence')
    .input(z.object({ variableId: z.uuid(), slotStart: instantSchema }))
    .query(async ({ ctx, input }) => {
      const found = await ctx.db.withTenantClient(ctx.tenant.id, async (client) => {
        const variable = await loadSeriesVariable(client, input.variableId);
        const start = bucketStart(Date.parse(input.slotStart), '10min');
        const end = start + SLOT_MS;
        const [slot] = (await readSeriesSlots(client, [variable], start, end, end)).get(
          variable.id,
        )!;
        const { rows: events } = await client.query<{
          ts: Date;
          rule_id: string;
          severity: string;
          value: number | null;
          value2: number | null;
          message: string;
        }>(
          `SELECT ts, rule_id, severity, value, value2, message FROM validation_events
            WHERE variable_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts, rule_id LIMIT 1000`,
          [variable.id, new Date(start).toISOString(), new Date(end).toISOString()],
        );
        const { rows: counts } = await client.query<{
          flag: number | null;
          source_status: number;
          validated: boolean | null;
          manual: boolean | null;
          n: string;
        }>(
          `SELECT s.flag, s.source_status, b.status = 'validated' AS validated,
                  b.origin = 'manual' AS manual, count(*) AS n
             FROM samples s LEFT JOIN ingest_batches b ON b.seq = s.batch_seq
            WHERE s.variable_id = $1 AND s.ts >= $2 AND s.ts < $3
            GROUP BY 1, 2, 3, 4`,
          [variable.id, new Date(start).toISOString(), new Date(end).toISOString()],
        );
        const byFlag = { G: 0, S: 0, E: 0, B: 0, M: 0, pending: 0 };
        const bySource = { good: 0, uncertain: 0, bad: 0 };
        let total = 0;
        let manual = 0;
        for (const c of counts) {
          const n = Number(c.n);
          total += n;
          if (c.manual) manual += n;
          bySource[(['good', 'uncertain', 'bad'] as const)[c.source_status] ?? 'bad'] += n;
          if (c.flag !== null) byFlag[QUALITY_FLAGS[c.flag] ?? 'B'] += n;
          else if (c.validated === false) byFlag.pending += n;
          else byFlag.G += n;
        }
        return {
          variable,
          slot: slot!,
          start,
          events: events.map((e) => {
            const { rule, message } = ruleMessage(
              e.rule_id,
              variable.definition,
              e.value,
              e.value2,
              e.message,
            );
            return {
              ts: e.ts.getTime(),
              ruleId: e.rule_id,
              severity: e.severity,
              family: rule ? RULE_FAMILIES[rule.family] : null,
              flag: rule?.flag ?? null,
              message,
              value: e.value,
              value2: e.value2,
            };
          }),
          samples: { total, manual, byFlag, bySource },
          anomalies: await anomaliesIn(client, variable, start, end),
          corrections: await correctionHistory(client, variable.id, start),
        };
      });
      const names = await memberNames(
        ctx.db,
        ctx.tenant.id,
        found.corrections.flatMap((c) => [c.userId, c.revertedBy ?? '']),
      );
      const totalizer = found.variable.kind === 'totalizer';
      return {
        variable: variableView(found.variable),
        slotStart: found.start,
        slotEnd: found.start + SLOT_MS,
        slot: {
          stored: found.slot.stored,
          count: found.slot.count,
          completeness: found.slot.completeness,
          flag: found.slot.flag,
          value: valueOf(found.slot, totalizer),
          mean: found.slot.mean,
          min: found.slot.min,
          max: found.slot.max,
          delta: found.slot.delta,
          manualCount: found.slot.manualCount,
          original: found.slot.original,
          correction: found.slot.correction,
        },
        events: found.events,
        samples: found.samples,
        anomalies: found.anomalies,
        corrections: found.corrections.map((c) => ({
          ...c,
          methodLabel: CORRECTION_METHOD_LABELS[c.method],
          userName: names[c.userId] ?? null,
          revertedByName: c.revertedBy ? (names[c.revertedBy] ?? null) : null,
          active: c.supersededAt === null,
        })),
      };
    }),

  /**
   * Substitutes or estimates a slot (engineers and admins), with a reason; audited with
   * before/after. The slot's day, read by the report (loadFieldDay), carries it at once; a
   * report already generated for that day is marked as needing an amendment.
   */
  correct: tenantProcedure('series.correct')
    .input(correctionInput)
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.db.withTenantClient(ctx.tenant.id, async (client) => {
        const outcome = await correctSlotValue(client, {
          variableId: input.variableId,
          slotStart: Date.parse(input.slotStart),
          method: input.method,
          value: input.value ?? null,
          reason: input.reason,
          userId: ctx.userId,
          nowMs: Date.now(),
        });
        return {
          correctionId: outcome.correction.id,
          value: outcome.correction.value,
          basis: outcome.correction.basis,
          before: outcome.before,
          after: outcome.after,
          amendmentDue: outcome.amendmentDue,
        };
      });
      // After the commit: the next dashboard read recomputes, with the correction.
      invalidateDashboards(ctx.tenant.id);
      return result;
    }),

  /** Ends a correction in force (the slot shows what was measured again); audited. */
  revertCorrection: tenantProcedure('series.revertCorrection')
    .input(
      z.object({
        correctionId: z.uuid(),
        reason: z.string().trim().min(MIN_REASON_LENGTH).max(MAX_REASON_LENGTH),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.db.withTenantClient(ctx.tenant.id, async (client) => {
        const outcome = await revertCorrection(client, {
          correctionId: input.correctionId,
          reason: input.reason,
          userId: ctx.userId,
          nowMs: Date.now(),
        });
        return {
          correctionId: outcome.correction.id,
          before: outcome.before,
          after: outcome.after,
          amendmentDue: outcome.amendmentDue,
        };
      });
      // After the commit: the next dashboard read recomputes, with the correction.
      invalidateDashboards(ctx.tenant.id);
      return result;
    }),
});
