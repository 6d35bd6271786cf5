import { createServer, type Server } from 'node:http';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Database } from '@anh/db';

/** GET /health: 200 when PostgreSQL and Redis answer, 503 with what failed otherwise. */
export function createHealthServer(deps: { db: Database; redis: Redis }): Server {
  return createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/health') {
      response.writeHead(404).end();
      return;
    }
    void (async () => {
      const check = async (what: () => Promise<unknown>) => {
        try {
          await what();
          return 'ok';
        } catch {
          return 'down';
        }
      };
      const postgres = await check(() => deps.db.control.execute(sql`SELECT 1`));
      const redis = await check(() => deps.redis.ping());
      const ok = postgres === 'ok' && redis === 'ok';
      response
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok, postgres, redis }));
    })();
  });
}
