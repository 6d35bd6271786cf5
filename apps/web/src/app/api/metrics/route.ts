import { metricsToken } from '~/env';
import { metricsResponse } from '~/server/metrics';

/**
 * GET /api/metrics: this web process's Prometheus metrics (src/server/metrics.ts).
 * Protected by a bearer token, METRICS_TOKEN: behind Vercel or a reverse proxy the app
 * sees the proxy's address, and an address check on `x-forwarded-for` could be fooled by
 * anyone who writes that header. Without METRICS_TOKEN the endpoint does not exist (404).
 */
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return metricsResponse(request, metricsToken());
}
