import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { variableByCode } from '@anh/domain/catalog';
import { converterBetween } from '@anh/domain/units';
import type { UploadBatch } from '@anh/domain/upload';
import { parseUploadBody } from '@anh/domain/upload-body';
import { storeBatch, type StoredBatch } from '../src/telemetry/store';
import type { Database } from '../src/client';
import { loadBindings, type VariableBinding } from '../src/telemetry/bindings';

/**
 * Batches that satisfy the upload contract, for tests and benchmarks: every variable of
 * a tenant, one reading per `stepMs`, values inside the catalog's typical range (in the
 * unit each binding declares), counters that only go up.
 */
export async function tenantBindings(db: Database, tenantId: string): Promise<VariableBinding[]> {
  return db.withTenantClient(tenantId, loadBindings);
}

export function plausibleValue(binding: Pick<VariableBinding, 'code' | 'unit'>, k: number): number {
  const variable = variableByCode(binding.code)!;
  const [lo, hi] = variable.typicalRange;
  const canonical =
    variable.kind === 'totalizer'
      ? 1000 + k * 0.5
      : lo + (hi - lo) * (0.5 + 0.05 * Math.sin(k / 1000));
  const converter = converterBetween(variable.canonicalUnit, binding.unit, {
    atmosphericPressurePsia: 14.7,
  });
  if (!converter.ok) return canonical;
  return canonical * converter.converter.factor + converter.converter.offset;
}

export interface SyntheticBatchOptions {
  connectorId: string;
  bindings: ReadonlyArray<Pick<VariableBinding, 'id' | 'code' | 'unit'>>;
  startMs: number;
  readingsPerVariable: number;
  stepMs: number;
  sequence?: number;
  /** Offset of k, so consecutive batches continue the series. */
  firstIndex?: number;
}

export function syntheticBatch(options: SyntheticBatchOptions): UploadBatch {
  const samples: UploadBatch['samples'] = [];
  const first = options.firstIndex ?? 0;
  for (let r = 0; r < options.readingsPerVariable; r++) {
    const k = first + r;
    const ts = new Date(options.startMs + k * options.stepMs).toISOString();
    for (const binding of options.bindings) {
      samples.push({
        binding: binding.id,
        ts,
        value: plausibleValue(binding, k),
        quality: { status: 'good', code: 0 },
      });
    }
  }
  return {
    contract: 1,
    batchId: randomUUID(),
    connectorId: options.connectorId,
    sequence: options.sequence ?? 0,
    createdAt: new Date().toISOString(),
    samples,
  };
}

/** Stores a batch the way the ingest endpoint does (gzip JSON body, digest from the parse). */
export async function storeUpload(
  db: Database,
  tenantId: string,
  batch: UploadBatch,
): Promise<StoredBatch> {
  const json = Buffer.from(JSON.stringify(batch));
  const { digest, times } = parseUploadBody(json, 'json');
  return storeBatch(db, tenantId, {
    batch,
    times,
    digest,
    origin: 'connector',
    body: gzipSync(json, { level: 1 }),
    bodyFormat: 'json',
  });
}
