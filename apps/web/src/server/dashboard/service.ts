import type { Database } from '@anh/db';
import {
  loadCompletenessHeatmap,
  loadDailyProduction,
  loadDashboard,
  type CompletenessHeatmap,
  type DashboardData,
} from '@anh/db/dashboard';
import { bogotaDayOf } from '@anh/domain/bogota-day';
import { PRODUCTS, type Product } from '@anh/domain/dashboard';
import { isAppError } from '@anh/domain/errors';
import { forecastDaily, type ForecastDay } from '@anh/domain/forecast';
import { SwrCache } from './cache';

/**
 * The dashboard's reads for one tenant, cached (stale-while-revalidate). Every entry is
 * keyed by tenant id first; the database reads go through the tenant-scoped client.
 */
let swr: SwrCache | undefined;
let forecasts: SwrCache | undefined;

/**
 * One cache per process, made on first use with the freshness the request context carries
 * (DASHBOARD_FRESH_SECONDS, read by the context from the environment).
 */
function cache(freshSeconds = 30): SwrCache {
  if (!swr) {
    const fresh = freshSeconds * 1000;
    swr = new SwrCache({
      freshMs: fresh,
      maxStaleMs: Math.max(fresh * 10, 60_000),
      maxEntries: 5000,
    });
  }
  return swr;
}

/**
 * Forecasts are fitted on whole past days, so they change only when a day closes (the key
 * holds the day) or late data and corrections arrive: fresh for 10 minutes. A fit takes
 * the event loop for a while (measured ~0.1 s for three products), so doing it less often
 * is what keeps the dashboard's p99 low.
 */
function forecastCache(): SwrCache {
  forecasts ??= new SwrCache({ freshMs: 600_000, maxStaleMs: 3_600_000, maxEntries: 2000 });
  return forecasts;
}

export interface DashboardReadOptions {
  freshSeconds?: number | undefined;
}

/** After a change the user expects to see at once (a correction): recompute on next read. */
export function invalidateDashboards(tenantId: string): void {
  swr?.invalidateTenant(tenantId);
  forecasts?.invalidateTenant(tenantId);
}

export function dashboardOverview(
  db: Database,
  tenantId: string,
  siteId: string | null,
  options: DashboardReadOptions = {},
): Promise<DashboardData> {
  return cache(options.freshSeconds).get(`${tenantId}|overview|${siteId ?? '*'}`, () =>
    db.withTenantClient(tenantId, (client) => loadDashboard(client, { siteId, nowMs: Date.now() })),
  );
}

export function completenessHeatmap(
  db: Database,
  tenantId: string,
  siteId: string | null,
  day: string,
  options: DashboardReadOptions = {},
): Promise<CompletenessHeatmap> {
  return cache(options.freshSeconds).get(`${tenantId}|heatmap|${siteId ?? '*'}|${day}`, () =>
    db.withTenantClient(tenantId, (client) =>
      loadCompletenessHeatmap(client, { siteId, day, nowMs: Date.now() }),
    ),
  );
}

export interface ProductForecast {
  product: Product;
  history: Array<{ day: string; value: number | null }>;
  /** Null when the history cannot carry a forecast (too short, nothing produced). */
  forecast: { method: string; holdoutError: number | null; days: ForecastDay[] } | null;
  reason: string | null;
}

/** The last 30 complete days per product and the 7 days ahead, with 80 % and 95 % intervals. */
export function productionForecast(
  db: Database,
  tenantId: string,
  siteId: string | null,
): Promise<ProductForecast[]> {
  const day = bogotaDayOf(Date.now());
  return forecastCache().get(`${tenantId}|forecast|${siteId ?? '*'}|${day}`, async () => {
    const daily = await db.withTenantClient(tenantId, (client) =>
      loadDailyProduction(client, { siteId, nowMs: Date.now(), days: 30 }),
    );
    return PRODUCTS.map((product) => {
      const history = daily[product];
      // Days before the field's first measurement are not "not measured": leave them out.
      const first = history.findIndex((d) => d.value !== null);
      const series = first < 0 ? [] : history.slice(first);
      try {
        const result = forecastDaily(series);
        return {
          product,
          history,
          forecast: {
            method: result.method,
            holdoutError: result.holdoutError,
            days: result.forecast,
          },
          reason: null,
        };
      } catch (error) {
        if (!isAppError(error)) throw error;
        return { product, history, forecast: null, reason: error.message };
      }
    });
  });
}
