import { z } from 'zod';

/**
 * Every background job, in one place: its queue, its payload schema (checked when it is
 * enqueued and again when it is taken), how often it may be retried, how long it may
 * run, and when it runs by itself. Handlers live in ./handlers.ts.
 */
// `notify` has its own queue: an alert must not wait behind a long detect or report job.
export const QUEUES = ['pipeline', 'reports', 'maintenance', 'notify'] as const;
export type QueueName = (typeof QUEUES)[number];

export interface JobDefinition<P extends z.ZodType = z.ZodType> {
  queue: QueueName;
  payload: P;
  attempts: number;
  backoffMs: number;
  /** exponential (default) or fixed. */
  backoffType?: 'exponential' | 'fixed';
  timeoutMs: number;
  /** Repeats on its own: every N ms, or a cron pattern in America/Bogota. */
  schedule?: { every: number } | { pattern: string };
  description: string;
}

function job<P extends z.ZodType>(definition: JobDefinition<P>): JobDefinition<P> {
  return definition;
}

const tenantOnly = z.object({ tenantId: z.uuid() }).strict();

export const JOBS = {
  'pipeline.validate': job({
    queue: 'pipeline',
    payload: tenantOnly,
    attempts: 10,
    backoffMs: 2_000,
    timeoutMs: 5 * 60_000,
    description:
      'Validates and normalises the tenant’s stored batches in arrival order; marks their slots for aggregation.',
  }),
  'pipeline.aggregate': job({
    queue: 'pipeline',
    payload: tenantOnly,
    attempts: 10,
    backoffMs: 2_000,
    timeoutMs: 5 * 60_000,
    description:
      'Recomputes the closed 10-minute slots that got new samples; flags days whose report needs an amendment.',
  }),
  'pipeline.analyse': job({
    queue: 'pipeline',
    payload: z.object({ tenantId: z.uuid(), day: z.iso.date() }).strict(),
    attempts: 5,
    backoffMs: 5_000,
    timeoutMs: 5 * 60_000,
    description: 'Evaluates the day rules over one Bogotá day of slots.',
  }),
  'pipeline.detect': job({
    queue: 'pipeline',
    payload: z
      .object({
        tenantId: z.uuid(),
        /** Train new model versions first (on demand from the web app). */
        retrain: z.boolean().optional(),
        pointId: z.uuid().optional(),
      })
      .strict(),
    attempts: 5,
    backoffMs: 5_000,
    timeoutMs: 10 * 60_000,
    description:
      'Scores new closed slots per measurement point (isolation forest, SPC), records anomalies with their evidence and model version, raises, escalates and resolves alerts; trains a point’s first model after a day of data.',
  }),
  'anomaly.retrain': job({
    queue: 'maintenance',
    payload: z.object({}).strict(),
    attempts: 3,
    backoffMs: 60_000,
    timeoutMs: 60 * 60_000,
    schedule: { pattern: '0 3 1 * *' },
    description:
      'Monthly, 03:00 Bogotá on the 1st: retrains every point’s anomaly models on its last 30 days (a rolling baseline).',
  }),
  'pipeline.sweep': job({
    queue: 'pipeline',
    payload: z.object({}).strict(),
    attempts: 1,
    backoffMs: 1_000,
    timeoutMs: 60_000,
    schedule: { every: 30_000 },
    description:
      'Safety net: wakes the stages of any tenant with work waiting in PostgreSQL (after a Redis loss, a missed wake-up).',
  }),
  'report.daily': job({
    queue: 'reports',
    payload: z.object({ tenantId: z.uuid(), day: z.iso.date().optional() }).strict(),
    attempts: 10,
    backoffMs: 30_000,
    timeoutMs: 15 * 60_000,
    description:
      'At 06:00 Bogotá (one scheduler per tenant): builds the reports of every day not yet built, oldest first, and sends them.',
  }),
  'report.deliver': job({
    queue: 'reports',
    payload: z.object({ tenantId: z.uuid(), reportId: z.uuid() }).strict(),
    // Fixed 60 s between attempts, for a week: past 06:50 people are alerted, and it keeps trying.
    attempts: 10_080,
    backoffMs: 60_000,
    backoffType: 'fixed',
    timeoutMs: 5 * 60_000,
    description:
      'Uploads one report by FTPS, verifies it and stores the receipt; retried until it is delivered.',
  }),
  'schedules.sync': job({
    queue: 'maintenance',
    payload: z.object({}).strict(),
    attempts: 3,
    backoffMs: 10_000,
    timeoutMs: 60_000,
    schedule: { every: 10 * 60_000 },
    description:
      'Gives every active tenant its 06:00 report scheduler (new tenants within 10 minutes).',
  }),
  'storage.partitions': job({
    queue: 'maintenance',
    payload: z.object({ tenantId: z.uuid().optional() }).strict(),
    attempts: 3,
    backoffMs: 60_000,
    timeoutMs: 30 * 60_000,
    schedule: { pattern: '30 0 * * *' },
    description:
      'Creates next months’ telemetry partitions ahead; drops whole months older than the retention.',
  }),
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
  'notify.send': job({
    queue: 'notify',
    payload: tenantOnly,
    // Delivery problems are retried by later runs (per message, with their own waits);
    // attempts here only cover the job itself failing (the database away).
    attempts: 5,
    backoffMs: 5_000,
    timeoutMs: 5 * 60_000,
    description:
      'Walks the tenant’s alert feed from its cursor and sends e-mail, SMS and Web Push to the recipients the rules pick, once each; failed messages are retried on later runs.',
  }),
  'notify.escalate': job({
    queue: 'notify',
    payload: tenantOnly,
    attempts: 3,
    backoffMs: 5_000,
    timeoutMs: 60_000,
    description:
      'Escalates the tenant’s alerts left unacknowledged too long (critical, escalation recipients told) and wakes notify.send when feed events wait past its cursor.',
  }),
  'notify.sweep': job({
    queue: 'notify',
    payload: z.object({}).strict(),
    attempts: 1,
    backoffMs: 1_000,
    timeoutMs: 60_000,
    schedule: { every: 60_000 },
    description:
      'Every minute: one notify.escalate per active tenant (escalation, and the safety net for a lost wake-up or a retry that is due).',
  }),
} as const;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.input<(typeof JOBS)[N]['payload']>;

export const SCHEDULE_TIMEZONE = 'America/Bogota';

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}
