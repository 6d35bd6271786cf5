import { createHash, timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { isAppError } from '@anh/domain/errors';

/**
 * The web process's Prometheus metrics, served by `GET /api/metrics` (bearer token
 * METRICS_TOKEN; see src/app/api/metrics/route.ts): ingest (batches and samples accepted
 * or refused, by tenant and reason), tRPC request durations, the dashboard cache, and
 * Node's process metrics. One registry per process, kept on globalThis: Next may evaluate
 * a module twice (route bundles), and two registries would each hold half the counts.
 *
 * Labels are bounded: tenants are ids of tenants whose connector authenticated (empty
 * before that), reasons are AppError codes, procedures are the router's own paths.
 */
export interface WebMetrics {
  registry: Registry;
  ingestBatches: Counter<'tenant_id' | 'outcome' | 'reason'>;
  ingestSamples: Counter<'tenant_id' | 'outcome' | 'reason'>;
  ingestDuration: Histogram<'outcome'>;
  trpcDuration: Histogram<'type' | 'outcome'>;
  trpcErrors: Counter<'procedure' | 'code'>;
  dashboardCache: Counter<'read' | 'result'>;
}

function create(): WebMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    ingestBatches: new Counter({
      name: 'anh_ingest_batches_total',
      help: 'Connector batches by tenant and outcome (accepted, duplicate: stored before, refused) and refusal reason (an AppError code).',
      labelNames: ['tenant_id', 'outcome', 'reason'] as const,
      registers,
    }),
    ingestSamples: new Counter({
      name: 'anh_ingest_samples_total',
      help: 'Readings in those batches, by tenant, outcome and refusal reason (a batch refused before it was read counts none).',
      labelNames: ['tenant_id', 'outcome', 'reason'] as const,
      registers,
    }),
    ingestDuration: new Histogram({
      name: 'anh_ingest_request_duration_seconds',
      help: 'Time to answer a connector upload, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    trpcDuration: new Histogram({
      name: 'anh_trpc_request_duration_seconds',
      help: 'Time to answer a tRPC HTTP request (a batch counts once), by type (query, mutation) and outcome (ok, partial, client_error, server_error).',
      labelNames: ['type', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    trpcErrors: new Counter({
      name: 'anh_trpc_errors_total',
      help: 'tRPC procedure calls that ended in an error, by procedure and tRPC error code.',
      labelNames: ['procedure', 'code'] as const,
      registers,
    }),
    dashboardCache: new Counter({
      name: 'anh_dashboard_cache_requests_total',
      help: 'Dashboard reads by read (overview, heatmap, forecast) and result (hit: fresh, stale: served while recomputed, miss: waited for the database).',
      labelNames: ['read', 'result'] as const,
      registers,
    }),
  };
}

const holder = globalThis as unknown as { anhWebMetrics?: WebMetrics };

export function webMetrics(): WebMetrics {
  holder.anhWebMetrics ??= create();
  return holder.anhWebMetrics;
}

/** One connector upload, counted when it is answered. */
export function recordIngest(entry: {
  tenantId: string | null;
  outcome: 'accepted' | 'duplicate' | 'refused';
  error?: unknown;
  samples: number;
  seconds: number;
}): void {
  const metrics = webMetrics();
  const reason =
    entry.outcome === 'refused' ? (isAppError(entry.error) ? entry.error.code : 'INTERNAL') : '';
  const labels = { tenant_id: entry.tenantId ?? '', outcome: entry.outcome, reason };
  metrics.ingestBatches.inc(labels);
  metrics.ingestSamples.inc(labels, entry.samples);
  metrics.ingestDuration.observe({ outcome: entry.outcome }, entry.seconds);
}

/** ok, partial (a tRPC batch with some errors: 207), client_error, server_error. */
export function outcomeOfStatus(status: number): string {
  if (status === 207) return 'partial';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'ok';
}

const DASHBOARD_READS = new Set(['overview', 'heatmap', 'forecast']);

/** A dashboard cache lookup; the read is the key's second part (`tenant|read|…`). */
export function recordDashboardCache(key: string, result: 'hit' | 'stale' | 'miss'): void {
  const read = key.split('|')[1] ?? '';
  webMetrics().dashboardCache.inc({ read: DASHBOARD_READS.has(read) ? read : 'other', result });
}

/**
 * Whether a request may read the metrics: `Authorization: Bearer <METRICS_TOKEN>`,
 * compared in constant time (over digests, so the length does not show either).
 */
export function metricsRequestAllowed(request: Request, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '');
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

/**
 * The answer of `GET /api/metrics` for a given METRICS_TOKEN: 404 without one (the
 * endpoint is off), 401 without the right bearer token, else the text format.
 */
export async function metricsResponse(request: Request, token: string | null): Promise<Response> {
  if (!token) return new Response('not found', { status: 404 });
  if (!metricsRequestAllowed(request, token))
    return new Response('unauthorized', {
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="metrics"' },
    });
  const { registry } = webMetrics();
  return new Response(await registry.metrics(), {
    headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' },
  });
}
