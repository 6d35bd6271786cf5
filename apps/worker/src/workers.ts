import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { AppError, isAppError, validationError } from '@anh/domain/errors';
import { isJobName, JOBS, QUEUES } from './jobs/catalog';
import { handlers, type JobContext } from './jobs/handlers';
import type { QueueOptions } from './queues';
import { recordJob, type JobOutcome } from './metrics';

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
  // Every line a handler logs says which job and which tenant it was working for.
  const tenantId = (parsed.data as { tenantId?: unknown }).tenantId;
  const log = ctx.log.child({
    job: job.name,
    jobId: job.id,
    ...(typeof tenantId === 'string' ? { tenantId } : {}),
  });
  try {
    return await withTimeout(
      handler({ ...ctx, log }, parsed.data),
      definition.timeoutMs,
      `Job ${job.name}`,
    );
  } catch (error) {
    if (isAppError(error) && !error.retryable)
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    throw error;
  }
}

/** This process among the workers sharing the queues: host and pid. */
export const WORKER_NAME = `${hostname()}:${process.pid}`;

/**
 * Runs a job and counts it (anh_worker_jobs_total, anh_worker_job_duration_seconds). A job
 * that fails while it has attempts left is `retried`; one that fails on its last attempt,
 * or in a way retrying cannot fix, `failed`.
 */
async function runCounted(ctx: JobContext, queue: string, job: Job): Promise<unknown> {
  const started = performance.now();
  let outcome: JobOutcome = 'completed';
  try {
    return await processJob(ctx, job);
  } catch (error) {
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    outcome = error instanceof UnrecoverableError || lastAttempt ? 'failed' : 'retried';
    throw error;
  } finally {
    recordJob(queue, job.name, outcome, (performance.now() - started) / 1000);
  }
}

export function createWorkers(
  ctx: JobContext,
  options: QueueOptions & { concurrency: number; lockDurationMs?: number },
): Worker[] {
  return QUEUES.map((queue) => {
    const worker = new Worker(queue, (job) => runCounted(ctx, queue, job), {
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
    worker.on('failed', (job, error) => {
      const tenantId = (job?.data as { tenantId?: unknown } | undefined)?.tenantId;
      ctx.log.warn('job failed', {
        queue,
        job: job?.name,
        jobId: job?.id,
        ...(typeof tenantId === 'string' ? { tenantId } : {}),
        attempt: job?.attemptsMade,
        error,
      });
    });
    worker.on('error', (error) => ctx.log.error('worker error', { queue, error }));
    return worker;
  });
}
