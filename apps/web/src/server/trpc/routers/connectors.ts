import { z } from 'zod';
import { createEnrollmentCode, listConnectors, revokeConnector } from '@anh/db';
import { createTRPCRouter, tenantProcedure } from '../init';

export const connectorsRouter = createTRPCRouter({
  /** The company's connectors with when each was last heard from and its latest batch. */
  list: tenantProcedure('connectors.list').query(async ({ ctx }) => {
    const connectors = await listConnectors(ctx.db, ctx.tenant.id);
    const latest = await ctx.db.withTenantClient(
      ctx.tenant.id,
      async (client) =>
        (
          await client.query<{ connector_id: string; at: Date; sequence: string; samples: string }>(
            `SELECT DISTINCT ON (connector_id) connector_id, received_at AS at,
                  connector_sequence AS sequence, sample_count AS samples
           FROM ingest_batches WHERE origin = 'connector'
           ORDER BY connector_id, seq DESC`,
          )
        ).rows,
    );
    const byId = new Map(latest.map((l) => [l.connector_id, l]));
    return connectors.map((c) => {
      const last = byId.get(c.id);
      return {
        ...c,
        lastBatch: last
          ? { at: last.at, sequence: Number(last.sequence), samples: Number(last.samples) }
          : null,
      };
    });
  }),

  /** A one-time code to type into `anh-connector enroll` on site; shown once. */
  createEnrollmentCode: tenantProcedure('connectors.createEnrollmentCode')
    .input(z.object({ connectorName: z.string().trim().min(2).max(80) }))
    .mutation(({ ctx, input }) =>
      createEnrollmentCode(ctx.db, ctx.tenant.id, {
        connectorName: input.connectorName,
        createdBy: ctx.userId,
        nowMs: Date.now(),
      }),
    ),

  /** A revoked connector's uploads are refused (within a minute: credentials are cached). */
  revoke: tenantProcedure('connectors.revoke')
    .input(z.object({ connectorId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      await revokeConnector(ctx.db, ctx.tenant.id, input.connectorId, {
        actor: `user:${ctx.userId}`,
        nowMs: Date.now(),
      });
      return { revoked: true };
    }),
});
