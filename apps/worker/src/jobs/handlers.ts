import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import {
  anchorTenantAudit,
  controlTables,
  verifyControlAudit,
  verifyTenantAudit,
  type Database,
} from '@anh/db';
import type { AuditProblem } from '@anh/domain/audit';
import type { Logger } from '../log';
import type { JOBS, JobName } from './catalog';
import { wakeAggregate, wakeAnalyse, wakeDetect, wakeValidate, type Queues } from '../queues';
import { runValidateStage } from '../pipeline/validate';
import { runAggregateStage } from '../pipeline/aggregate';
import { runAnalyseStage } from '../pipeline/analyse';
import { runDetectStage } from '../pipeline/detect';
import { maintainPartitions } from '../pipeline/storage';
import { buildDayReports, raiseAlert } from '@anh/db/reports';
import { daysBetween, latestReportableDay } from '@anh/domain/delivery-schedule';
import { bogotaDayOf } from '@anh/domain/bogota-day';
import type { KeyRing } from '@anh/domain/secret-box';
import { deliverReport } from '../delivery/deliver';
import { enqueue, registerTenantReportSchedules, wakeDelivery } from '../queues';
import type { NotifyContext } from '../notify/channels';
import { runNotify } from '../notify/dispatch';
import { runEscalation } from '../notify/escalate';
import { wakeNotify } from '../notify/wake';

export interface PipelineSettings {
  /** A slot is aggregated this long after it closes (stragglers). */
  aggregateGraceMs: number;
  retentionMonths: number;
  /** Partitions kept ready ahead of time, in months. */
  partitionMonthsAhead: number;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  aggregateGraceMs: 60_000,
  retentionMonths: 60,
  partitionMonthsAhead: 2,
};

export interface JobContext {
  db: Database;
  log: Logger;
  /** Follow-up work goes here; absent in unit tests that call one stage. */
  queues?: Queues;
  settings?: PipelineSettings;
  now?: () => number;
  /** Keys that open delivery credentials (SECRETS_KEYRING); null: delivery cannot run. */
  ring?: KeyRing | null;
  /** Notification channels (e-mail, SMS, Web Push); absent: notify.send leaves the feed alone. */
  notify?: NotifyContext;
}

type Payload<N extends JobName> = z.output<(typeof JOBS)[N]['payload']>;
type Handlers = { [N in JobName]: (ctx: JobContext, payload: Payload<N>) => Promise<unknown> };

async function tenantIds(ctx: JobContext, only?: string): Promise<string[]> {
  const rows = await ctx.db.control
    .select({ id: controlTables.tenants.id })
    .from(controlTables.tenants)
    .where(eq(controlTables.tenants.status, 'active'));
  const ids = rows.map((r) => r.id);
  return only ? ids.filter((id) => id === only) : ids;
}

/**
 * Days whose reports are due and not built: from the day after the newest built one (or
 * the tenant's first day) up to yesterday once it is 06:00 — a backfill after downtime.
 */
async function daysToReport(ctx: JobContext, tenantId: string, nowMs: number): Promise<string[]> {
  const last = latestReportableDay(nowMs);
  const known = await ctx.db.withTenantClient(tenantId, async (client) => {
    const next = (
      await client.query<{ day: string | null }>(
        `SELECT to_char(max(day) + 1, 'YYYY-MM-DD') AS day FROM reports WHERE version = 1`,
      )
    ).rows[0]?.day;
    if (next) return { next, earliest: null };
    // Only before the first report: the first day with data (a scan, once).
    const earliest = (
      await client.query<{ day: string | null }>(
        `SELECT to_char(min(slot_start) AT TIME ZONE 'America/Bogota', 'YYYY-MM-DD') AS day FROM slots`,
      )
    ).rows[0]?.day;
    return { next: null, earliest: earliest ?? null };
  });
  const [tenant] = await ctx.db.control
    .select({ createdAt: controlTables.tenants.createdAt })
    .from(controlTables.tenants)
    .where(eq(controlTables.tenants.id, tenantId));
  // From the day after the newest report; before any, from the first day with data.
  const created = bogotaDayOf(tenant?.createdAt.getTime() ?? nowMs);
  const first =
    known.next ?? (known.earliest && known.earliest < created ? known.earliest : created);
  return first > last ? [] : daysBetween(first, last);
}

const settingsOf = (ctx: JobContext) => ctx.settings ?? DEFAULT_PIPELINE_SETTINGS;
const nowOf = (ctx: JobContext) => (ctx.now ? ctx.now() : Date.now());

export const handlers: Handlers = {
  async 'pipeline.validate'(ctx, { tenantId }) {
    const outcome = await runValidateStage(ctx.db, tenantId);
    if (ctx.queues) {
      if (outcome.more) await wakeValidate(ctx.queues, tenantId, nowOf(ctx) + 1000);
      if (outcome.dirtySlots > 0)
        // Slots that closed long ago (late data) are ready now; the others when they close.
        await wakeAggregate(ctx.queues, tenantId, nowOf(ctx));
    }
    return outcome;
  },

  async 'pipeline.aggregate'(ctx, { tenantId }) {
    const now = nowOf(ctx);
    const outcome = await runAggregateStage(ctx.db, tenantId, {
      nowMs: now,
      graceMs: settingsOf(ctx).aggregateGraceMs,
    });
    if (outcome.amendments.length > 0)
      ctx.log.warn('late data changed reported days', { tenantId, days: outcome.amendments });
    if (ctx.queues) {
      for (const day of outcome.days) await wakeAnalyse(ctx.queues, tenantId, day, now);
      if (outcome.changed > 0) await wakeDetect(ctx.queues, tenantId, now);
      if (outcome.more) await wakeAggregate(ctx.queues, tenantId, now + 1000, now);
      else if (outcome.nextReadyAt !== null)
        await wakeAggregate(ctx.queues, tenantId, outcome.nextReadyAt, now);
    }
    return outcome;
  },

  async 'pipeline.analyse'(ctx, { tenantId, day }) {
    return runAnalyseStage(ctx.db, tenantId, day);
  },

  async 'pipeline.detect'(ctx, { tenantId, retrain, pointId }) {
    return runDetectStage(ctx.db, tenantId, {
      nowMs: nowOf(ctx),
      ...(retrain ? { retrain } : {}),
      ...(pointId ? { pointId } : {}),
    });
  },

  async 'anomaly.retrain'(ctx) {
    const retrained: Record<string, number> = {};
    for (const tenantId of await tenantIds(ctx)) {
      const outcome = await runDetectStage(ctx.db, tenantId, { nowMs: nowOf(ctx), retrain: true });
      retrained[tenantId] = outcome.trained;
    }
    return { retrained };
  },

  async 'pipeline.sweep'(ctx) {
    const woken: string[] = [];
    if (!ctx.queues) return { woken };
    const now = nowOf(ctx);
    for (const tenantId of await tenantIds(ctx)) {
      const waiting = await ctx.db.withTenantClient(tenantId, async (client) => {
        const { rows } = await client.query<{ batches: boolean; slots: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM ingest_batches WHERE status = 'stored') AS batches,
                  EXISTS (SELECT 1 FROM dirty_slots WHERE slot_start <= $1) AS slots`,
          [new Date(now - 600_000 - settingsOf(ctx).aggregateGraceMs).toISOString()],
        );
        return rows[0]!;
      });
      if (waiting.batches) await wakeValidate(ctx.queues, tenantId, now);
      if (waiting.slots) await wakeAggregate(ctx.queues, tenantId, now, now);
      if (waiting.batches || waiting.slots) woken.push(tenantId);
    }
    return { woken };
  },

  async 'report.daily'(ctx, { tenantId, day }) {
    const now = nowOf(ctx);
    const days = day ? [day] : await daysToReport(ctx, tenantId, now);
    const built: Array<{ day: string; site: string; version: number; blockingErrors: number }> = [];
    for (const d of days) {
      for (const report of await buildDayReports(ctx.db, tenantId, d, { nowMs: now })) {
        built.push({
          day: d,
          site: report.siteCode,
          version: report.version,
          blockingErrors: report.blockingErrors,
        });
        if (report.blockingErrors > 0)
          await ctx.db.withTenantClient(tenantId, (client) =>
            raiseAlert(client, {
              kind: 'report.blocking_errors',
              subject: `${d}/${report.siteCode}/v${report.version}`,
              severity: 'warning',
              audience: ['engineer'],
              message: `El reporte del ${d} (${report.siteCode}) tiene ${report.blockingErrors} error(es) que bloquean. Si no se aprueba una corrección antes de las 06:40 se envía a las 06:40 con los datos tal como se validaron y sus banderas:\n- ${report.problems.slice(0, 30).join('\n- ')}`,
              data: { day: d, site: report.siteCode, problems: report.problems },
              nowMs: now,
            }),
          );
      }
    }
    // Everything not yet delivered goes out, oldest first (also what a restart left behind).
    const pending = await ctx.db.withTenantClient(tenantId, async (client) =>
      (
        await client.query<{ id: string }>(
          `SELECT id FROM reports WHERE delivered_at IS NULL ORDER BY day, site_id, version`,
        )
      ).rows.map((r) => r.id),
    );
    if (ctx.queues)
      for (const reportId of pending) await wakeDelivery(ctx.queues, tenantId, reportId);
    return { days, built, pending: pending.length };
  },

  async 'report.deliver'(ctx, { tenantId, reportId }) {
    const now = nowOf(ctx);
    const outcome = await deliverReport(ctx.db, tenantId, reportId, {
      nowMs: now,
      ring: ctx.ring ?? null,
    });
    if (outcome.outcome === 'held' && ctx.queues)
      await wakeDelivery(ctx.queues, tenantId, reportId, outcome.holdUntil! - now);
    return outcome;
  },

  async 'schedules.sync'(ctx) {
    const ids = await tenantIds(ctx);
    if (ctx.queues) {
      await registerTenantReportSchedules(ctx.queues, ids);
      // Catch-up: a report day missed while the worker was down is built now (idempotent).
      const hour = Math.floor(nowOf(ctx) / 3600_000);
      for (const tenantId of ids)
        await enqueue(
          ctx.queues,
          'report.daily',
          { tenantId },
          { jobId: `report-catchup-${tenantId}-${hour}` },
        );
    }
    return { tenants: ids.length };
  },

  async 'storage.partitions'(ctx, payload) {
    const results: Array<{ tenantId: string; created: number; dropped: string[] }> = [];
    const settings = settingsOf(ctx);
    for (const tenantId of await tenantIds(ctx, payload.tenantId)) {
      const outcome = await maintainPartitions(ctx.db, tenantId, {
        nowMs: nowOf(ctx),
        retentionMonths: settings.retentionMonths,
        monthsAhead: settings.partitionMonthsAhead,
      });
      if (outcome.dropped.length > 0)
        ctx.log.info('telemetry partitions dropped (retention)', { tenantId, ...outcome });
      results.push({ tenantId, ...outcome });
    }
    return { tenants: results };
  },

  async 'notify.send'(ctx, { tenantId }) {
    // Without channels the feed is left for a worker that has them (its cursor unmoved).
    if (!ctx.notify) return { skipped: 'notifications are not configured in this worker' };
    const outcome = await runNotify(ctx.db, tenantId, {
      notify: ctx.notify,
      nowMs: () => nowOf(ctx),
      log: ctx.log,
    });
    if (ctx.queues && outcome.nextRetryAtMs !== null)
      await wakeNotify(ctx.queues, tenantId, nowOf(ctx), outcome.nextRetryAtMs);
    return outcome;
  },

  async 'notify.escalate'(ctx, { tenantId }) {
    const outcome = await runEscalation(ctx.db, tenantId, nowOf(ctx));
    if (outcome.escalated.length > 0)
      ctx.log.info('alerts escalated', { tenantId, alerts: outcome.escalated.length });
    if (ctx.queues && outcome.pending) await wakeNotify(ctx.queues, tenantId, nowOf(ctx));
    return outcome;
  },

  async 'notify.sweep'(ctx) {
    const ids = await tenantIds(ctx);
    if (ctx.queues) {
      const minute = Math.floor(nowOf(ctx) / 60_000);
      for (const tenantId of ids)
        await enqueue(
          ctx.queues,
          'notify.escalate',
          { tenantId },
          { jobId: `escalate-${tenantId}-${minute}` },
        );
    }
    return { tenants: ids.length };
  },

  async 'audit.anchor'(ctx, payload) {
    const anchored: Array<{ tenantId: string; seq: number }> = [];
    for (const tenantId of await tenantIds(ctx, payload.tenantId)) {
      const head = await anchorTenantAudit(ctx.db, tenantId);
      if (head) anchored.push({ tenantId, seq: head.seq });
    }
    return { anchored };
  },

  async 'audit.verify'(ctx, payload) {
    const failures: Array<{ scope: string; problems: AuditProblem[] }> = [];
    if (!payload.tenantId) {
      const platform = await verifyControlAudit(ctx.db);
      if (!platform.ok) failures.push({ scope: 'control', problems: platform.problems });
    }
    const ids = await tenantIds(ctx, payload.tenantId);
    for (const tenantId of ids) {
      const result = await verifyTenantAudit(ctx.db, tenantId);
      if (!result.ok) failures.push({ scope: tenantId, problems: result.problems });
    }
    for (const failure of failures) {
      // Alerts to people arrive with the notification work; the log line is the record now.
      ctx.log.error('audit chain verification failed', failure);
    }
    return { tenantsChecked: ids.length, failures };
  },
};
