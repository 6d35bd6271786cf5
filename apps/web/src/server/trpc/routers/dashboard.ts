import { z } from 'zod';
import {
  completenessHeatmap,
  dashboardOverview,
  productionForecast,
} from '~/server/dashboard/service';
import { createTRPCRouter, tenantProcedure } from '../init';

const scope = z.object({ siteId: z.uuid().nullish() });

/**
 * The production dashboard: today against yesterday, data quality, alerts, the ANH
 * submissions, trends and gauges (`overview`); completeness by variable × slot
 * (`completeness`); 30 days and the 7-day forecast (`forecast`). Cached per tenant.
 */
export const dashboardRouter = createTRPCRouter({
  overview: tenantProcedure('dashboard.overview')
    .input(scope)
    .query(({ ctx, input }) =>
      dashboardOverview(ctx.db, ctx.tenant.id, input.siteId ?? null, {
        freshSeconds: ctx.dashboardFreshSeconds,
      }),
    ),

  completeness: tenantProcedure('dashboard.completeness')
    .input(
      scope.extend({
        day: z.iso.date().refine((d) => d >= '2000-01-01' && d <= '2100-12-31', {
          message: 'Fecha fuera de rango / date out of range',
        }),
      }),
    )
    .query(({ ctx, input }) =>
      completenessHeatmap(ctx.db, ctx.tenant.id, input.siteId ?? null, input.day, {
        freshSeconds: ctx.dashboardFreshSeconds,
      }),
    ),

  forecast: tenantProcedure('dashboard.forecast')
    .input(scope)
    .query(({ ctx, input }) => productionForecast(ctx.db, ctx.tenant.id, input.siteId ?? null)),
});
