import { Redis } from 'ioredis';
import type { Database } from '@anh/db';
import { webEnv } from '~/env';

const TIMEOUT_MS = 2000;

async function answers(what: () => Promise<unknown>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      what(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

// A connection of its own, kept for the process (on globalThis, like the database): the
// ingest's queue connection refuses commands while it reconnects, which would report
// Redis down for a moment after every restart of either side.
const holder = globalThis as unknown as { anhReadyRedis?: Map<string, Redis> };

function redis(url: string): Redis {
  holder.anhReadyRedis ??= new Map();
  let connection = holder.anhReadyRedis.get(url);
  if (!connection) {
    connection = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: TIMEOUT_MS });
    connection.on('error', () => undefined); // reported by the check, not thrown
    holder.anhReadyRedis.set(url, connection);
  }
  return connection;
}

export async function readiness(
  db: Database,
  redisUrl: string = webEnv().REDIS_URL,
): Promise<{ ok: boolean; postgres: 'ok' | 'down'; redis: 'ok' | 'down' }> {
  const [postgres, cache] = await Promise.all([
    answers(() => db.controlPool.query('SELECT 1')),
    answers(() => redis(redisUrl).ping()),
  ]);
  return { ok: postgres === 'ok' && cache === 'ok', postgres, redis: cache };
}

/** Closes the check's Redis connections (tests). */
export function closeReadiness(): void {
  const connections = [...(holder.anhReadyRedis?.values() ?? [])];
  holder.anhReadyRedis = undefined;
  // quit() would wait for a connection that may never come; disconnect() does not.
  for (const connection of connections) connection.disconnect();
}
