import { manualReadingsSchema, storeManualReadings } from '../../ingest/manual';
import { createTRPCRouter, tenantProcedure } from '../init';

export const readingsRouter = createTRPCRouter({
  /** Manual readings (tank gauging, lab BSW, meter tickets), by the people who take them. */
  addManual: tenantProcedure('readings.addManual')
    .input(manualReadingsSchema)
    .mutation(async ({ ctx, input }) => {
      const { tenantSlug: _, ...readings } = input;
      const stored = await storeManualReadings(ctx.db, ctx.tenant.id, ctx.userId, readings, {
        nowMs: Date.now(),
        retentionMonths: ctx.retentionMonths ?? 60,
      });
      await ctx.wakePipeline?.(ctx.tenant.id).catch(() => undefined);
      return { batchId: stored.batchId, stored: stored.stored, samples: stored.samples };
    }),
});
