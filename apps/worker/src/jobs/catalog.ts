import { z } from 'zod';

/**
 * Every background job, in one place: its queue, its payload schema (checked when it is
 * enqueued and again when it is taken), how often it may be retried, how long it may
 * run, and when it runs by itself. Handlers live in ./handlers.ts.
 */
export const QUEUES = ['maintenance'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface JobDefinition<P extends z.ZodType = z.ZodType> {
  queue: QueueName;
  payload: P;
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
  /** Repeats on its own: every N ms, or a cron pattern in America/Bogota. */
  schedule?: { every: number } | { pattern: string };
  description: string;
}

function job<P extends z.ZodType>(definition: JobDefinition<P>): JobDefinition<P> {
  return definition;
}

export const JOBS = {
  'audit.anchor': job({
    queue: 'maintenance',
    payload: z.object({ tenantId: z.uuid().optional() }).strict(),
    attempts: 3,
    backoffMs: 10_000,
    timeoutMs: 5 * 60_000,
    schedule: { every: 10 * 60_000 },
    description:
      'Records the head of each tenant audit chain in the control schema, so later truncation is detectable.',
  }),
  'audit.verify': job({
    queue: 'maintenance',
    payload: z.object({ tenantId: z.uuid().optional() }).strict(),
    attempts: 2,
    backoffMs: 60_000,
    timeoutMs: 30 * 60_000,
    schedule: { pattern: '15 5 * * *' },
    description:
      'Verifies the control audit chain and every tenant chain against its anchors; reports any tampering.',
  }),
} as const;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.input<(typeof JOBS)[N]['payload']>;

export const SCHEDULE_TIMEZONE = 'America/Bogota';

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}
