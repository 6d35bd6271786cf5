import { z } from 'zod';
import { validationError, type AppError } from '../errors';
import type { SampleBatch } from '../validation/engine';
import { SOURCE_STATUS } from '../validation/engine';

/**
 * The upload contract between the field connector and the cloud, imported by both.
 * A batch is identified by (connectorId, batchId) — the idempotency key that makes
 * retries harmless — and carries the connector's own monotonically increasing sequence
 * number, so gaps and replays are visible. Versioned by `contract`.
 */
export const UPLOAD_CONTRACT_VERSION = 1;
export const MAX_SAMPLES_PER_BATCH = 50_000;

/** RFC 3339 with an explicit offset and at most millisecond precision: no local-time guessing. */
// Millisecond precision first: it is what connectors send (toISOString), and a union
// that fails its first branch pays for building an error on every sample.
const instant = z.iso
  .datetime({ offset: true, precision: 3 })
  .or(z.iso.datetime({ offset: true, precision: 0 }));

export const sourceQualitySchema = z
  .object({
    status: z.enum(['good', 'uncertain', 'bad']),
    /** The source's own status code, kept as received (OPC UA StatusCode, Modbus exception…). */
    code: z.number().int().min(0).max(0xffff_ffff).optional(),
  })
  .strict();

export const uploadSampleSchema = z
  .object({
    /** Id of the tenant variable (the binding of a catalog variable to a measurement point). */
    binding: z.string().min(1).max(64),
    ts: instant,
    /** Value in the unit the binding declares; null when the source had no value. */
    value: z.number().nullable(),
    quality: sourceQualitySchema,
  })
  .strict();

/**
 * A 10-minute summary the connector made of raw samples it had to drop while its disk was
 * full (a long outage): the ANH report still gets the slot, flagged as coming from an
 * aggregate. `mean` is the arithmetic mean of the dropped samples.
 */
export const uploadAggregateSchema = z
  .object({
    binding: z.string().min(1).max(64),
    /** Start of the 10-minute slot (UTC, aligned to 10 minutes). */
    slotStart: instant,
    count: z.number().int().min(1),
    mean: z.number(),
    min: z.number(),
    max: z.number(),
    first: z.object({ ts: instant, value: z.number() }).strict(),
    last: z.object({ ts: instant, value: z.number() }).strict(),
    worstQuality: z.enum(['good', 'uncertain', 'bad']),
  })
  .strict();

/** The batch's shape without its cross-field rule (see uploadBatchSchema). */
export const uploadBatchObject = z
  .object({
    contract: z.literal(UPLOAD_CONTRACT_VERSION),
    batchId: z.uuid(),
    connectorId: z.uuid(),
    sequence: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    createdAt: instant,
    samples: z.array(uploadSampleSchema).max(MAX_SAMPLES_PER_BATCH),
    aggregates: z.array(uploadAggregateSchema).max(MAX_SAMPLES_PER_BATCH).optional(),
  })
  .strict();

export const uploadBatchSchema = uploadBatchObject.refine(
  (batch) => batch.samples.length + (batch.aggregates?.length ?? 0) > 0,
  {
    message: 'a batch carries at least one sample or aggregate',
    path: ['samples'],
  },
);

export type UploadAggregate = z.infer<typeof uploadAggregateSchema>;

export type UploadBatch = z.infer<typeof uploadBatchSchema>;
export type UploadSample = z.infer<typeof uploadSampleSchema>;

export function parseUploadBatch(
  input: unknown,
): { ok: true; batch: UploadBatch } | { ok: false; error: AppError } {
  const parsed = uploadBatchSchema.safeParse(input);
  if (!parsed.success)
    return { ok: false, error: validationError('Upload batch', parsed.error.issues) };
  return { ok: true, batch: parsed.data };
}

/**
 * Turns a parsed batch into the engine's columnar form. Samples whose binding is not
 * known are returned apart, by index, never dropped silently.
 */
export function toSampleBatch(
  batch: UploadBatch,
  channelOf: ReadonlyMap<string, number>,
): {
  samples: SampleBatch;
  positions: Uint32Array;
  unknownBindings: Array<{ index: number; binding: string }>;
} {
  const n = batch.samples.length;
  const channel = new Uint32Array(n);
  const timestamp = new Float64Array(n);
  const value = new Float64Array(n);
  const sourceStatus = new Uint8Array(n);
  const positions = new Uint32Array(n);
  const unknownBindings: Array<{ index: number; binding: string }> = [];
  let k = 0;
  batch.samples.forEach((sample, index) => {
    const c = channelOf.get(sample.binding);
    if (c === undefined) {
      unknownBindings.push({ index, binding: sample.binding });
      return;
    }
    channel[k] = c;
    timestamp[k] = Date.parse(sample.ts);
    value[k] = sample.value ?? Number.NaN;
    sourceStatus[k] = SOURCE_STATUS[sample.quality.status];
    positions[k] = index;
    k++;
  });
  return {
    samples: {
      length: k,
      channel: channel.subarray(0, k),
      timestamp: timestamp.subarray(0, k),
      value: value.subarray(0, k),
      sourceStatus: sourceStatus.subarray(0, k),
    },
    positions: positions.subarray(0, k),
    unknownBindings,
  };
}

/**
 * The connector's health, sent as request headers with every upload: transport
 * metadata, not batch content, so a retried batch stays byte-for-byte the same batch.
 * A malformed header is ignored (health is advisory; the batch still counts).
 */
export const CONNECTOR_STATUS_HEADERS = {
  version: 'x-anh-connector-version',
  bufferDepth: 'x-anh-buffer-depth',
  bufferOldest: 'x-anh-buffer-oldest',
} as const;

const connectorStatusSchema = z.object({
  version: z
    .string()
    .regex(/^[0-9A-Za-z.+-]{1,40}$/)
    .optional()
    .catch(undefined),
  bufferDepth: z.coerce
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .catch(undefined),
  bufferOldest: z
    .union([z.literal('none'), z.iso.datetime({ offset: true })])
    .optional()
    .catch(undefined),
});

export interface ConnectorStatusReport {
  version?: string;
  bufferDepth?: number;
  /** Null: the buffer is empty. Undefined: not reported. */
  bufferOldestAt?: Date | null;
}

export function readConnectorStatus(get: (name: string) => string | null): ConnectorStatusReport {
  const raw = connectorStatusSchema.parse({
    version: get(CONNECTOR_STATUS_HEADERS.version) ?? undefined,
    bufferDepth: get(CONNECTOR_STATUS_HEADERS.bufferDepth) ?? undefined,
    bufferOldest: get(CONNECTOR_STATUS_HEADERS.bufferOldest) ?? undefined,
  });
  const report: ConnectorStatusReport = {};
  if (raw.version !== undefined) report.version = raw.version;
  if (raw.bufferDepth !== undefined) {
    report.bufferDepth = raw.bufferDepth;
    report.bufferOldestAt =
      raw.bufferOldest === undefined || raw.bufferOldest === 'none'
        ? null
        : new Date(raw.bufferOldest);
  }
  return report;
}

export function connectorStatusHeaders(status: {
  version: string;
  bufferDepth: number;
  oldestTs: number | null;
}): Record<string, string> {
  return {
    [CONNECTOR_STATUS_HEADERS.version]: status.version,
    [CONNECTOR_STATUS_HEADERS.bufferDepth]: String(status.bufferDepth),
    [CONNECTOR_STATUS_HEADERS.bufferOldest]:
      status.oldestTs === null ? 'none' : new Date(status.oldestTs).toISOString(),
  };
}
