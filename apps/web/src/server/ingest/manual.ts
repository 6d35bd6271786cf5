import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Database } from '@anh/db';
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

export async function storeManualReadings(
  db: Database,
  tenantId: string,
  authorId: string,
  input: ManualReadings,
  options: { nowMs: number; retentionMonths: number },
): Promise<StoredBatch & { batchId: string }> {
  const batch: UploadBatch = {
    contract: UPLOAD_CONTRACT_VERSION,
    batchId: randomUUID(),
    connectorId: NO_CONNECTOR,
    sequence: 0,
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
  const stored = await storeBatch(db, tenantId, {
    batch,
    times,
    digest,
    origin: 'manual',
    authorId,
    manualKind: input.kind,
    ...(input.note ? { note: input.note } : {}),
    body: gzipSync(json, { level: 1 }),
    bodyFormat: 'json',
  });
  return { ...stored, batchId: batch.batchId };
}
