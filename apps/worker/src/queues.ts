import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { validationError } from '@anh/domain/errors';
import {
  JOBS,
  QUEUES,
  SCHEDULE_TIMEZONE,
  type JobName,
  type JobPayload,
  type QueueName,
} from './jobs/catalog';

export interface QueueOptions {
  connection: Redis;
  prefix: string;
}

export type Queues = Record<QueueName, Queue>;

export function createQueues(options: QueueOptions): Queues {
  return Object.fromEntries(
    QUEUES.map((name) => [
      name,
      new Queue(name, { connection: options.connection, prefix: options.prefix }),
    ]),
  ) as Queues;
}

/** Validates the payload before anything reaches Redis; a bad one is a VALIDATION error. */
export async function enqueue<N extends JobName>(
  queues: Queues,
  name: N,
  payload: JobPayload<N>,
  options: { jobId?: string; delayMs?: number } = {},
): Promise<Job> {
  const definition = JOBS[name];
  const parsed = definition.payload.safeParse(payload);
  if (!parsed.success) throw validationError(`Payload of job ${name}`, parsed.error.issues);
  return queues[definition.queue].add(name, parsed.data, {
    attempts: definition.attempts,
    backoff: {
      type: ('backoffType' in definition && definition.backoffType) || 'exponential',
      delay: definition.backoffMs,
    },
    removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
    removeOnFail: { age: 30 * 24 * 3600 },
    ...(options.jobId ? { jobId: options.jobId } : {}),
    ...(options.delayMs ? { delay: options.delayMs } : {}),
  });
}

/** Registers the repeating jobs of the catalog (idempotent: schedulers are upserted by id). */
export async function registerSchedules(
  queues: Queues,
  /** Faster repeats for tests and demos: job name → every N ms. */
  everyOverrides: Partial<Record<JobName, number>> = {},
): Promise<JobName[]> {
  const scheduled: JobName[] = [];
  for (const [name, definition] of Object.entries(JOBS) as Array<
    [JobName, (typeof JOBS)[JobName]]
  >) {
    if (!definition.schedule) continue;
    const override = everyOverrides[name];
    const repeat = override
      ? { every: override }
      : 'every' in definition.schedule
        ? { every: definition.schedule.every }
        : { pattern: definition.schedule.pattern, tz: SCHEDULE_TIMEZONE };
    await queues[definition.queue].upsertJobScheduler(`schedule:${name}`, repeat, {
      name,
      data: {},
      opts: {
        attempts: definition.attempts,
        backoff: { type: 'exponential', delay: definition.backoffMs },
      },
    });
    scheduled.push(name);
  }
  return scheduled;
}

/**
 * Wake-ups for the pipeline. The work itself waits in PostgreSQL (batches not yet
 * validated, dirty slots); a job only says "look now". Job ids bucket time so a burst of
 * batches wakes a stage once per second, not once per batch, and the sweep job catches
 * any wake-up that was lost (Redis down, a job id still taken).
 */
export async function wakeValidate(
  queues: Queues,
  tenantId: string,
  nowMs = Date.now(),
): Promise<void> {
  await enqueue(
    queues,
    'pipeline.validate',
    { tenantId },
    {
      jobId: `validate-${tenantId}-${Math.floor(nowMs / 1000)}`,
    },
  );
}

export async function wakeAggregate(
  queues: Queues,
  tenantId: string,
  atMs: number,
  nowMs = Date.now(),
): Promise<void> {
  const at = Math.max(atMs, nowMs);
  await enqueue(
    queues,
    'pipeline.aggregate',
    { tenantId },
    {
      jobId: `aggregate-${tenantId}-${Math.floor(at / 1000)}`,
      delayMs: at - nowMs,
    },
  );
}

/** Wakes the detect stage after new slots closed (one run per tenant per 10 s burst). */
export async function wakeDetect(
  queues: Queues,
  tenantId: string,
  nowMs = Date.now(),
): Promise<void> {
  await enqueue(
    queues,
    'pipeline.detect',
    { tenantId },
    { jobId: `detect-${tenantId}-${Math.floor(nowMs / 10_000)}`, delayMs: 2_000 },
  );
}

export async function wakeAnalyse(
  queues: Queues,
  tenantId: string,
  day: string,
  nowMs = Date.now(),
): Promise<void> {
  // A few seconds' delay gathers the slots of one burst into one analysis.
  await enqueue(
    queues,
    'pipeline.analyse',
    { tenantId, day },
    {
      jobId: `analyse-${tenantId}-${day}-${Math.floor(nowMs / 10_000)}`,
      delayMs: 5_000,
    },
  );
}

/** Each tenant's 06:00 Bogotá scheduler for its daily report (upserted: safe to repeat). */
export async function registerTenantReportSchedules(
  queues: Queues,
  tenantIds: readonly string[],
): Promise<void> {
  for (const tenantId of tenantIds) {
    await queues.reports.upsertJobScheduler(
      `report-daily-${tenantId}`,
      { pattern: '0 6 * * *', tz: SCHEDULE_TIMEZONE },
      {
        name: 'report.daily',
        data: { tenantId },
        opts: {
          attempts: JOBS['report.daily'].attempts,
          backoff: { type: 'exponential', delay: JOBS['report.daily'].backoffMs },
        },
      },
    );
  }
}

export async function wakeDelivery(
  queues: Queues,
  tenantId: string,
  reportId: string,
  delayMs = 0,
): Promise<void> {
  await enqueue(
    queues,
    'report.deliver',
    { tenantId, reportId },
    {
      jobId: `deliver-${reportId}-${delayMs > 0 ? 'held' : 'now'}`,
      ...(delayMs > 0 ? { delayMs } : {}),
    },
  );
}
