import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createDatabase } from '@anh/db';
import { readWorkerEnv } from './env';
import { createHealthServer } from './health';
import { createLogger } from './log';
import { createQueues, registerSchedules } from './queues';
import { createWorkers } from './workers';

// The worker process: BullMQ workers for every queue of the catalog, the schedules, and
// a health endpoint. SIGTERM/SIGINT drain running jobs before exiting.
const env = readWorkerEnv();
const log = createLogger(env.LOG_LEVEL, { service: 'worker' });
const db = createDatabase({
  url: env.DATABASE_URL,
  tenantRoleSecret: env.TENANT_ROLE_SECRET,
  applicationName: 'anh-worker',
});
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
const queueOptions = { connection: redis, prefix: env.QUEUE_PREFIX };

const queues = createQueues(queueOptions);
const scheduled = await registerSchedules(queues);
// If Redis comes back empty (restarted without persistence), the schedules come back too;
// the work itself waits in PostgreSQL and the sweep finds it.
redis.on('ready', () => {
  registerSchedules(queues).catch((error: unknown) =>
    log.error('could not register schedules', { error }),
  );
});
const workers = createWorkers(
  {
    db,
    log,
    queues,
    settings: {
      aggregateGraceMs: env.AGGREGATE_GRACE_MS,
      retentionMonths: env.TELEMETRY_RETENTION_MONTHS,
      partitionMonthsAhead: 2,
    },
  },
  { ...queueOptions, concurrency: env.WORKER_CONCURRENCY },
);
const health = createHealthServer({ db, redis });
health.listen(env.WORKER_HEALTH_PORT, env.WORKER_HEALTH_HOST);
await once(health, 'listening');
const { port } = health.address() as AddressInfo;
log.info('worker started', {
  scheduled,
  health: `http://${env.WORKER_HEALTH_HOST}:${port}/health`,
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('worker stopping', { signal });
  health.close();
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(Object.values(queues).map((q) => q.close()));
  // BullMQ does not close a connection it was given.
  await redis.quit();
  await db.close();
  log.info('worker stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
