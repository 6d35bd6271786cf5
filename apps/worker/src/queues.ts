import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppError, isAppError, validationError } from '@anh/domain/errors';
import {
  isJobName,
  JOBS,
  QUEUES,
  SCHEDULE_TIMEZONE,
  type JobName,
  type JobPayload,
  type QueueName,
} from './jobs/catalog';
import { handlers, type JobContext } from './jobs/handlers';

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
    backoff: { type: 'exponential', delay: definition.backoffMs },
    removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
    removeOnFail: { age: 30 * 24 * 3600 },
    ...(options.jobId ? { jobId: options.jobId } : {}),
    ...(options.delayMs ? { delay: options.delayMs } : {}),
  });
}

/** Registers the repeating jobs of the catalog (idempotent: schedulers are upserted by id). */
export async function registerSchedules(queues: Queues): Promise<JobName[]> {
  const scheduled: JobName[] = [];
  for (const [name, definition] of Object.entries(JOBS) as Array<
    [JobName, (typeof JOBS)[JobName]]
  >) {
    if (!definition.schedule) continue;
    const repeat =
      'every' in definition.schedule
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

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError('UNAVAILABLE', `${what} timed out after ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Takes a job: checks its name and payload against the catalog, runs its handler with a
 * time limit. Failures that retrying cannot fix (bad payload, non-retryable AppError)
 * fail the job at once instead of burning its attempts.
 */
export async function processJob(
  ctx: JobContext,
  job: Pick<Job, 'name' | 'data' | 'id'>,
): Promise<unknown> {
  if (!isJobName(job.name)) throw new UnrecoverableError(`Unknown job "${job.name}"`);
  const definition = JOBS[job.name];
  const parsed = definition.payload.safeParse(job.data);
  if (!parsed.success) {
    throw new UnrecoverableError(
      validationError(`Payload of job ${job.name}`, parsed.error.issues).message,
    );
  }
  const handler = handlers[job.name] as (ctx: JobContext, payload: unknown) => Promise<unknown>;
  try {
    return await withTimeout(handler(ctx, parsed.data), definition.timeoutMs, `Job ${job.name}`);
  } catch (error) {
    if (isAppError(error) && !error.retryable)
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    throw error;
  }
}

export function createWorkers(
  ctx: JobContext,
  options: QueueOptions & { concurrency: number },
): Worker[] {
  return QUEUES.map((queue) => {
    const worker = new Worker(queue, (job) => processJob(ctx, job), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
    });
    worker.on('failed', (job, error) =>
      ctx.log.warn('job failed', {
        queue,
        job: job?.name,
        jobId: job?.id,
        attempt: job?.attemptsMade,
        error,
      }),
    );
    worker.on('error', (error) => ctx.log.error('worker error', { queue, error }));
    return worker;
  });
}
