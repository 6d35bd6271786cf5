import { gzipSync } from 'node:zlib';
import { recordConnectorStatus, type Database } from '@anh/db';
import { loadVariableIds, retentionCutoff, storeBatch } from '@anh/db/telemetry';
import { AppError, isAppError } from '@anh/domain/errors';
import {
  checkBatchForTenant,
  decompressBody,
  DEFAULT_BODY_LIMITS,
  DEFAULT_MAX_FUTURE_MS,
  formatOfContentType,
  parseUploadBody,
  tooLarge,
} from '@anh/domain/upload-body';
import { readConnectorStatus } from '@anh/domain/upload';
import type { CredentialCache } from './credential-cache';
import type { RateLimiter } from './rate-limit';
import { requestIdOf, webLog, withRequestId } from '../log';
import { recordIngest } from '../metrics';

/**
 * POST /api/ingest/v1/batches — the connector upload (docs/upload-protocol.md). In order:
 * credential → rate limit → body read with a ceiling → decode and check against the
 * contract and the tenant → one transaction that stores it → 200. Anything refused before
 * the transaction writes nothing; the transaction writes all or nothing. The pipeline is
 * woken after the commit, and a lost wake-up only delays it (the sweep finds the batch).
 */
export interface IngestDeps {
  db: Database;
  /** Wakes the validate stage for a tenant (BullMQ); failures are logged, never fatal. */
  wake: (tenantId: string) => Promise<void>;
  now: () => number;
  retentionMonths: number;
  maxBodyBytes: number;
  maxBatchesPerMinute: number;
  credentials: CredentialCache;
  limiter: RateLimiter;
  variableIds: VariableIdCache;
  /** Health headers are written at most every 10 s per connector. */
  statusThrottle: StatusThrottle;
  onWakeError?: (error: unknown) => void;
}

export class StatusThrottle {
  private readonly last = new Map<string, number>();
  constructor(private readonly everyMs = 10_000) {}

  due(connectorId: string, nowMs: number): boolean {
    const at = this.last.get(connectorId);
    if (at !== undefined && nowMs - at < this.everyMs && nowMs >= at) return false;
    this.last.set(connectorId, nowMs);
    return true;
  }
}

/** The tenant's variable ids, re-read at most every 30 s, or at once when a binding is unknown. */
export class VariableIdCache {
  private readonly entries = new Map<string, { ids: Set<string>; at: number }>();

  async get(db: Database, tenantId: string, nowMs: number, fresh = false): Promise<Set<string>> {
    const hit = this.entries.get(tenantId);
    if (hit && !fresh && nowMs - hit.at < 30_000) return hit.ids;
    const ids = await db.withTenantClient(tenantId, loadVariableIds);
    this.entries.set(tenantId, { ids, at: nowMs });
    return ids;
  }
}

export function errorResponse(error: unknown): Response {
  const appError = isAppError(error)
    ? error
    : new AppError('INTERNAL', 'internal error; the batch was not stored, send it again');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const retryAfter = appError.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
  return new Response(
    JSON.stringify({
      error: { code: appError.code, message: appError.message, details: appError.details ?? {} },
    }),
    { status: appError.httpStatus, headers },
  );
}

async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw tooLarge('body', limit);
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge('body', limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

export async function handleIngest(request: Request, deps: IngestDeps): Promise<Response> {
  // Instrumentation: who (tenant, connector) and how many readings, known as the checks
  // pass; counted and logged once the answer is decided (src/server/metrics.ts, log.ts).
  const started = performance.now();
  const requestId = requestIdOf(request);
  let tenantId: string | null = null;
  let connectorId: string | null = null;
  let samples = 0;
  try {
    const now = deps.now();
    const authorization = request.headers.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match)
      throw new AppError('UNAUTHENTICATED', 'authorization: Bearer <keyId.secret> is required');
    const connector = await deps.credentials.authenticate(deps.db, match[1]!, now);
    tenantId = connector.tenantId;
    connectorId = connector.connectorId;
    const waitMs = deps.limiter.take(
      connector.connectorId,
      connector.maxBatchesPerMinute ?? deps.maxBatchesPerMinute,
      now,
    );
    if (waitMs > 0) {
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      throw new AppError('RATE_LIMITED', `too many batches; retry in ${retryAfterSeconds} s`, {
        details: { retryAfterSeconds },
      });
    }
    const format = formatOfContentType(request.headers.get('content-type'));
    const body = await readBody(request, connector.maxBodyBytes ?? deps.maxBodyBytes);
    const decoded = decompressBody(
      body,
      request.headers.get('content-encoding'),
      DEFAULT_BODY_LIMITS,
    );
    const { batch, times, digest } = parseUploadBody(decoded, format);
    samples = batch.samples.length;
    const idempotencyKey = request.headers.get('idempotency-key');
    if (idempotencyKey !== null && idempotencyKey !== batch.batchId)
      throw new AppError('VALIDATION', 'idempotency-key header differs from the batch id');

    let ids = await deps.variableIds.get(deps.db, connector.tenantId, now);
    const unknown = (list: Set<string>) =>
      batch.samples.some((s) => !list.has(s.binding)) ||
      (batch.aggregates ?? []).some((a) => !list.has(a.binding));
    // A variable created seconds ago must not be refused for a stale cache.
    if (unknown(ids)) ids = await deps.variableIds.get(deps.db, connector.tenantId, now, true);
    checkBatchForTenant(
      batch,
      {
        isKnownBinding: (binding) => ids.has(binding),
        connectorId: connector.connectorId,
        nowMs: now,
        maxFutureMs: DEFAULT_MAX_FUTURE_MS,
        oldestMs: retentionCutoff(now, deps.retentionMonths),
      },
      times,
    );
    // Stored as received when it came compressed; compressed here when it did not.
    const gzipped =
      (request.headers.get('content-encoding') ?? '').toLowerCase() === 'gzip'
        ? Buffer.from(body)
        : gzipSync(decoded, { level: 1 });
    const stored = await storeBatch(deps.db, connector.tenantId, {
      batch,
      times,
      digest,
      origin: 'connector',
      body: gzipped,
      bodyFormat: format,
    });
    if (!stored.duplicate) {
      await deps.wake(connector.tenantId).catch((error: unknown) => deps.onWakeError?.(error));
    }
    if (deps.statusThrottle.due(connector.connectorId, now)) {
      await recordConnectorStatus(
        deps.db,
        connector.connectorId,
        readConnectorStatus((name) => request.headers.get(name)),
        now,
      );
    }
    const outcome = stored.duplicate ? 'duplicate' : 'accepted';
    const seconds = (performance.now() - started) / 1000;
    recordIngest({ tenantId, outcome, samples, seconds });
    webLog().debug('batch stored', {
      requestId,
      tenantId,
      connectorId,
      batchId: batch.batchId,
      samples,
      duplicate: stored.duplicate,
      ms: Math.round(seconds * 1000),
    });
    return withRequestId(
      Response.json({
        batchId: batch.batchId,
        accepted: stored.samples,
        stored: stored.stored,
        aggregates: stored.aggregates,
        duplicate: stored.duplicate,
      }),
      requestId,
    );
  } catch (error) {
    const response = errorResponse(error);
    recordIngest({
      tenantId,
      outcome: 'refused',
      error,
      samples,
      seconds: (performance.now() - started) / 1000,
    });
    // A connector's mistake is a warning; our own failure (500) an error, with its cause.
    const fields = {
      requestId,
      tenantId,
      connectorId,
      status: response.status,
      code: isAppError(error) ? error.code : 'INTERNAL',
      error,
    };
    if (response.status >= 500) webLog().error('batch not stored', fields);
    else webLog().warn('batch refused', fields);
    return withRequestId(response, requestId);
  }
}
