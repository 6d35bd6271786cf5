import { manualReadingsSchema, storeManualReadings } from '../../ingest/manual';
import { createTRPCRouter, tenantProcedure } from '../init';

export const readingsRouter = createTRPCRouter({
  /**
   * Manual readings (tank gauging, lab BSW, meter tickets), by the people who take them.
   * With an `idempotencyKey` a repeated call answers the first call's outcome with
   * `replay: true` and stores nothing; `conflicts` lists readings whose (variable, time)
   * already held another value (the first one is kept).
   */
  addManual: tenantProcedure('readings.addManual')
    .input(manualReadingsSchema)
    .mutation(async ({ ctx, input }) => {
      const { tenantSlug: _, ...readings } = input;
      const outcome = await storeManualReadings(ctx.db, ctx.tenant.id, ctx.userId, readings, {
        nowMs: Date.now(),
        retentionMonths: ctx.retentionMonths ?? 60,
      });
      if (!outcome.replay) await ctx.wakePipeline?.(ctx.tenant.id).catch(() => undefined);
      return outcome;
    }),
});
