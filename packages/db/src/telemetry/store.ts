import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AppError } from '@anh/domain/errors';
import { SOURCE_STATUS } from '@anh/domain/validation';
import type { UploadBatch } from '@anh/domain/upload';
import type { Database } from '../client';
import { createPartitions, existingMonths, monthsBetween } from './partitions';

/**
 * Stores one batch in its tenant's schema, durably, in one transaction: the batch row
 * (the idempotency key), its samples written with COPY, its connector aggregates. Returns
 * once PostgreSQL has committed, so the caller may acknowledge. A batch id seen before
 * with the same content is a duplicate and changes nothing; with other content it is a
 * CONFLICT. A repeated (variable, timestamp) keeps the first reading.
 */
export interface BatchToStore {
  batch: UploadBatch;
  /** Epoch ms of each sample (from the parse), so timestamps are not parsed again. */
  times?: Float64Array;
  digest: string;
  origin: 'connector' | 'manual';
  /** The request body as received (kept until the validate stage has read it). */
  body: Buffer;
  bodyFormat: 'json' | 'ndjson';
  authorId?: string;
  manualKind?: string;
  note?: string;
}

export interface StoredBatch {
  seq: number;
  duplicate: boolean;
  samples: number;
  /** Samples added (a repeated variable + timestamp is not). */
  stored: number;
  aggregates: number;
}

/** Months each tenant is known to have partitions for (this process's memory). */
const knownMonths = new Map<string, Set<number>>();

export function forgetPartitions(tenantId: string): void {
  knownMonths.delete(tenantId);
}

function timeSpan(
  batch: UploadBatch,
  times?: Float64Array,
): { first: number; last: number } | null {
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < batch.samples.length; i++) {
    const ms = times ? times[i]! : Date.parse(batch.samples[i]!.ts);
    if (ms < first) first = ms;
    if (ms > last) last = ms;
  }
  for (const a of batch.aggregates ?? []) {
    for (const ts of [a.slotStart, a.first.ts, a.last.ts]) {
      const ms = Date.parse(ts);
      if (ms < first) first = ms;
      if (ms > last) last = ms;
    }
  }
  return first <= last ? { first, last } : null;
}

/** Makes sure the months a batch touches have partitions (own short transaction). */
export async function ensurePartitionsFor(
  db: Database,
  tenantId: string,
  span: { first: number; last: number },
): Promise<void> {
  const months = monthsBetween(span.first, span.last);
  let known = knownMonths.get(tenantId);
  if (known && months.every((m) => known!.has(m))) return;
  known = await db.withTenantClient(tenantId, async (client) => {
    const existing = await existingMonths(client);
    const missing = months.filter((m) => !existing.has(m));
    if (missing.length > 0) await createPartitions(client, missing);
    for (const m of missing) existing.add(m);
    return existing;
  });
  knownMonths.set(tenantId, known);
}

const STATUS_CODE = SOURCE_STATUS;

/** COPY text format: tab-separated, \N for null. Every field here is a uuid, a number or an RFC 3339 instant. */
function copyText(batch: UploadBatch, seq: number): string {
  const lines: string[] = new Array<string>(batch.samples.length);
  for (let i = 0; i < batch.samples.length; i++) {
    const s = batch.samples[i]!;
    const code = s.quality.code;
    lines[i] =
      `${s.binding}\t${s.ts}\t${s.value === null ? '\\N' : s.value}\t${STATUS_CODE[s.quality.status]}\t${code === undefined ? '\\N' : code}\t${seq}\n`;
  }
  return lines.join('');
}

const SAMPLE_COLUMNS = 'variable_id, ts, value, source_status, source_code, batch_seq';

async function copySamples(client: pg.PoolClient, text: string): Promise<void> {
  const stream = client.query(copyFrom(`COPY samples (${SAMPLE_COLUMNS}) FROM STDIN`));
  await pipeline(Readable.from([text]), stream);
}

/** The slow path, only after COPY met a reading already stored: skip those, keep the rest. */
async function insertSkippingRepeats(
  client: pg.PoolClient,
  batch: UploadBatch,
  seq: number,
): Promise<number> {
  const n = batch.samples.length;
  const variable = new Array<string>(n);
  const ts = new Array<string>(n);
  const value = new Array<number | null>(n);
  const status = new Array<number>(n);
  const code = new Array<number | null>(n);
  batch.samples.forEach((s, i) => {
    variable[i] = s.binding;
    ts[i] = s.ts;
    value[i] = s.value;
    status[i] = STATUS_CODE[s.quality.status];
    code[i] = s.quality.code ?? null;
  });
  const result = await client.query(
    `INSERT INTO samples (${SAMPLE_COLUMNS})
     SELECT v, t, x, st, c, $6 FROM unnest($1::uuid[], $2::timestamptz[], $3::float8[], $4::int2[], $5::int8[]) AS u(v, t, x, st, c)
     ON CONFLICT (variable_id, ts) DO NOTHING`,
    [variable, ts, value, status, code, seq],
  );
  return result.rowCount ?? 0;
}

async function insertAggregates(
  client: pg.PoolClient,
  batch: UploadBatch,
  seq: number,
): Promise<void> {
  const aggregates = batch.aggregates ?? [];
  if (aggregates.length === 0) return;
  await client.query(
    `INSERT INTO connector_aggregates (variable_id, slot_start, batch_seq, count, mean, min, max,
       first_ts, first_value, last_ts, last_value, worst_quality)
     SELECT v, s, $3, c, me, mi, ma, ft, fv, lt, lv, q
     FROM unnest($1::uuid[], $2::timestamptz[], $4::int[], $5::float8[], $6::float8[], $7::float8[],
       $8::timestamptz[], $9::float8[], $10::timestamptz[], $11::float8[], $12::text[])
       AS u(v, s, c, me, mi, ma, ft, fv, lt, lv, q)
     ON CONFLICT DO NOTHING`,
    [
      aggregates.map((a) => a.binding),
      aggregates.map((a) => a.slotStart),
      seq,
      aggregates.map((a) => a.count),
      aggregates.map((a) => a.mean),
      aggregates.map((a) => a.min),
      aggregates.map((a) => a.max),
      aggregates.map((a) => a.first.ts),
      aggregates.map((a) => a.first.value),
      aggregates.map((a) => a.last.ts),
      aggregates.map((a) => a.last.value),
      aggregates.map((a) => a.worstQuality),
    ],
  );
}

function pgCode(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

export async function storeBatch(
  db: Database,
  tenantId: string,
  input: BatchToStore,
): Promise<StoredBatch> {
  const { batch } = input;
  const span = timeSpan(batch, input.times);
  if (span) await ensurePartitionsFor(db, tenantId, span);
  const samples = batch.samples.length;
  const aggregates = batch.aggregates?.length ?? 0;
  try {
    return await db.withTenantClient(tenantId, async (client) => {
      const inserted = await client.query<{ seq: string }>(
        `INSERT INTO ingest_batches (id, origin, connector_id, connector_sequence, author_id,
           manual_kind, note, created_at, sample_count, stored_count, aggregate_count,
           first_ts, last_ts, digest, body, body_format)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (id) DO NOTHING RETURNING seq`,
        [
          batch.batchId,
          input.origin,
          input.origin === 'connector' ? batch.connectorId : null,
          input.origin === 'connector' ? batch.sequence : null,
          input.authorId ?? null,
          input.manualKind ?? null,
          input.note ?? null,
          batch.createdAt,
          samples,
          aggregates,
          span ? new Date(span.first).toISOString() : null,
          span ? new Date(span.last).toISOString() : null,
          input.digest,
          input.body,
          input.bodyFormat,
        ],
      );
      if (inserted.rows.length === 0) return duplicateOf(client, input);
      const seq = Number(inserted.rows[0]!.seq);
      let stored = samples;
      if (samples > 0) {
        await client.query('SAVEPOINT copy_samples');
        try {
          await copySamples(client, copyText(batch, seq));
          await client.query('RELEASE SAVEPOINT copy_samples');
        } catch (error) {
          if (pgCode(error) !== '23505') throw error;
          // Some reading was stored before (a connector re-read after a crash): keep the first.
          await client.query('ROLLBACK TO SAVEPOINT copy_samples');
          stored = await insertSkippingRepeats(client, batch, seq);
          await client.query('UPDATE ingest_batches SET stored_count = $2 WHERE seq = $1', [
            seq,
            stored,
          ]);
        }
      }
      await insertAggregates(client, batch, seq);
      return { seq, duplicate: false, samples, stored, aggregates };
    });
  } catch (error) {
    if (pgCode(error) === '23514' && /no partition/.test((error as Error).message)) {
      // A partition this process believed in is gone (dropped by retention elsewhere).
      forgetPartitions(tenantId);
      throw new AppError('UNAVAILABLE', 'storage partition missing; retry', { cause: error });
    }
    throw error;
  }
}

async function duplicateOf(client: pg.PoolClient, input: BatchToStore): Promise<StoredBatch> {
  const { rows } = await client.query<{
    seq: string;
    digest: string;
    connector_id: string | null;
    sample_count: number;
    stored_count: number;
    aggregate_count: number;
  }>(
    `SELECT seq, digest, connector_id, sample_count, stored_count, aggregate_count
     FROM ingest_batches WHERE id = $1`,
    [input.batch.batchId],
  );
  const row = rows[0]!;
  const sameSender = input.origin === 'manual' || row.connector_id === input.batch.connectorId;
  if (!sameSender || row.digest !== input.digest) {
    throw new AppError(
      'CONFLICT',
      `batch ${input.batch.batchId} was already received with other content; a batch id may not be reused`,
      { details: { batchId: input.batch.batchId } },
    );
  }
  return {
    seq: Number(row.seq),
    duplicate: true,
    samples: row.sample_count,
    stored: row.stored_count,
    aggregates: row.aggregate_count,
  };
}
