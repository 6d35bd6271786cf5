import { Redis } from 'ioredis';
import { createQueues, wakeValidate, type Queues } from '@anh/worker/queues';
import { webEnv } from '~/env';
import { createMailer, type Mailer } from '../mail';
import { parseKeyRing, type KeyRing } from '@anh/domain/secret-box';
import { getDb } from '../db';
import { CredentialCache } from './credential-cache';
import { StatusThrottle, VariableIdCache, type IngestDeps } from './handle';
import { RateLimiter } from './rate-limit';

// One set per server process (kept on globalThis for the same reason as getDb()).
const globalForIngest = globalThis as unknown as { anhIngest?: IngestDeps; anhQueues?: Queues };

export function queues(): Queues {
  if (!globalForIngest.anhQueues) {
    const env = webEnv();
    // Fail fast while Redis is away: the batch is already committed, and the worker's
    // sweep finds it; the connector must not wait on Redis for its acknowledgement.
    const connection = new Redis(env.REDIS_URL, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
    });
    connection.on('error', () => undefined);
    globalForIngest.anhQueues = createQueues({ connection, prefix: env.QUEUE_PREFIX });
  }
  return globalForIngest.anhQueues;
}

export function ingestDeps(): IngestDeps {
  if (!globalForIngest.anhIngest) {
    const env = webEnv();
    globalForIngest.anhIngest = {
      db: getDb(),
      wake: (tenantId) => wakeValidate(queues(), tenantId),
      now: () => Date.now(),
      retentionMonths: env.TELEMETRY_RETENTION_MONTHS,
      maxBodyBytes: env.INGEST_MAX_BODY_BYTES,
      maxBatchesPerMinute: env.INGEST_MAX_BATCHES_PER_MINUTE,
      credentials: new CredentialCache(),
      limiter: new RateLimiter(),
      variableIds: new VariableIdCache(),
      statusThrottle: new StatusThrottle(),
      onWakeError: (error) =>
        console.warn(
          JSON.stringify({
            level: 'warn',
            msg: 'pipeline wake-up failed; the sweep will find the batch',
            error: String(error),
          }),
        ),
    };
  }
  return globalForIngest.anhIngest;
}

let ring: KeyRing | null | undefined;

/** The delivery credentials' key ring from SECRETS_KEYRING, or null when unset. */
export function keyRing(): KeyRing | null {
  if (ring === undefined) {
    const spec = webEnv().SECRETS_KEYRING;
    ring = spec ? parseKeyRing(spec) : null;
  }
  return ring;
}

let mailer: Mailer | null | undefined;

/** The SMTP mailer from SMTP_URL, or null when unset. */
export function mailerFromEnv(): Mailer | null {
  if (mailer === undefined) {
    const env = webEnv();
    mailer = env.SMTP_URL ? createMailer(env.SMTP_URL, env.MAIL_FROM) : null;
  }
  return mailer;
}
