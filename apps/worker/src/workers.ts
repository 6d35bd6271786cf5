import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { AppError, isAppError, validationError } from '@anh/domain/errors';
import { isJobName, JOBS, QUEUES } from './jobs/catalog';
import { handlers, type JobContext } from './jobs/handlers';
import type { QueueOptions } from './queues';

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

/** This process among the workers sharing the queues: host and pid. */
export const WORKER_NAME = `${hostname()}:${process.pid}`;

export function createWorkers(
  ctx: JobContext,
  options: QueueOptions & { concurrency: number; lockDurationMs?: number },
): Worker[] {
  return QUEUES.map((queue) => {
    const worker = new Worker(queue, (job) => processJob(ctx, job), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      // Recorded on every job it takes (`processedBy`): which process did what, when
      // several workers share the queues.
      name: WORKER_NAME,
      // A job whose worker died is taken again once its lock lapses.
      ...(options.lockDurationMs
        ? { lockDuration: options.lockDurationMs, stalledInterval: options.lockDurationMs }
        : {}),
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
