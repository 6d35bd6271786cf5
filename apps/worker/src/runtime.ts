import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Database } from '@anh/db';
import type { JobName } from './jobs/catalog';
import type { PipelineSettings } from './jobs/handlers';
import type { Logger } from './log';
import type { KeyRing } from '@anh/domain/secret-box';
import { createQueues, enqueue, registerSchedules, type Queues } from './queues';
import { createWorkers } from './workers';
import type { NotifyContext } from './notify/channels';
import { startAlertFeedListener } from './notify/listener';
import { wakeNotify } from './notify/wake';

/**
 * The worker's moving parts on one Redis connection: queues, schedules, workers. If Redis
 * comes back empty (restarted without persistence) the schedules are registered again on
 * reconnection; the work itself waits in PostgreSQL, and the sweep finds it.
 */
export interface WorkerRuntimeOptions {
  db: Database;
  redis: Redis;
  log: Logger;
  prefix: string;
  concurrency: number;
  settings: PipelineSettings;
  scheduleOverrides?: Partial<Record<JobName, number>>;
  lockDurationMs?: number;
  ring?: KeyRing | null;
  now?: () => number;
  /** Alert notifications: channels, and a LISTEN on the alert feed that wakes notify.send. */
  notify?: NotifyContext;
}

export interface WorkerRuntime {
  queues: Queues;
  workers: Worker[];
  scheduled: JobName[];
  close(): Promise<void>;
}

export async function startWorkerRuntime(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const connection = { connection: options.redis, prefix: options.prefix };
  const queues = createQueues(connection);
  for (const queue of Object.values(queues))
    queue.on('error', (error) => options.log.warn('queue connection error', { error }));
  const scheduled = await registerSchedules(queues, options.scheduleOverrides);
  // Each tenant's 06:00 scheduler now, and a backfill pass: days missed while down go out.
  await enqueue(queues, 'schedules.sync', {}, { jobId: `schedules-sync-${Date.now()}` });
  let first = true;
  const onReady = () => {
    if (first) {
      first = false;
      return;
    }
    options.log.info('redis reconnected; registering schedules again');
    registerSchedules(queues, options.scheduleOverrides).catch((error: unknown) =>
      options.log.error('could not register schedules', { error }),
    );
  };
  if (options.redis.status === 'ready') first = false;
  options.redis.on('ready', onReady);
  const workers = createWorkers(
    {
      db: options.db,
      log: options.log,
      queues,
      settings: options.settings,
      ring: options.ring ?? null,
      ...(options.now ? { now: options.now } : {}),
      ...(options.notify ? { notify: options.notify } : {}),
    },
    {
      ...connection,
      concurrency: options.concurrency,
      ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
    },
  );
  // A NOTIFY per alert-feed event wakes that tenant's notify job; after a lost connection,
  // a sweep (escalation + pending check per tenant) catches up.
  const feedListener = options.notify
    ? startAlertFeedListener({
        url: options.db.config.url,
        log: options.log,
        onTenant: (tenantId) => wakeNotify(queues, tenantId),
        onReconnect: async () => {
          await enqueue(queues, 'notify.sweep', {}, { jobId: `notify-sweep-${Date.now()}` });
        },
      })
    : null;
  return {
    queues,
    workers,
    scheduled,
    async close() {
      options.redis.off('ready', onReady);
      await feedListener?.close();
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await options.notify?.close();
    },
  };
}
