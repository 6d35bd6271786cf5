import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createDatabase } from '@anh/db';
import { parseKeyRing } from '@anh/domain/secret-box';
import { readWorkerEnv } from './env';
import { startGateway, type Gateway } from './gateway/gateway';
import { createHealthServer } from './health';
import { createLogger } from './log';
import { createWorkerMetrics } from './metrics';
import { startWorkerRuntime } from './runtime';
import { createNotifyContext } from './notify/channels';

// The worker process: BullMQ workers for every queue of the catalog, the schedules, and
// the operations endpoints (/health, /ready, /metrics: src/health.ts). SIGTERM/SIGINT
// drain running jobs before exiting.
const env = readWorkerEnv();
const log = createLogger(env.LOG_LEVEL, { service: 'worker' });
const db = createDatabase({
  url: env.DATABASE_URL,
  tenantRoleSecret: env.TENANT_ROLE_SECRET,
  applicationName: 'anh-worker',
});
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
const runtime = await startWorkerRuntime({
  db,
  redis,
  log,
  prefix: env.QUEUE_PREFIX,
  concurrency: env.WORKER_CONCURRENCY,
  settings: {
    aggregateGraceMs: env.AGGREGATE_GRACE_MS,
    retentionMonths: env.TELEMETRY_RETENTION_MONTHS,
    partitionMonthsAhead: 2,
  },
  scheduleOverrides: { 'pipeline.sweep': env.PIPELINE_SWEEP_EVERY_MS },
  lockDurationMs: env.JOB_LOCK_MS,
  ring: env.SECRETS_KEYRING ? parseKeyRing(env.SECRETS_KEYRING) : null,
  notify: createNotifyContext(env, log),
});
// The live-alert gateway (socket.io) runs in this process when a token secret is set;
// declared before the metrics, which read its counters once it is up.
let gateway: Gateway | null = null;
const metrics = createWorkerMetrics({
  queues: runtime.queues,
  db,
  gateway: () => gateway?.stats ?? null,
});
const health = createHealthServer({ db, redis, metrics: metrics.registry });
health.listen(env.WORKER_HEALTH_PORT, env.WORKER_HEALTH_HOST);
await once(health, 'listening');
const { port } = health.address() as AddressInfo;
const healthUrl = `http://${env.WORKER_HEALTH_HOST}:${port}`;
log.info('worker started', {
  scheduled: runtime.scheduled,
  health: `${healthUrl}/health`,
  ready: `${healthUrl}/ready`,
  metrics: `${healthUrl}/metrics`,
});

const gatewayRedis: Redis[] = [];
if (env.LIVE_TOKEN_SECRET) {
  const pub = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
  const sub = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
  gatewayRedis.push(pub, sub);
  gateway = await startGateway({
    db,
    pub,
    sub,
    redis: pub,
    secret: env.LIVE_TOKEN_SECRET,
    host: env.GATEWAY_HOST,
    port: env.GATEWAY_PORT,
    allowedOrigins: env.GATEWAY_ALLOWED_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    prefix: env.QUEUE_PREFIX,
    log,
  });
} else log.warn('live gateway off: LIVE_TOKEN_SECRET is not set');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('worker stopping', { signal });
  health.close();
  await gateway?.close();
  await runtime.close();
  for (const connection of gatewayRedis) await connection.quit();
  // BullMQ does not close a connection it was given.
  await redis.quit();
  await db.close();
  log.info('worker stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
