import { z } from 'zod';

/**
 * The web app's server configuration, parsed once. Server-only: never import it from a
 * client component (NEXTAUTH_SECRET and TENANT_ROLE_SECRET must not reach a browser).
 */
export const webEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/anh'),
  TENANT_ROLE_SECRET: z
    .string({ error: 'TENANT_ROLE_SECRET is required (32+ random characters; see README)' })
    .min(32),
  NEXTAUTH_SECRET: z
    .string({ error: 'NEXTAUTH_SECRET is required (32+ random characters; see README)' })
    .min(32),
  NEXTAUTH_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** Redis of the worker's queues: ingest wakes the pipeline through it. */
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]+$/)
    .default('anh'),
  /** Readings older than this are refused at ingest (they would be dropped by retention). */
  TELEMETRY_RETENTION_MONTHS: z.coerce.number().int().min(1).max(240).default(60),
  /** Default per-connector limits (a connector's own limits, when set, win). */
  INGEST_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(8 * 1024 * 1024),
  INGEST_MAX_BATCHES_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** Outgoing e-mail, e.g. smtp://user:pass@mail.example.co:587 (unset: no e-mail is sent). */
  SMTP_URL: z.string().url().optional(),
  MAIL_FROM: z.string().default('ANH Smart Reporter <no-reply@anh-smart-reporter.local>'),
  /** Keys that seal delivery credentials (same value as the worker's; see docs/ARCHITECTURE.md). */
  SECRETS_KEYRING: z.string().min(1).optional(),
  /**
   * How long a dashboard read is served from memory before it is recomputed in the
   * background (stale-while-revalidate; see src/server/dashboard/cache.ts).
   */
  DASHBOARD_FRESH_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  /**
   * Where `npm run package -w @anh/connector` leaves the installable connector
   * (anh-connector-<version>.tgz), offered for download in the web app. Relative paths are
   * from the web app's folder.
   */
  CONNECTOR_PACKAGE_DIR: z.string().min(1).default('../connector/dist'),
  /**
   * Signs the short-lived tokens with which a signed-in browser connects to the live-alert
   * gateway (the worker's socket.io); the same value as the worker's. Unset: no live alerts.
   */
  LIVE_TOKEN_SECRET: z.string().min(32).optional(),
  /** The gateway's address as browsers reach it (e.g. https://live.example.co). */
  LIVE_GATEWAY_URL: z.string().url().default('http://127.0.0.1:3002'),
  /**
   * Web Push: the public half of the worker's VAPID key pair (its VAPID_PUBLIC_KEY), which
   * browsers subscribe with. Unset: no push subscriptions are offered.
   */
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{87}$/, 'VAPID_PUBLIC_KEY: 65 bytes, base64url')
    .optional(),
  /**
   * Prometheus scrapes `GET /api/metrics` with this bearer token (32+ characters; the
   * scrape job's `authorization.credentials`). Unset: the endpoint answers 404. A token
   * rather than an address check, because behind Vercel or a reverse proxy the app cannot
   * tell a private caller from a forwarded header someone wrote.
   */
  METRICS_TOKEN: z.string().min(32).optional(),
  /** debug, info, warn or error: the server's JSON log lines on stdout (pino). */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type WebEnv = z.infer<typeof webEnvSchema>;

let cached: WebEnv | undefined;

export function webEnv(source: Record<string, string | undefined> = process.env): WebEnv {
  if (source !== process.env) return webEnvSchema.parse(source);
  cached ??= webEnvSchema.parse(source);
  return cached;
}

/**
 * Only the VAPID public key, for the push router: read on its own so that a process (or
 * a test) without the server secrets can still answer it. Not a secret.
 */
export function vapidPublicKey(
  source: Record<string, string | undefined> = process.env,
): string | null {
  return webEnvSchema.shape.VAPID_PUBLIC_KEY.parse(source.VAPID_PUBLIC_KEY) ?? null;
}

/**
 * Only the metrics token (the metrics route) and the log level (every server module
 * that logs): read on their own, like the VAPID key, so that code and tests without the
 * server secrets can still log and count.
 */
export function metricsToken(
  source: Record<string, string | undefined> = process.env,
): string | null {
  return webEnvSchema.shape.METRICS_TOKEN.parse(source.METRICS_TOKEN || undefined) ?? null;
}

export function logLevel(
  source: Record<string, string | undefined> = process.env,
): WebEnv['LOG_LEVEL'] {
  return webEnvSchema.shape.LOG_LEVEL.parse(source.LOG_LEVEL || undefined);
}
