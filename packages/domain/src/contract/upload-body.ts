import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { AppError } from '../errors';
import {
  MAX_SAMPLES_PER_BATCH,
  uploadBatchObject,
  uploadBatchSchema,
  type UploadBatch,
} from './upload';
import { validationError } from '../errors';

/**
 * From the bytes of an upload request to a checked batch: decompression with a ceiling
 * (a gzip bomb stops at the limit), JSON or NDJSON, the contract's zod schema, then the
 * checks that need the tenant (known bindings, plausible timestamps, the sender's id).
 * Every refusal is an AppError whose message names the problem; nothing is half-accepted.
 */
export type BodyFormat = 'json' | 'ndjson';

export interface BodyLimits {
  /** Bytes on the wire (compressed). */
  maxBodyBytes: number;
  /** Bytes after decompression. */
  maxDecodedBytes: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  // 50,000 samples (the contract's maximum) take about 7 MB of JSON.
  maxDecodedBytes: 24 * 1024 * 1024,
};

export function formatOfContentType(contentType: string | null): BodyFormat {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
  throw new AppError(
    'UNSUPPORTED_MEDIA',
    `content-type must be application/json or application/x-ndjson, not "${type || '(none)'}"`,
  );
}

export function decompressBody(
  body: Uint8Array,
  contentEncoding: string | null,
  limits: BodyLimits,
): Buffer {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (encoding === 'identity' || encoding === '') {
    if (bytes.length > limits.maxDecodedBytes) throw tooLarge('decoded', limits.maxDecodedBytes);
    return bytes;
  }
  if (encoding !== 'gzip') {
    throw new AppError(
      'UNSUPPORTED_MEDIA',
      `content-encoding must be gzip or identity, not "${encoding}"`,
    );
  }
  try {
    return gunzipSync(bytes, { maxOutputLength: limits.maxDecodedBytes });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('decoded', limits.maxDecodedBytes);
    throw new AppError(
      'VALIDATION',
      `body is not valid gzip (${(error as Error).message}); was the upload cut short?`,
      { details: { zlib: code ?? null } },
    );
  }
}

export function tooLarge(what: 'body' | 'decoded', limit: number): AppError {
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    what === 'body'
      ? `request body exceeds ${limit} bytes; send smaller batches`
      : `decompressed body exceeds ${limit} bytes; send smaller batches`,
    { details: { limit } },
  );
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const hint = /\b(NaN|-?Infinity)\b/.test(text)
      ? ' — JSON has no NaN or Infinity: send value null with quality bad'
      : '';
    throw new AppError('VALIDATION', `${where} is not JSON: ${(error as Error).message}${hint}`);
  }
}

/**
 * NDJSON form: the first line is the batch without its arrays; each following line is a
 * sample, or `{"aggregate": {…}}` for a connector aggregate. Blank lines are ignored.
 */
function assembleNdjson(text: string): unknown {
  const lines = text.split('\n');
  let header: Record<string, unknown> | null = null;
  const samples: unknown[] = [];
  const aggregates: unknown[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const value = parseJson(line, `line ${index + 1}`);
    if (header === null) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new AppError('VALIDATION', 'line 1 must be the batch header object');
      header = value as Record<string, unknown>;
    } else if (typeof value === 'object' && value !== null && 'aggregate' in value) {
      aggregates.push((value as { aggregate: unknown }).aggregate);
    } else {
      samples.push(value);
    }
  });
  if (header === null) throw new AppError('VALIDATION', 'body is empty');
  return { ...(header as object), samples, ...(aggregates.length ? { aggregates } : {}) };
}

export interface DecodedUpload {
  batch: UploadBatch;
  /** SHA-256 of the decoded batch without its createdAt (a re-send is compressed and stamped anew). */
  digest: string;
}

const COMMON_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const STATUSES = new Set(['good', 'uncertain', 'bad']);

/**
 * True when a sample has exactly the shape connectors send (every key as the schema says,
 * a finite value or null, an instant as toISOString writes it and that is a real date).
 * Strictly narrower than the zod schema: whatever it does not recognise goes to zod.
 */
function isCommonSample(s: unknown): boolean {
  if (typeof s !== 'object' || s === null) return false;
  const sample = s as Record<string, unknown>;
  let keys = 0;
  for (const key in sample) {
    if (key !== 'binding' && key !== 'ts' && key !== 'value' && key !== 'quality') return false;
    keys++;
  }
  if (keys !== 4) return false;
  const { binding, ts, value, quality } = sample;
  if (typeof binding !== 'string' || binding.length < 1 || binding.length > 64) return false;
  if (typeof ts !== 'string' || !COMMON_INSTANT.test(ts)) return false;
  const ms = Date.parse(ts);
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== ts) return false;
  if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) return false;
  if (typeof quality !== 'object' || quality === null) return false;
  const q = quality as Record<string, unknown>;
  for (const key in q) if (key !== 'status' && key !== 'code') return false;
  if (typeof q.status !== 'string' || !STATUSES.has(q.status)) return false;
  if (q.code !== undefined) {
    const code = q.code;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 0xffff_ffff)
      return false;
  }
  return true;
}

/**
 * The contract's zod schema decides; for a large batch whose samples all have the common
 * shape, zod checks everything but the samples array (the hot path: 5,000 objects).
 */
function parseContract(value: unknown): UploadBatch {
  if (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { samples?: unknown }).samples) &&
    (value as { samples: unknown[] }).samples.length <= MAX_SAMPLES_PER_BATCH &&
    (value as { samples: unknown[] }).samples.every(isCommonSample)
  ) {
    const { samples, ...rest } = value as { samples: UploadBatch['samples'] };
    const parsed = uploadBatchObject.safeParse({ ...rest, samples: [] });
    // With samples present, the schema's "at least one sample or aggregate" rule holds.
    if (parsed.success && samples.length > 0) return { ...parsed.data, samples };
  }
  const parsed = uploadBatchSchema.safeParse(value);
  if (!parsed.success) throw validationError('Upload batch', parsed.error.issues.slice(0, 50));
  return parsed.data;
}

/** Decoded bytes → a batch that satisfies the contract, or a VALIDATION error naming every problem. */
export function parseUploadBody(decoded: Buffer, format: BodyFormat): DecodedUpload {
  const text = decoded.toString('utf8');
  const value = format === 'json' ? parseJson(text, 'body') : assembleNdjson(text);
  const batch = parseContract(value);
  // The content's digest: the bytes as sent, without the member a re-send may change
  // (createdAt). A re-send must repeat the batch as first serialised; the connector does.
  const member = `"createdAt":${JSON.stringify(batch.createdAt)}`;
  const at = text.indexOf(member);
  const hash = createHash('sha256');
  if (at < 0) hash.update(text);
  else hash.update(text.slice(0, at)).update(text.slice(at + member.length));
  const digest = hash.digest('hex');
  return { batch, digest };
}

export interface TenantCheck {
  /** Variable ids of the tenant: a binding must be one of them. */
  isKnownBinding: (binding: string) => boolean;
  /** The connector the credential belongs to. */
  connectorId: string;
  nowMs: number;
  /** Readings further ahead than this are refused (a clock gone wrong, not skew). */
  maxFutureMs: number;
  /** Readings older than this are beyond the retention and refused. */
  oldestMs: number;
}

export const DEFAULT_MAX_FUTURE_MS = 24 * 3600_000;
const MAX_LISTED = 20;

/** The checks that need the tenant. All problems are listed (up to 20 per kind). */
export function checkBatchForTenant(batch: UploadBatch, check: TenantCheck): void {
  const problems: Array<{ path: string; message: string }> = [];
  if (batch.connectorId !== check.connectorId) {
    throw new AppError(
      'FORBIDDEN',
      'connectorId of the batch is not the connector this credential belongs to',
      { details: { connectorId: batch.connectorId } },
    );
  }
  const unknown = new Map<string, number>();
  let future = 0;
  let old = 0;
  const inspect = (binding: string, ts: string, path: string) => {
    if (!check.isKnownBinding(binding)) {
      if (!unknown.has(binding)) unknown.set(binding, 0);
      unknown.set(binding, unknown.get(binding)! + 1);
      if (unknown.size <= MAX_LISTED && unknown.get(binding) === 1)
        problems.push({ path, message: `unknown variable "${binding}" for this company` });
    }
    const ms = Date.parse(ts);
    if (ms > check.nowMs + check.maxFutureMs) {
      if (++future <= MAX_LISTED)
        problems.push({
          path,
          message: `timestamp ${ts} is more than ${check.maxFutureMs / 3600_000} h in the future (server time ${new Date(check.nowMs).toISOString()})`,
        });
    } else if (ms < check.oldestMs) {
      if (++old <= MAX_LISTED)
        problems.push({
          path,
          message: `timestamp ${ts} is older than the retention (${new Date(check.oldestMs).toISOString()})`,
        });
    }
  };
  batch.samples.forEach((s, i) => inspect(s.binding, s.ts, `samples.${i}`));
  batch.aggregates?.forEach((a, i) => inspect(a.binding, a.slotStart, `aggregates.${i}`));
  if (problems.length === 0) return;
  const counts = [
    unknown.size ? `${unknown.size} unknown variable(s)` : null,
    future ? `${future} timestamp(s) in the future` : null,
    old ? `${old} timestamp(s) beyond the retention` : null,
  ].filter(Boolean);
  throw new AppError(
    'VALIDATION',
    `Upload batch refused, nothing stored: ${counts.join(', ')}. ${problems
      .slice(0, 5)
      .map((p) => `${p.path}: ${p.message}`)
      .join('; ')}`,
    { details: { problems, unknownBindings: [...unknown.keys()].slice(0, MAX_LISTED) } },
  );
}
