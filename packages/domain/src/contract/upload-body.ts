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
      aggregates.push(value.aggregate);
    } else {
      samples.push(value);
    }
  });
  if (header === null) throw new AppError('VALIDATION', 'body is empty');
  return { ...(header as object), samples, ...(aggregates.length ? { aggregates } : {}) };
}

export interface DecodedUpload {
  batch: UploadBatch;
  /** Epoch ms of each sample's ts, in order. */
  times: Float64Array;
  /** SHA-256 of the decoded batch without its createdAt (a re-send is compressed and stamped anew). */
  digest: string;
}

const STATUSES = new Set(['good', 'uncertain', 'bad']);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch ms of an instant written exactly as toISOString writes it
 * (`2026-11-27T15:00:00.000Z`) and naming a real date and time, else NaN. Digit
 * arithmetic, no Date object: this runs once per sample on the hot path.
 */
export function commonInstantMs(ts: string): number {
  if (ts.length !== 24 || ts.charCodeAt(23) !== 90 /* Z */) return Number.NaN;
  let value = 0;
  const digits = (from: number, to: number): number => {
    value = 0;
    for (let i = from; i < to; i++) {
      const d = ts.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return -1;
      value = value * 10 + d;
    }
    return value;
  };
  const sep = (i: number, c: string) => ts[i] === c;
  if (
    !sep(4, '-') ||
    !sep(7, '-') ||
    !sep(10, 'T') ||
    !sep(13, ':') ||
    !sep(16, ':') ||
    !sep(19, '.')
  )
    return Number.NaN;
  const year = digits(0, 4);
  const month = digits(5, 7);
  const day = digits(8, 10);
  const hour = digits(11, 13);
  const minute = digits(14, 16);
  const second = digits(17, 19);
  const ms = digits(20, 23);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return Number.NaN;
  if (minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return Number.NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/**
 * Epoch ms of a sample that has exactly the shape connectors send (every key as the
 * schema says, a finite value or null, a common instant), else NaN. Strictly narrower
 * than the zod schema: whatever it does not recognise goes to zod.
 */
function commonSampleMs(s: unknown): number {
  if (typeof s !== 'object' || s === null) return Number.NaN;
  const sample = s as Record<string, unknown>;
  const keys = Object.keys(sample);
  if (keys.length !== 4) return Number.NaN;
  const { binding, ts, value, quality } = sample;
  if (typeof binding !== 'string' || binding.length < 1 || binding.length > 64) return Number.NaN;
  if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) return Number.NaN;
  if (typeof quality !== 'object' || quality === null) return Number.NaN;
  const q = quality as Record<string, unknown>;
  const qualityKeys = Object.keys(q).length;
  if (typeof q.status !== 'string' || !STATUSES.has(q.status)) return Number.NaN;
  if (q.code === undefined) {
    if (qualityKeys !== 1) return Number.NaN;
  } else {
    const code = q.code;
    if (qualityKeys !== 2 || typeof code !== 'number' || !Number.isInteger(code)) return Number.NaN;
    if (code < 0 || code > 0xffff_ffff) return Number.NaN;
  }
  // Four keys, and binding, value and quality among them: ts is the fourth.
  if (typeof ts !== 'string' || !('value' in sample)) return Number.NaN;
  return commonInstantMs(ts);
}

/**
 * The contract's zod schema decides; for a batch whose samples all have the common shape,
 * zod checks everything but the samples array (the hot path: 5,000 objects). Returns the
 * epoch ms of every sample too, so nothing downstream parses a timestamp again.
 */
function parseContract(value: unknown): { batch: UploadBatch; times: Float64Array } {
  const samples = (value as { samples?: unknown } | null)?.samples;
  if (Array.isArray(samples) && samples.length > 0 && samples.length <= MAX_SAMPLES_PER_BATCH) {
    const times = new Float64Array(samples.length);
    let common = true;
    for (let i = 0; i < samples.length; i++) {
      const ms = commonSampleMs(samples[i]);
      if (ms !== ms) {
        common = false;
        break;
      }
      times[i] = ms;
    }
    if (common) {
      const { samples: _, ...rest } = value as { samples: unknown[] };
      const parsed = uploadBatchObject.safeParse({ ...rest, samples: [] });
      // With samples present, the schema's "at least one sample or aggregate" rule holds.
      if (parsed.success)
        return { batch: { ...parsed.data, samples: samples as UploadBatch['samples'] }, times };
    }
  }
  const parsed = uploadBatchSchema.safeParse(value);
  if (!parsed.success) throw validationError('Upload batch', parsed.error.issues.slice(0, 50));
  return {
    batch: parsed.data,
    times: Float64Array.from(parsed.data.samples, (s) => Date.parse(s.ts)),
  };
}

/** Decoded bytes → a batch that satisfies the contract, or a VALIDATION error naming every problem. */
export function parseUploadBody(decoded: Buffer, format: BodyFormat): DecodedUpload {
  const text = decoded.toString('utf8');
  const value = format === 'json' ? parseJson(text, 'body') : assembleNdjson(text);
  const { batch, times } = parseContract(value);
  // The content's digest: the bytes as sent, without the member a re-send may change
  // (createdAt). A re-send must repeat the batch as first serialised; the connector does.
  const member = `"createdAt":${JSON.stringify(batch.createdAt)}`;
  const at = text.indexOf(member);
  const hash = createHash('sha256');
  if (at < 0) hash.update(text);
  else hash.update(text.slice(0, at)).update(text.slice(at + member.length));
  const digest = hash.digest('hex');
  return { batch, times, digest };
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
export function checkBatchForTenant(
  batch: UploadBatch,
  check: TenantCheck,
  times: Float64Array = Float64Array.from(batch.samples, (s) => Date.parse(s.ts)),
): void {
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
  const inspect = (binding: string, ts: string, path: string, ms: number) => {
    if (!check.isKnownBinding(binding)) {
      if (!unknown.has(binding)) unknown.set(binding, 0);
      unknown.set(binding, unknown.get(binding)! + 1);
      if (unknown.size <= MAX_LISTED && unknown.get(binding) === 1)
        problems.push({ path, message: `unknown variable "${binding}" for this company` });
    }
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
  const samples = batch.samples;
  for (let i = 0; i < samples.length; i++)
    inspect(samples[i]!.binding, samples[i]!.ts, `samples.${i}`, times[i]!);
  batch.aggregates?.forEach((a, i) =>
    inspect(a.binding, a.slotStart, `aggregates.${i}`, Date.parse(a.slotStart)),
  );
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
