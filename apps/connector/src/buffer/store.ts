import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';

/**
 * The connector's durable store-and-forward buffer (SQLite, WAL).
 *
 * Promises, in the spirit of Ignition's store-and-forward and the PI Buffer Subsystem:
 * - a sample is committed to disk before anything else happens to it (append returns
 *   only after the transaction commits);
 * - samples leave only in batches, and a batch's rows are deleted only after the cloud
 *   acknowledges it; a batch interrupted by a crash is re-sent with the same id and the
 *   same samples, so the cloud's deduplication by batch id makes delivery exactly-once;
 * - order is kept per source within a priority class (so always per variable), and the
 *   class the ANH report needs (priority 0) drains first;
 * - disk use is bounded: past `maxSamples`, the oldest unsent raw samples are dropped,
 *   lower priority first, and every drop is counted and reported, never silent.
 */
export const PRIORITY = { regulated: 0, other: 1 } as const;

export interface BufferedSample {
  source: string;
  binding: string;
  /** Epoch ms, source timestamp when the source gives one. */
  ts: number;
  /** null when the source had no value. */
  value: number | null;
  /** 0 good, 1 uncertain, 2 bad. */
  status: number;
  /** The source's own status code (OPC UA StatusCode, Modbus exception), if any. */
  code: number | null;
  priority: number;
}

/** 10-minute summary of raw samples dropped when the buffer was full. */
export interface SlotAggregate {
  binding: string;
  slotStart: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  firstTs: number;
  firstValue: number;
  lastTs: number;
  lastValue: number;
  worstStatus: number;
}

export interface LeasedBatch {
  batchId: string;
  sequence: number;
  samples: Array<BufferedSample & { id: number }>;
  aggregates: SlotAggregate[];
}

const SLOT_MS = 600_000;
const AGGREGATE_COLUMNS =
  'binding, slot_start AS slotStart, count, sum, min, max, first_ts AS firstTs, first_value AS firstValue, last_ts AS lastTs, last_value AS lastValue, worst_status AS worstStatus';

export interface BufferStats {
  depth: number;
  byPriority: Record<number, number>;
  oldestTs: number | null;
  leasedBatches: number;
  dropped: number;
  /** 10-minute aggregates of dropped samples still to send. */
  aggregates: number;
  /** Batches the cloud refused (kept whole, never re-sent by themselves). */
  rejectedBatches: number;
  fileBytes: number;
}

export interface BufferOptions {
  /** Most unsent samples kept; past it the oldest are dropped (lowest priority first). */
  maxSamples?: number;
  /** 'FULL' survives power loss; 'NORMAL' survives a process crash and is faster. */
  synchronous?: 'FULL' | 'NORMAL';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS samples (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  binding TEXT NOT NULL,
  ts INTEGER NOT NULL,
  value REAL,
  status INTEGER NOT NULL,
  code INTEGER,
  priority INTEGER NOT NULL,
  batch_id TEXT
);
CREATE INDEX IF NOT EXISTS samples_unsent ON samples (priority, id) WHERE batch_id IS NULL;
CREATE INDEX IF NOT EXISTS samples_batch ON samples (batch_id) WHERE batch_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY,
  sequence INTEGER NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  sample_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS aggregates (
  id INTEGER PRIMARY KEY,
  binding TEXT NOT NULL,
  slot_start INTEGER NOT NULL,
  count INTEGER NOT NULL,
  sum REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  first_ts INTEGER NOT NULL,
  first_value REAL NOT NULL,
  last_ts INTEGER NOT NULL,
  last_value REAL NOT NULL,
  worst_status INTEGER NOT NULL,
  batch_id TEXT
);
CREATE INDEX IF NOT EXISTS aggregates_open ON aggregates (binding, slot_start) WHERE batch_id IS NULL;
CREATE TABLE IF NOT EXISTS rejected_batches (
  id TEXT PRIMARY KEY,
  sequence INTEGER NOT NULL,
  rejected_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  batch TEXT NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('next_sequence', 0), ('dropped', 0);
`;

interface SampleRow {
  id: number;
  source: string;
  binding: string;
  ts: number;
  value: number | null;
  status: number;
  code: number | null;
  priority: number;
}

const INSERT_ROWS = 100;

function flatten(samples: readonly BufferedSample[], from: number, count: number): unknown[] {
  const values: unknown[] = new Array<unknown>(count * 7);
  for (let k = 0; k < count; k++) {
    const s = samples[from + k]!;
    const o = k * 7;
    values[o] = s.source;
    values[o + 1] = s.binding;
    values[o + 2] = s.ts;
    values[o + 3] = s.value;
    values[o + 4] = s.status;
    values[o + 5] = s.code;
    values[o + 6] = s.priority;
  }
  return values;
}

export class DurableBuffer {
  private readonly db: Database.Database;
  private readonly maxSamples: number;
  private unsent: number;
  private readonly insertStatements = new Map<number, Database.Statement>();
  private readonly appendMany: (samples: readonly BufferedSample[]) => void;

  private constructor(path: string, options: BufferOptions) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.exec(SCHEMA);
    this.maxSamples = options.maxSamples ?? 50_000_000;
    this.unsent = (
      this.db.prepare('SELECT count(*) AS n FROM samples WHERE batch_id IS NULL').get() as {
        n: number;
      }
    ).n;
    this.appendMany = this.db.transaction((samples: readonly BufferedSample[]) => {
      // Multi-row INSERTs: one statement per up to 100 samples is several times faster
      // than one statement per sample, and the transaction still commits them together.
      let i = 0;
      for (; i + INSERT_ROWS <= samples.length; i += INSERT_ROWS) {
        this.insertRows(INSERT_ROWS).run(...flatten(samples, i, INSERT_ROWS));
      }
      if (i < samples.length) {
        this.insertRows(samples.length - i).run(...flatten(samples, i, samples.length - i));
      }
    });
  }

  private insertRows(rows: number): Database.Statement {
    let statement = this.insertStatements.get(rows);
    if (!statement) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
      statement = this.db.prepare(
        `INSERT INTO samples (source, binding, ts, value, status, code, priority) VALUES ${values}`,
      );
      this.insertStatements.set(rows, statement);
    }
    return statement;
  }

  static open(path: string, options: BufferOptions = {}): DurableBuffer {
    return new DurableBuffer(path, options);
  }

  /** Commits the samples durably (one transaction), then enforces the size bound. */
  append(samples: readonly BufferedSample[]): void {
    if (samples.length === 0) return;
    this.appendMany(samples);
    this.unsent += samples.length;
    if (this.unsent > this.maxSamples) this.evict(this.unsent - this.maxSamples);
  }

  private evict(excess: number): void {
    const dropped = this.db.transaction((count: number) => {
      // Oldest first within the least important class, never rows already in a batch.
      const victims = this.db
        .prepare(
          `SELECT id, binding, ts, value, status FROM samples
           WHERE batch_id IS NULL ORDER BY priority DESC, id LIMIT ?`,
        )
        .all(count) as Array<{
        id: number;
        binding: string;
        ts: number;
        value: number | null;
        status: number;
      }>;
      // What the ANH report needs survives as 10-minute aggregates, which are never dropped.
      this.foldIntoAggregates(victims);
      const remove = this.db.prepare('DELETE FROM samples WHERE id = ?');
      for (const victim of victims) remove.run(victim.id);
      const result = { changes: victims.length };
      this.db
        .prepare("UPDATE meta SET value = value + ? WHERE key = 'dropped'")
        .run(result.changes);
      return result.changes;
    })(excess);
    this.unsent -= dropped;
  }

  private foldIntoAggregates(
    rows: ReadonlyArray<{ binding: string; ts: number; value: number | null; status: number }>,
  ): void {
    const groups = new Map<string, SlotAggregate>();
    for (const row of rows) {
      if (row.value === null) continue;
      const slotStart = Math.floor(row.ts / SLOT_MS) * SLOT_MS;
      const key = `${row.binding}\u0000${slotStart}`;
      const g = groups.get(key);
      if (!g) {
        groups.set(key, {
          binding: row.binding,
          slotStart,
          count: 1,
          sum: row.value,
          min: row.value,
          max: row.value,
          firstTs: row.ts,
          firstValue: row.value,
          lastTs: row.ts,
          lastValue: row.value,
          worstStatus: row.status,
        });
        continue;
      }
      g.count++;
      g.sum += row.value;
      g.min = Math.min(g.min, row.value);
      g.max = Math.max(g.max, row.value);
      if (row.ts < g.firstTs) [g.firstTs, g.firstValue] = [row.ts, row.value];
      if (row.ts >= g.lastTs) [g.lastTs, g.lastValue] = [row.ts, row.value];
      g.worstStatus = Math.max(g.worstStatus, row.status);
    }
    const find = this.db.prepare(
      `SELECT id, ${AGGREGATE_COLUMNS} FROM aggregates WHERE binding = ? AND slot_start = ? AND batch_id IS NULL`,
    );
    const update = this.db.prepare(
      'UPDATE aggregates SET count = ?, sum = ?, min = ?, max = ?, first_ts = ?, first_value = ?, last_ts = ?, last_value = ?, worst_status = ? WHERE id = ?',
    );
    const insert = this.db.prepare(
      'INSERT INTO aggregates (binding, slot_start, count, sum, min, max, first_ts, first_value, last_ts, last_value, worst_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const g of groups.values()) {
      const existing = find.get(g.binding, g.slotStart) as
        (SlotAggregate & { id: number }) | undefined;
      if (!existing) {
        insert.run(
          g.binding,
          g.slotStart,
          g.count,
          g.sum,
          g.min,
          g.max,
          g.firstTs,
          g.firstValue,
          g.lastTs,
          g.lastValue,
          g.worstStatus,
        );
        continue;
      }
      const first =
        g.firstTs < existing.firstTs
          ? [g.firstTs, g.firstValue]
          : [existing.firstTs, existing.firstValue];
      const last =
        g.lastTs >= existing.lastTs
          ? [g.lastTs, g.lastValue]
          : [existing.lastTs, existing.lastValue];
      update.run(
        existing.count + g.count,
        existing.sum + g.sum,
        Math.min(existing.min, g.min),
        Math.max(existing.max, g.max),
        first[0],
        first[1],
        last[0],
        last[1],
        Math.max(existing.worstStatus, g.worstStatus),
        existing.id,
      );
    }
  }

  /**
   * The next batch to send: the unacknowledged one if a previous attempt did not get an
   * acknowledgement (same id, same samples), otherwise a new one of up to `maxSamples`.
   * `afterSequence` skips batches up to that sequence (the one already on the wire), so
   * the next batch can be prepared while the current one waits for its acknowledgement.
   */
  leaseBatch(maxSamples: number, afterSequence = -1): LeasedBatch | null {
    return this.db.transaction((): LeasedBatch | null => {
      const pending = this.db
        .prepare('SELECT id, sequence FROM batches WHERE sequence > ? ORDER BY sequence LIMIT 1')
        .get(afterSequence) as { id: string; sequence: number } | undefined;
      if (pending) return this.batchOf(pending.id, pending.sequence);
      const batchId = randomUUID();
      // One pass: mark the rows and get them back (RETURNING order is unspecified: sort).
      const rows = this.db
        .prepare(
          `UPDATE samples SET batch_id = ? WHERE id IN (
             SELECT id FROM samples WHERE batch_id IS NULL ORDER BY priority, id LIMIT ?)
           RETURNING id, source, binding, ts, value, status, code, priority`,
        )
        .all(batchId, maxSamples) as SampleRow[];
      const marked = rows.length;
      const openAggregates = (
        this.db.prepare('SELECT count(*) AS n FROM aggregates WHERE batch_id IS NULL').get() as {
          n: number;
        }
      ).n;
      if (marked === 0 && openAggregates === 0) return null;
      rows.sort((a, b) => a.priority - b.priority || a.id - b.id);
      const { value: sequence } = this.db
        .prepare("SELECT value FROM meta WHERE key = 'next_sequence'")
        .get() as { value: number };
      this.db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'next_sequence'").run();
      this.db
        .prepare('INSERT INTO batches (id, sequence, created_at, sample_count) VALUES (?, ?, ?, ?)')
        .run(batchId, sequence, Date.now(), marked);
      this.unsent -= marked;
      this.db.prepare('UPDATE aggregates SET batch_id = ? WHERE batch_id IS NULL').run(batchId);
      return { batchId, sequence, samples: rows, aggregates: this.aggregatesOf(batchId) };
    })();
  }

  private batchOf(batchId: string, sequence: number): LeasedBatch {
    const rows = this.db
      .prepare(
        'SELECT id, source, binding, ts, value, status, code, priority FROM samples WHERE batch_id = ? ORDER BY priority, id',
      )
      .all(batchId) as SampleRow[];
    return { batchId, sequence, samples: rows, aggregates: this.aggregatesOf(batchId) };
  }

  private aggregatesOf(batchId: string): SlotAggregate[] {
    return this.db
      .prepare(
        `SELECT ${AGGREGATE_COLUMNS} FROM aggregates WHERE batch_id = ? ORDER BY binding, slot_start`,
      )
      .all(batchId) as SlotAggregate[];
  }

  /** The cloud has the batch: only now are its samples deleted. Idempotent. */
  acknowledge(batchId: string): number {
    return this.db.transaction((id: string) => {
      const deleted = this.db.prepare('DELETE FROM samples WHERE batch_id = ?').run(id).changes;
      this.db.prepare('DELETE FROM aggregates WHERE batch_id = ?').run(id);
      this.db.prepare('DELETE FROM batches WHERE id = ?').run(id);
      return deleted;
    })(batchId);
  }

  /**
   * The cloud refused the batch as a whole (a 4xx that re-sending cannot fix): it is set
   * aside, whole and with the cloud's reason, so the rest of the buffer can flow, and an
   * operator can see it (status) and send it again once the cause is fixed.
   */
  reject(batch: LeasedBatch, reason: string, nowMs = Date.now()): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT OR REPLACE INTO rejected_batches (id, sequence, rejected_at, reason, batch) VALUES (?, ?, ?, ?, ?)',
        )
        .run(batch.batchId, batch.sequence, nowMs, reason.slice(0, 2000), JSON.stringify(batch));
      this.db.prepare('DELETE FROM samples WHERE batch_id = ?').run(batch.batchId);
      this.db.prepare('DELETE FROM aggregates WHERE batch_id = ?').run(batch.batchId);
      this.db.prepare('DELETE FROM batches WHERE id = ?').run(batch.batchId);
    })();
  }

  rejected(): Array<{ id: string; sequence: number; rejectedAt: number; reason: string }> {
    return this.db
      .prepare(
        'SELECT id, sequence, rejected_at AS rejectedAt, reason FROM rejected_batches ORDER BY sequence',
      )
      .all() as Array<{ id: string; sequence: number; rejectedAt: number; reason: string }>;
  }

  stats(): BufferStats {
    const byPriority: Record<number, number> = {};
    for (const row of this.db
      .prepare(
        'SELECT priority, count(*) AS n FROM samples WHERE batch_id IS NULL GROUP BY priority',
      )
      .all() as Array<{ priority: number; n: number }>) {
      byPriority[row.priority] = row.n;
    }
    const oldest = this.db.prepare('SELECT min(ts) AS ts FROM samples').get() as {
      ts: number | null;
    };
    const leased = this.db.prepare('SELECT count(*) AS n FROM batches').get() as { n: number };
    const dropped = this.db.prepare("SELECT value FROM meta WHERE key = 'dropped'").get() as {
      value: number;
    };
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return {
      depth: Object.values(byPriority).reduce((a, b) => a + b, 0),
      byPriority,
      oldestTs: oldest.ts,
      leasedBatches: leased.n,
      aggregates: (this.db.prepare('SELECT count(*) AS n FROM aggregates').get() as { n: number })
        .n,
      dropped: dropped.value,
      rejectedBatches: (
        this.db.prepare('SELECT count(*) AS n FROM rejected_batches').get() as { n: number }
      ).n,
      fileBytes: pages * pageSize,
    };
  }

  close(): void {
    this.db.close();
  }
}
