import { enqueue, type Queues } from '../queues';

/**
 * Wakes the tenant's notify job. Ids bucket time in quarter seconds and the job starts at
 * the end of its bucket, so every wake-up heard during a bucket is served by a run that
 * starts after it (a burst of alerts costs one run, and none is left for the sweep).
 */
const BUCKET_MS = 250;

export async function wakeNotify(
  queues: Queues,
  tenantId: string,
  nowMs = Date.now(),
  atMs = nowMs,
): Promise<void> {
  const bucket = Math.floor(Math.max(atMs, nowMs) / BUCKET_MS) + 1;
  await enqueue(
    queues,
    'notify.send',
    { tenantId },
    { jobId: `notify-${tenantId}-${bucket}`, delayMs: Math.max(1, bucket * BUCKET_MS - nowMs) },
  );
}
