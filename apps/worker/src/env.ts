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
  /**
   * Alert notifications (src/notify/). Every channel is optional: unset, it is off (the
   * log says so once at start). The public URL of the web app is for links in messages.
   */
  APP_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** E-mail, e.g. smtp://user:pass@mail.example.co:587 (the web app's same server). */
  SMTP_URL: z.string().url().optional(),
  MAIL_FROM: z.string().default('ANH Smart Reporter <no-reply@anh-smart-reporter.local>'),
  /** SMS through Twilio: all three, or none. */
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'TWILIO_ACCOUNT_SID: AC followed by 32 hex digits')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  /** The sender: a number in E.164 (+1…) or a messaging service SID (MG…). */
  TWILIO_FROM: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$|^MG[0-9a-fA-F]{32}$/, 'TWILIO_FROM: +E.164 or MG… SID')
    .optional(),
  /** Another base URL for Twilio's REST API (a regional edge, a test server). */
  TWILIO_API_BASE: z.string().url().optional(),
  /** Web Push: the VAPID key pair (base64url, as `web-push generate-vapid-keys` prints). */
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{87}$/, 'VAPID_PUBLIC_KEY: 65 bytes, base64url')
    .optional(),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'VAPID_PRIVATE_KEY: 32 bytes, base64url')
    .optional(),
  /** Who push services may contact: mailto:… or https://… */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'VAPID_SUBJECT: mailto: or https: URL')
    .default('mailto:soporte@anh-smart-reporter.local'),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

/** Settings that only work together: half a channel is a mistake, said at start-up. */
const completeChannels = workerEnvSchema.superRefine((env, ctx) => {
  const groups: Array<[string, Array<keyof WorkerEnv>]> = [
    ['SMS', ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM']],
    ['Web Push', ['VAPID_PUBLIC_KEY', 'VAPID_PRIVATE_KEY']],
  ];
  for (const [channel, keys] of groups) {
    const set = keys.filter((key) => env[key] !== undefined);
    if (set.length > 0 && set.length < keys.length)
      ctx.addIssue({
        code: 'custom',
        path: [keys.find((key) => env[key] === undefined)!],
        message: `${channel} needs ${keys.join(', ')} together (or none of them)`,
      });
  }
});

export function readWorkerEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  return completeChannels.parse(source);
}
