import { z } from 'zod';
import { loadDeliveryTarget, saveDeliverySettings, amendReport } from '@anh/db/reports';
import { deliverySettingsSchema } from '@anh/domain/delivery-settings';
import { AppError } from '@anh/domain/errors';
import { explainFtpFailure } from '@anh/domain/ftp-errors';
import type { KeyRing } from '@anh/domain/secret-box';
import { testConnection } from '@anh/worker/delivery';
import { createTRPCRouter, tenantProcedure } from '../init';

function requireRing(ring: KeyRing | null | undefined): KeyRing {
  if (!ring) throw new AppError('UNAVAILABLE', 'SECRETS_KEYRING is not configured on this server');
  return ring;
}

export const deliveryRouter = createTRPCRouter({
  /** The delivery target as configured, without its password. */
  settings: tenantProcedure('delivery.settings').query(async ({ ctx }) => {
    const rows = await ctx.db.withTenantClient(
      ctx.tenant.id,
      async (client) =>
        (
          await client.query<{
            host: string;
            port: number;
            tls_mode: string;
            tls_ca_pem: string | null;
            remote_dir: string;
            file_pattern: string;
            username: string;
            enabled: boolean;
            updated_at: Date;
          }>('SELECT * FROM delivery_settings WHERE id = 1')
        ).rows,
    );
    const row = rows[0];
    if (!row) return null;
    return {
      host: row.host,
      port: row.port,
      tlsMode: row.tls_mode,
      privateCa: row.tls_ca_pem !== null,
      remoteDir: row.remote_dir,
      filePattern: row.file_pattern,
      username: row.username,
      enabled: row.enabled,
      updatedAt: row.updated_at,
    };
  }),

  saveSettings: tenantProcedure('delivery.saveSettings')
    .input(z.object({ settings: deliverySettingsSchema }))
    .mutation(async ({ ctx, input }) => {
      await saveDeliverySettings(ctx.db, ctx.tenant.id, input.settings, {
        ring: requireRing(ctx.ring),
        actor: `user:${ctx.userId}`,
      });
      return { saved: true };
    }),

  /** Logs in to the target and lists the folder; uploads nothing. */
  testConnection: tenantProcedure('delivery.testConnection').mutation(async ({ ctx }) => {
    const ring = requireRing(ctx.ring);
    const target = await ctx.db.withTenantClient(ctx.tenant.id, (client) =>
      loadDeliveryTarget(client, ctx.tenant.id, ring),
    );
    if (!target)
      throw new AppError(
        'NOT_FOUND',
        'Aún no hay destino de entrega configurado / no delivery target is configured yet',
      );
    const result = await testConnection(target);
    if (result.ok) return result;
    return { ...result, ...explainFtpFailure(result.error) };
  }),

  /** The reports of recent days, newest first, with their delivery state. */
  reports: tenantProcedure('delivery.reports')
    .input(z.object({ limit: z.number().int().min(1).max(400).default(60) }))
    .query(async ({ ctx, input }) =>
      ctx.db.withTenantClient(
        ctx.tenant.id,
        async (client) =>
          (
            await client.query<Record<string, unknown>>(
              `SELECT r.id, to_char(r.day, 'YYYY-MM-DD') AS day, s.code AS site, r.version, r.sha256,
                    r.file_name AS "fileName", r.blocking_errors AS "blockingErrors", r.warnings,
                    r.amendment_reason AS "amendmentReason", r.built_at AS "builtAt",
                    r.delivered_at AS "deliveredAt"
             FROM reports r JOIN sites s ON s.id = r.site_id
             ORDER BY r.day DESC, s.code, r.version DESC LIMIT $1`,
              [input.limit],
            )
          ).rows,
      ),
    ),

  /** A correction of a day's report: a new version with its reason, sent at once. */
  amend: tenantProcedure('delivery.amend')
    .input(
      z.object({
        // Reports exist from this product's first day; year 0000 is no PostgreSQL date.
        day: z.iso.date().refine((d) => d >= '2000-01-01' && d <= '2100-12-31', {
          message: 'Fecha fuera de rango / date out of range',
        }),
        siteId: z.uuid(),
        reason: z.string().trim().min(10).max(1000),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const report = await amendReport(ctx.db, ctx.tenant.id, {
        day: input.day,
        siteId: input.siteId,
        reason: input.reason,
        userId: ctx.userId,
        nowMs: Date.now(),
      });
      await ctx.wakeDelivery?.(ctx.tenant.id, report.id).catch(() => undefined);
      return { id: report.id, version: report.version, fileName: report.fileName };
    }),
});
