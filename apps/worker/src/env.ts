import { z } from 'zod';

/** The worker's whole configuration, parsed once at start-up. */
export const workerEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/anh'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  TENANT_ROLE_SECRET: z
    .string({ error: 'TENANT_ROLE_SECRET is required (32+ random characters; see README)' })
    .min(32),
  WORKER_HEALTH_HOST: z.string().default('127.0.0.1'),
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]+$/)
    .default('anh'),
  /** A 10-minute slot is aggregated this long after it closes. */
  AGGREGATE_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** Raw telemetry is kept this many months (ANH: 5 years), then dropped a month at a time. */
  TELEMETRY_RETENTION_MONTHS: z.coerce.number().int().min(1).max(240).default(60),
  /** How often the sweep looks for work a lost wake-up left waiting. */
  PIPELINE_SWEEP_EVERY_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /** A job whose worker died is taken again after this long. */
  JOB_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /**
   * Keys that seal delivery credentials: `id:base64(32 bytes)[,id:key…]`, the first one
   * current (rotation: docs/ARCHITECTURE.md). Without it reports are built but not sent.
   */
  SECRETS_KEYRING: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * The live-alert gateway (socket.io, several at once through the Redis adapter). It runs
   * when LIVE_TOKEN_SECRET is set (the web app's same value signs the browsers' tokens).
   */
  LIVE_TOKEN_SECRET: z.string().min(32).optional(),
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  /** 0: any free port (tests). */
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(3002),
  /** Web origins allowed to connect (comma-separated), e.g. https://app.example.co. */
  GATEWAY_ALLOWED_ORIGINS: z.string().default('http://127.0.0.1:3000,http://localhost:3000'),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export function readWorkerEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  return workerEnvSchema.parse(source);
}
