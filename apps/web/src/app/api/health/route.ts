/**
 * GET /api/health: liveness. 200 while the process runs and answers; it checks nothing
 * else, so an outage of PostgreSQL or Redis does not get a healthy process restarted
 * (that is /api/ready's question).
 */
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ ok: true }, { headers: { 'cache-control': 'no-store' } });
}
