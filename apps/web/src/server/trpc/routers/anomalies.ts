import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { appendTenantAudit } from '@anh/db';
import { AppError } from '@anh/domain/errors';
import { createTRPCRouter, tenantProcedure } from '../init';

/**
 * Anomalies (what the detect stage found, with evidence and model version), operators'
 * verdicts on them, on-demand retraining, and the alerts they raised: list and
 * acknowledge. Verdicts tune the point's threshold on the next run.
 */
export const anomaliesRouter = createTRPCRouter({
  list: tenantProcedure('anomalies.list')
    .input(
      z.object({
        limit: z.number().int().min(1).max(500).default(100),
        pointId: z.uuid().optional(),
      }),
    )
    .query(({ ctx, input }) =>
      ctx.db.withTenantClient(
        ctx.tenant.id,
        async (client) =>
          (
            await client.query<Record<string, unknown>>(
              `SELECT a.id, p.code AS point, v.code AS variable, a.detector, a.model_version AS "modelVersion",
                      a.slot_start AS "slotStart", a.score, a.threshold, a.evidence, a.alert_id AS "alertId",
                      f.verdict, f.comment AS "verdictComment"
                 FROM anomalies a
                 JOIN measurement_points p ON p.id = a.point_id
                 LEFT JOIN variables v ON v.id = a.variable_id
                 LEFT JOIN anomaly_feedback f ON f.anomaly_id = a.id
                WHERE ($2::uuid IS NULL OR a.point_id = $2)
                ORDER BY a.slot_start DESC, a.detector LIMIT $1`,
              [input.limit, input.pointId ?? null],
            )
          ).rows,
      ),
    ),

  /** Real or false alarm: the operator's verdict, kept with who and when (latest wins). */
  feedback: tenantProcedure('anomalies.feedback')
    .input(
      z.object({
        anomalyId: z.uuid(),
        verdict: z.enum(['real', 'false_alarm']),
        comment: z.string().trim().max(1000).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      ctx.withTenant(async (tx) => {
        const before = await tx.execute(
          sql`SELECT verdict, comment FROM anomaly_feedback WHERE anomaly_id = ${input.anomalyId}`,
        );
        const saved = await tx.execute(
          sql`INSERT INTO anomaly_feedback (anomaly_id, verdict, comment, user_id)
              SELECT id, ${input.verdict}, ${input.comment ?? null}, ${ctx.userId} FROM anomalies WHERE id = ${input.anomalyId}
              ON CONFLICT (anomaly_id) DO UPDATE
                SET verdict = excluded.verdict, comment = excluded.comment, user_id = excluded.user_id, at = now()
              RETURNING verdict, comment`,
        );
        if (saved.rows.length === 0)
          throw new AppError('NOT_FOUND', 'Anomalía no encontrada / anomaly not found');
        await appendTenantAudit(tx, {
          actor: `user:${ctx.userId}`,
          action: 'anomaly.feedback',
          entity: 'anomaly',
          entityId: input.anomalyId,
          data: { before: before.rows[0] ?? null, after: saved.rows[0] },
        });
        return { saved: true };
      }),
    ),

  /** Trains new model versions for a point now (e.g. after a workover changed the well). */
  retrain: tenantProcedure('anomalies.retrain')
    .input(z.object({ pointId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const exists = await ctx.db.withTenantClient(
        ctx.tenant.id,
        async (client) =>
          (await client.query('SELECT 1 FROM measurement_points WHERE id = $1', [input.pointId]))
            .rowCount,
      );
      if (!exists) throw new AppError('NOT_FOUND', 'Punto no encontrado / point not found');
      if (!ctx.requestRetrain)
        throw new AppError(
          'UNAVAILABLE',
          'La cola de trabajos no está disponible / the job queue is not available',
        );
      await ctx.requestRetrain(ctx.tenant.id, input.pointId);
      return { requested: true };
    }),

  /** Open alerts, most severe and newest first. */
  alerts: tenantProcedure('anomalies.alerts').query(({ ctx }) =>
    ctx.db.withTenantClient(
      ctx.tenant.id,
      async (client) =>
        (
          await client.query<Record<string, unknown>>(
            `SELECT id, kind, subject, severity, message, raised_at AS "raisedAt", last_seen_at AS "lastSeenAt",
                    occurrences, escalated_at AS "escalatedAt", acknowledged_at AS "acknowledgedAt",
                    acknowledge_comment AS "acknowledgeComment"
               FROM alerts WHERE resolved_at IS NULL
              ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, raised_at DESC`,
          )
        ).rows,
    ),
  ),

  acknowledge: tenantProcedure('anomalies.acknowledge')
    .input(z.object({ alertId: z.uuid(), comment: z.string().trim().max(1000).optional() }))
    .mutation(({ ctx, input }) =>
      ctx.withTenant(async (tx) => {
        const updated = await tx.execute(
          sql`UPDATE alerts SET acknowledged_at = now(), acknowledged_by = ${ctx.userId},
                acknowledge_comment = ${input.comment ?? null}
              WHERE id = ${input.alertId} AND resolved_at IS NULL
              RETURNING kind, subject, severity`,
        );
        if (updated.rows.length === 0)
          throw new AppError(
            'NOT_FOUND',
            'Alerta no encontrada o ya resuelta / alert not found or resolved',
          );
        await appendTenantAudit(tx, {
          actor: `user:${ctx.userId}`,
          action: 'alert.acknowledged',
          entity: 'alert',
          entityId: input.alertId,
          data: {
            before: updated.rows[0],
            after: { acknowledged: true, comment: input.comment ?? null },
          },
        });
        return { acknowledged: true };
      }),
    ),
});
