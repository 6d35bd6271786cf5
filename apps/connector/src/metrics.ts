import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BufferStats, DurableBuffer } from './buffer/store';
import type { FrameErrorReason } from './iec104/codec';
import type { UploadResult } from './upload/uploader';

/**
 * The connector's Prometheus metrics, served on its local status endpoint
 * (`GET /metrics`, next to `/status`, 127.0.0.1 only). What the site's monitoring (or a
 * Prometheus agent on the site machine) most needs: is the buffer draining (depth, age of
 * the oldest reading), are uploads getting through, is every source connected and
 * reading. Labels are the configuration's source ids and types (a handful) and fixed
 * outcome and reason names.
 */
export interface SourceProbe {
  id: string;
  type: string;
  /** True while the source is connected to its device or broker. */
  connected(): boolean;
  /** IEC 60870-5-104 only: malformed frames so far, by reason. */
  malformed?(): Partial<Record<FrameErrorReason, number>>;
}

/**
 * Every reason a frame can be malformed for (the compiler checks the list is whole): each
 * series exists from the start at 0, so the first malformed frame shows in `increase()`.
 */
const MALFORMED_REASONS = Object.keys({
  start: true,
  length: true,
  control: true,
  type: true,
  'asdu-length': true,
  content: true,
  sequence: true,
  acknowledgement: true,
  truncated: true,
  unexpected: true,
} satisfies Record<FrameErrorReason, true>) as FrameErrorReason[];

export interface ConnectorMetrics {
  registry: Registry;
  /** For the uploader's `onUpload`. */
  recordUpload(upload: UploadResult): void;
  /** Samples a source handed to the buffer. */
  recordSamples(sourceId: string, count: number): void;
}

export function createConnectorMetrics(options: {
  buffer: DurableBuffer;
  /** The configuration's source ids (their series exist from the start). */
  sourceIds: string[];
  /** Read at every scrape: sources may be added after the metrics are made. */
  sources: readonly SourceProbe[];
  connectorId: string;
  version: string;
  now?: () => number;
}): ConnectorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const now = options.now ?? Date.now;
  const sourceIds = new Set(options.sourceIds);

  // Several gauges read the buffer; one count per scrape (a deep buffer's count costs).
  let stats: { at: number; value: BufferStats } | null = null;
  const bufferStats = (): BufferStats => {
    if (!stats || Date.now() - stats.at > 500)
      stats = { at: Date.now(), value: options.buffer.stats() };
    return stats.value;
  };

  new Gauge({
    name: 'anh_connector_info',
    help: 'Always 1; its labels say which connector and which version this is.',
    labelNames: ['connector_id', 'version'] as const,
    registers: [registry],
  }).set({ connector_id: options.connectorId, version: options.version }, 1);
  new Gauge({
    name: 'anh_connector_buffer_samples',
    help: 'Readings in the buffer not yet sent (waiting for their batch).',
    registers: [registry],
    collect() {
      this.set(bufferStats().depth);
    },
  });
  new Gauge({
    name: 'anh_connector_buffer_oldest_age_seconds',
    help: 'Age of the oldest reading still in the buffer, by its timestamp (0 when empty).',
    registers: [registry],
    collect() {
      const oldest = bufferStats().oldestTs;
      this.set(oldest === null ? 0 : Math.max(0, (now() - oldest) / 1000));
    },
  });
  new Gauge({
    name: 'anh_connector_buffer_leased_batches',
    help: 'Batches sent or being sent and not yet acknowledged.',
    registers: [registry],
    collect() {
      this.set(bufferStats().leasedBatches);
    },
  });
  new Gauge({
    name: 'anh_connector_buffer_rejected_batches',
    help: 'Batches the cloud refused for good, kept aside in the buffer.',
    registers: [registry],
    collect() {
      this.set(bufferStats().rejectedBatches);
    },
  });
  new Gauge({
    name: 'anh_connector_buffer_file_bytes',
    help: 'Size of the buffer file on disk.',
    registers: [registry],
    collect() {
      this.set(bufferStats().fileBytes);
    },
  });
  new Counter({
    name: 'anh_connector_buffer_dropped_samples_total',
    help: 'Readings dropped because the buffer was full (kept as 10-minute aggregates).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(bufferStats().dropped);
    },
  });

  const uploads = new Counter({
    name: 'anh_connector_uploads_total',
    help: 'Upload attempts by outcome (acknowledged, refused: set aside for good, failed: retried).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const uploadDuration = new Histogram({
    name: 'anh_connector_upload_duration_seconds',
    help: 'Time from sending a batch to the cloud’s answer, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const uploadedSamples = new Counter({
    name: 'anh_connector_uploaded_samples_total',
    help: 'Readings the cloud acknowledged.',
    registers: [registry],
  });
  for (const outcome of ['acknowledged', 'refused', 'failed'] as const) uploads.inc({ outcome }, 0);

  const samplesRead = new Counter({
    name: 'anh_connector_samples_read_total',
    help: 'Readings each source handed to the buffer.',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  for (const id of sourceIds) samplesRead.inc({ source: id }, 0);

  new Gauge({
    name: 'anh_connector_source_connected',
    help: '1 while the source is connected to its device or broker, 0 otherwise.',
    labelNames: ['source', 'type'] as const,
    registers: [registry],
    collect() {
      for (const source of options.sources)
        this.set({ source: source.id, type: source.type }, source.connected() ? 1 : 0);
    },
  });
  new Counter({
    name: 'anh_connector_iec104_malformed_frames_total',
    help: 'IEC 60870-5-104 frames that broke the standard, by source and reason (each ended its link).',
    labelNames: ['source', 'reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const source of options.sources) {
        if (!source.malformed) continue;
        const counts = source.malformed();
        for (const reason of MALFORMED_REASONS)
          this.inc({ source: source.id, reason }, counts[reason] ?? 0);
      }
    },
  });

  return {
    registry,
    recordUpload(upload) {
      uploads.inc({ outcome: upload.outcome });
      uploadDuration.observe({ outcome: upload.outcome }, upload.seconds);
      if (upload.outcome === 'acknowledged') uploadedSamples.inc(upload.samples);
    },
    recordSamples(sourceId, count) {
      // Only configured sources: the label set stays what the configuration says.
      if (sourceIds.has(sourceId)) samplesRead.inc({ source: sourceId }, count);
    },
  };
}
