import { gzipSync } from 'node:zlib';
import {
  UPLOAD_CONTRACT_VERSION,
  connectorStatusHeaders,
  type UploadBatch,
} from '@anh/domain/upload';
import type { DurableBuffer, LeasedBatch } from '../buffer/store';
import type { Logger } from '../log';

/**
 * Sends the buffer to the cloud, one batch at a time, in drain order. A batch is deleted
 * from the buffer only when the cloud acknowledges its id; until then the same batch
 * (same id, same samples) is re-sent after an exponential backoff with jitter, so
 * re-sending is harmless and nothing is lost while the link is down.
 */
export interface UploaderOptions {
  buffer: DurableBuffer;
  /** Base URL of the cloud; batches go to `${cloudUrl}/api/ingest/v1/batches`. */
  cloudUrl: string;
  connectorId: string;
  /** Connector credential (`keyId.secret`), sent as a bearer token. */
  credential: string;
  maxSamples: number;
  /** Wait this long for more samples when the buffer holds less than a full batch. */
  maxDelayMs: number;
  requestTimeoutMs?: number;
  maxBackoffMs?: number;
  fetchImpl?: typeof fetch;
  /** Reported with each upload, with the buffer's depth and age (see connectorStatusHeaders). */
  version?: string;
  /** Told of every upload attempt, for the metrics (src/metrics.ts). */
  onUpload?: (upload: UploadResult) => void;
  /** Failures (the first of a streak, then every 10th) and the recovery are logged. */
  log?: Logger;
}

/**
 * One upload attempt: acknowledged (the batch left the buffer), refused (set aside for
 * good: 400, 409, 413, 415, 422) or failed (sent again after a backoff).
 */
export interface UploadResult {
  outcome: 'acknowledged' | 'refused' | 'failed';
  seconds: number;
  samples: number;
}

export interface UploaderStatus {
  sent: number;
  acknowledgedSamples: number;
  acknowledgedAggregates: number;
  failures: number;
  consecutiveFailures: number;
  lastError: string | null;
  lastAckAt: number | null;
  /** Batches the cloud refused as a whole and that were set aside. */
  rejected: number;
}

/**
 * Statuses that mean "this batch, as it is, will never be accepted": re-sending it would
 * block the buffer forever. Credential and rate problems (401, 403, 423, 429) are retried.
 */
const REFUSED_FOR_GOOD = new Set([400, 409, 413, 415, 422]);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    // The listener goes when the sleep ends: the signal lives as long as the uploader.
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', wake);
      resolve();
    }, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });

export function toUploadBatch(
  batch: LeasedBatch,
  connectorId: string,
  createdAt = new Date(),
): UploadBatch {
  return {
    contract: UPLOAD_CONTRACT_VERSION,
    batchId: batch.batchId,
    connectorId,
    sequence: batch.sequence,
    createdAt: createdAt.toISOString(),
    samples: batch.samples.map((s) => ({
      binding: s.binding,
      ts: new Date(s.ts).toISOString(),
      value: s.value,
      quality: {
        status: s.status === 0 ? 'good' : s.status === 1 ? 'uncertain' : 'bad',
        ...(s.code === null ? {} : { code: s.code >>> 0 }),
      },
    })),
    ...(batch.aggregates.length > 0
      ? {
          aggregates: batch.aggregates.map((a) => ({
            binding: a.binding,
            slotStart: new Date(a.slotStart).toISOString(),
            count: a.count,
            mean: a.sum / a.count,
            min: a.min,
            max: a.max,
            first: { ts: new Date(a.firstTs).toISOString(), value: a.firstValue },
            last: { ts: new Date(a.lastTs).toISOString(), value: a.lastValue },
            worstQuality:
              a.worstStatus === 0
                ? ('good' as const)
                : a.worstStatus === 1
                  ? ('uncertain' as const)
                  : ('bad' as const),
          })),
        }
      : {}),
  };
}

export class Uploader {
  private readonly status_: UploaderStatus = {
    sent: 0,
    acknowledgedSamples: 0,
    acknowledgedAggregates: 0,
    failures: 0,
    consecutiveFailures: 0,
    lastError: null,
    lastAckAt: null,
    rejected: 0,
  };
  /** Aborts the request on the wire: only once a stop's grace period is over. */
  private readonly abort = new AbortController();
  /** Asked to stop: no new upload starts, sleeps end at once. */
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(private readonly options: UploaderOptions) {}

  status(): UploaderStatus {
    return { ...this.status_ };
  }

  private prepared: { batch: LeasedBatch; body: Buffer } | null = null;

  private prepare(afterSequence: number): { batch: LeasedBatch; body: Buffer } | null {
    const batch = this.options.buffer.leaseBatch(this.options.maxSamples, afterSequence);
    if (!batch) return null;
    // Level 1: most of the size gain for a fraction of the CPU (satellite links pay for
    // bytes, site PCs for CPU).
    const body = gzipSync(JSON.stringify(toUploadBatch(batch, this.options.connectorId)), {
      level: 1,
    });
    return { batch, body };
  }

  private health: { at: number; headers: Record<string, string> } | null = null;

  /** The buffer's depth and age, counted at most every 10 s (a count over a deep buffer costs). */
  private statusHeaders(): Record<string, string> {
    const now = Date.now();
    if (!this.health || now - this.health.at > 10_000) {
      const stats = this.options.buffer.stats();
      this.health = {
        at: now,
        headers: connectorStatusHeaders({
          version: this.options.version ?? '0.0.0',
          bufferDepth: stats.depth,
          oldestTs: stats.oldestTs,
        }),
      };
    }
    return this.health.headers;
  }

  /**
   * Sends one batch if there is one; true when the cloud acknowledged it. Batches go one
   * at a time, in sequence; the next one is prepared while the current one is on the wire.
   */
  async sendOnce(): Promise<boolean> {
    const current = this.prepared ?? this.prepare(-1);
    this.prepared = null;
    if (!current) return false;
    const started = performance.now();
    const report = (outcome: UploadResult['outcome']) =>
      this.options.onUpload?.({
        outcome,
        seconds: (performance.now() - started) / 1000,
        samples: current.batch.samples.length,
      });
    try {
      return await this.send(current, report);
    } catch (error) {
      // A request cut short by stop() is not a failure of the cloud's.
      if (!this.abort.signal.aborted) report('failed');
      throw error;
    }
  }

  private async send(
    current: { batch: LeasedBatch; body: Buffer },
    report: (outcome: UploadResult['outcome']) => void,
  ): Promise<boolean> {
    const fetchImpl = this.options.fetchImpl ?? fetch;
    this.status_.sent++;
    const request = fetchImpl(`${this.options.cloudUrl.replace(/\/$/, '')}/api/ingest/v1/batches`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        authorization: `Bearer ${this.options.credential}`,
        'idempotency-key': current.batch.batchId,
        ...this.statusHeaders(),
      },
      body: current.body,
      signal: AbortSignal.any([
        this.abort.signal,
        AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
      ]),
    });
    // Handled now, awaited below: a refused connection may reject before we get there,
    // and an unhandled rejection would take the whole connector down.
    request.catch(() => undefined);
    // Let the request reach the socket before the synchronous preparation takes the thread.
    await new Promise((resolve) => setImmediate(resolve));
    const next = this.prepare(current.batch.sequence);
    const response = await request;
    const text = await response.text();
    if (REFUSED_FOR_GOOD.has(response.status)) {
      this.options.buffer.reject(current.batch, `${response.status}: ${text}`);
      this.status_.rejected++;
      this.status_.lastError = `batch ${current.batch.batchId} refused (${response.status}): ${text.slice(0, 300)}`;
      report('refused');
      this.options.log?.warn('batch refused by the cloud; set aside in the buffer', {
        batchId: current.batch.batchId,
        status: response.status,
        samples: current.batch.samples.length,
        answer: text.slice(0, 300),
      });
      // The prepared next batch was leased after this one: it may go now.
      this.prepared = next;
      return true;
    }
    if (!response.ok) throw new Error(`cloud answered ${response.status}: ${text.slice(0, 300)}`);
    this.options.buffer.acknowledge(current.batch.batchId);
    report('acknowledged');
    // Only after the current batch is acknowledged may the next one go.
    this.prepared = next;
    this.status_.acknowledgedSamples += current.batch.samples.length;
    this.status_.acknowledgedAggregates += current.batch.aggregates.length;
    this.status_.lastAckAt = Date.now();
    return true;
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    const stopping = this.stopping.signal;
    while (!stopping.aborted) {
      try {
        const sent = await this.sendOnce();
        if (sent && this.status_.consecutiveFailures > 0)
          this.options.log?.info('cloud reachable again', {
            afterFailures: this.status_.consecutiveFailures,
          });
        this.status_.consecutiveFailures = 0;
        if (!sent) await sleep(Math.min(this.options.maxDelayMs, 1000), stopping);
        else if (this.options.buffer.stats().depth < this.options.maxSamples)
          await sleep(this.options.maxDelayMs / 10, stopping);
      } catch (error) {
        if (this.abort.signal.aborted) break;
        this.status_.failures++;
        this.status_.consecutiveFailures++;
        this.status_.lastError = (error as Error).message;
        // A cloud that is down for an hour must not fill the disk with the same line.
        if (this.status_.consecutiveFailures % 10 === 1)
          this.options.log?.warn('upload failed; the batch stays in the buffer', {
            consecutiveFailures: this.status_.consecutiveFailures,
            error: (error as Error).message,
          });
        const ceiling = Math.min(
          this.options.maxBackoffMs ?? 60_000,
          250 * 2 ** Math.min(this.status_.consecutiveFailures, 16),
        );
        await sleep(ceiling * (0.5 + Math.random() * 0.5), stopping);
      }
    }
  }

  /**
   * Stops uploading. An upload on the wire may finish for `graceMs` (its acknowledgement
   * then takes the batch out of the buffer); past that it is cut off, and the batch stays
   * leased in the buffer, to be sent again (same id) when the connector starts again.
   */
  async stop(graceMs = 0): Promise<void> {
    this.stopping.abort();
    if (this.loop && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.loop,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.abort.abort();
    await this.loop;
  }
}
