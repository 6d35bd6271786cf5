import { createServer, type Server } from 'node:http';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Database } from '@anh/db';

/**
 * The worker's operations endpoints, on WORKER_HEALTH_HOST:WORKER_HEALTH_PORT (a private
 * address: nothing here is for the public):
 * - `GET /health`: liveness. 200 while the process runs and its event loop turns; a
 *   PostgreSQL or Redis outage does not fail it (restarting the worker would not help).
 * - `GET /ready`: readiness. 200 when PostgreSQL and Redis answer within 2 s, 503 with
 *   what failed otherwise.
 * - `GET /metrics`: Prometheus text format (src/metrics.ts), when a registry is given.
 */
const CHECK_TIMEOUT_MS = 2000;

async function check(what: () => Promise<unknown>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // The worker's Redis connection queues commands while disconnected (BullMQ needs
    // that): without a limit, /ready would hang instead of answering 503.
    await Promise.race([
      what(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

export function createHealthServer(deps: {
  db: Database;
  redis: Redis;
  metrics?: Registry;
}): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/health') {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true }));
      return;
    }
    if (path === '/ready') {
      void (async () => {
        const [postgres, redis] = await Promise.all([
          check(() => deps.db.control.execute(sql`SELECT 1`)),
          check(() => deps.redis.ping()),
        ]);
        const ok = postgres === 'ok' && redis === 'ok';
        response
          .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok, postgres, redis }));
      })();
      return;
    }
    if (path === '/metrics' && deps.metrics) {
      const registry = deps.metrics;
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
      return;
    }
    response.writeHead(404).end();
  });
}
