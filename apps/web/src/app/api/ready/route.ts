import { getDb } from '~/server/db';
import { readiness } from './check';

/**
 * GET /api/ready: readiness. 200 when PostgreSQL and Redis (the queues ingest wakes the
 * worker through) answer within 2 s; 503 with which one did not. A load balancer sends
 * traffic only to ready processes.
 */
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(): Promise<Response> {
  const result = await readiness(getDb());
  return Response.json(result, {
    status: result.ok ? 200 : 503,
    headers: { 'cache-control': 'no-store' },
  });
}
