import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Database } from '@anh/db';
import { AppError } from '@anh/domain/errors';
import { loadVariableIds, retentionCutoff, storeBatch, type StoredBatch } from '@anh/db/telemetry';
import { UPLOAD_CONTRACT_VERSION, type UploadBatch } from '@anh/domain/upload';
import {
  checkBatchForTenant,
  DEFAULT_MAX_FUTURE_MS,
  parseUploadBody,
} from '@anh/domain/upload-body';

/**
 * Readings typed in by people (tank gauging, a lab's BSW, a meter ticket) enter the same
 * path as the connector's: one batch, the same checks, the same stages, marked manual with
 * their author so every slot that uses them says so.
 */
export const MANUAL_KINDS = ['tank_gauging', 'lab_bsw', 'meter_ticket', 'other'] as const;

/** The zero UUID stands in for the connector id: no connector sent these. */
const NO_CONNECTOR = '00000000-0000-0000-0000-000000000000';

export const manualReadingsSchema = z.object({
  kind: z.enum(MANUAL_KINDS),
  /**
   * Made on the phone when the reading is entered and kept with it while it waits for a
   * network: it becomes the batch id, so a replay (Background Sync, the page coming back
   * online, a lost response) is recognised and stores nothing twice.
   */
  idempotencyKey: z.uuid().optional(),
  note: z.string().trim().max(500).optional(),
  readings: z
    .array(
      z
        .object({
          variableId: z.uuid(),
          ts: z.iso.datetime({ offset: true }),
          value: z.number().finite(),
        })
        .strict(),
    )
    .min(1)
    .max(500),
});

// Not strict: tRPC hands every input parser the whole input (tenantSlug included).
export type ManualReadings = z.infer<typeof manualReadingsSchema>;

/** A reading whose (variable, time) already held another value: the first one stays. */
export interface ManualConflict {
  variableId: string;
  ts: string;
  /** What this request sent. */
  value: number;
  /** What is stored (null: the source sent no value). */
  storedValue: number | null;
  storedOrigin: 'connector' | 'manual';
}

export interface ManualOutcome {
  batchId: string;
  samples: number;
  /** Samples this batch added (by the first delivery, when this one is a replay). */
  stored: number;
  /** The idempotency key was seen before: this is the first delivery's outcome, nothing stored now. */
  replay: boolean;
  conflicts: ManualConflict[];
}

export async function storeManualReadings(
  db: Database,
  tenantId: string,
  authorId: string,
  input: ManualReadings,
  options: { nowMs: number; retentionMonths: number },
): Promise<ManualOutcome> {
  const batch: UploadBatch = {
    contract: UPLOAD_CONTRACT_VERSION,
    batchId: input.idempotencyKey ?? randomUUID(),
    connectorId: NO_CONNECTOR,
    sequence: 0,
    // Left out of the digest (upload-body.ts), so a replay hours later is the same content.
    createdAt: new Date(options.nowMs).toISOString(),
    samples: input.readings.map((r) => ({
      binding: r.variableId,
      ts: new Date(r.ts).toISOString(),
      value: r.value,
      quality: { status: 'good' as const },
    })),
  };
  const json = Buffer.from(JSON.stringify(batch));
  const { times, digest } = parseUploadBody(json, 'json');
  const ids = await db.withTenantClient(tenantId, loadVariableIds);
  checkBatchForTenant(
    batch,
    {
      isKnownBinding: (id) => ids.has(id),
      connectorId: NO_CONNECTOR,
      nowMs: options.nowMs,
      maxFutureMs: DEFAULT_MAX_FUTURE_MS,
      oldestMs: retentionCutoff(options.nowMs, options.retentionMonths),
    },
    times,
  );
  const note = input.note ? input.note : undefined;
  // storeBatch: a batch id seen before with the same samples changes nothing and answers
  // `duplicate`; with other samples it is a CONFLICT. Concurrent replays of one key wait
  // on the batch id's unique index, so only one of them inserts.
  const reused = () =>
    new AppError(
      'CONFLICT',
      'Esa clave de idempotencia ya se usó para otra lectura / that idempotency key was already used for another reading',
      { details: { batchId: batch.batchId } },
    );
  let stored: StoredBatch;
  try {
    stored = await storeBatch(db, tenantId, {
      batch,
      times,
      digest,
      origin: 'manual',
      authorId,
      manualKind: input.kind,
      ...(note ? { note } : {}),
      body: gzipSync(json, { level: 1 }),
      bodyFormat: 'json',
    });
  } catch (error) {
    if (input.idempotencyKey && error instanceof AppError && error.code === 'CONFLICT')
      throw reused();
    throw error;
  }
  return db.withTenantClient(tenantId, async (client) => {
    if (stored.duplicate) {
      // The digest covers the samples only: the rest of what the key stood for must match
      // too, or the key was reused (by another person, or for another reading).
      const { rows } = await client.query<{
        author_id: string | null;
        manual_kind: string | null;
        note: string | null;
      }>('SELECT author_id, manual_kind, note FROM ingest_batches WHERE seq = $1', [stored.seq]);
      const first = rows[0];
      if (
        !first ||
        first.author_id !== authorId ||
        first.manual_kind !== input.kind ||
        (first.note ?? undefined) !== note
      )
        throw reused();
    }
    // The samples' primary key kept the first value of each (variable, time): any reading
    // whose stored value differs was not taken. Computed from what is stored, so a replay
    // answers the same conflicts as the first delivery.
    const { rows } = await client.query<{
      i: string;
      stored_value: number | null;
      origin: 'connector' | 'manual';
    }>(
      `SELECT u.i, s.value AS stored_value, b.origin
         FROM unnest($1::uuid[], $2::timestamptz[], $3::float8[]) WITH ORDINALITY AS u(v, t, x, i)
         JOIN samples s ON s.variable_id = u.v AND s.ts = u.t
         JOIN ingest_batches b ON b.seq = s.batch_seq
        WHERE s.value IS DISTINCT FROM u.x
        ORDER BY u.i`,
      [
        batch.samples.map((s) => s.binding),
        batch.samples.map((s) => s.ts),
        batch.samples.map((s) => s.value),
      ],
    );
    return {
      batchId: batch.batchId,
      samples: stored.samples,
      stored: stored.stored,
      replay: stored.duplicate,
      conflicts: rows.map((row) => {
        const sample = batch.samples[Number(row.i) - 1]!;
        return {
          variableId: sample.binding,
          ts: sample.ts,
          value: sample.value!,
          storedValue: row.stored_value,
          storedOrigin: row.origin,
        };
      }),
    };
  });
}
