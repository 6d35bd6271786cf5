/**
 * `npx tsx deploy/scaling/measure.ts [postgres-admin-url] [redis-url]`: the measured inputs
 * of docs/SCALING.md, on this machine. JSON lines on stdout.
 *
 * 1. Row sizes: a scratch database (created here, dropped at the end) gets the real
 *    `samples`, `slots` and `ingest_batches` DDL, read from the tenant migrations so the
 *    shape cannot drift from production; rows are written the way the product writes them
 *    (samples by COPY, 5,000 per transaction, in time order across all of a 500-well
 *    tenant's variables; slots 144 a day per variable; batch rows after validation, body
 *    NULL), then VACUUM ANALYZE, then pg_relation_size / pg_indexes_size /
 *    pg_total_relation_size of each partition, divided by its rows.
 * 2. BullMQ: no-op jobs through one Redis from one process (a queue prefix of its own,
 *    obliterated at the end): the ceiling of the queue itself, not of our jobs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const adminUrl = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.argv[3] ?? 'redis://127.0.0.1:6379';
const root = join(import.meta.dirname, '..', '..');
const migrations = join(root, 'packages', 'db', 'migrations', 'tenant');

/** The 500-well tenant of SCALING.md, seed shape: 6 variables a well, 21 a site, 25 sites. */
const VARIABLES = 500 * 6 + 25 * 21;
const SAMPLE_SECONDS = 600;
const SLOT_DAYS = 2;
const BATCHES = 50_000;
const COPY_ROWS = 5000;

/** The CREATE statements of one table (and its indexes) from a drizzle-kit migration file. */
function ddlFor(file: string, table: string): string[] {
  return readFileSync(join(migrations, file), 'utf8')
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter(
      (s) =>
        new RegExp(`CREATE TABLE "${table}"`).test(s) ||
        new RegExp(`CREATE (UNIQUE )?INDEX "[^"]+" ON "${table}"`).test(s) ||
        new RegExp(`ALTER TABLE "${table}"`).test(s),
    )
    .map((s) => s.replace(/^(--[^\n]*\n)+/, ''));
}

const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
const scratch = `anh_scaling_scratch_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${scratch}`);
const url = new URL(adminUrl);
url.pathname = `/${scratch}`;
const client = new pg.Client({ connectionString: url.toString() });
try {
  await client.connect();
  for (const s of [
    ...ddlFor('0002_telemetry.sql', 'ingest_batches'),
    ...ddlFor('0003_telemetry_partitioned.sql', 'samples'),
    ...ddlFor('0003_telemetry_partitioned.sql', 'slots'),
  ])
    await client.query(s);
  await client.query(
    `CREATE TABLE samples_m PARTITION OF samples FOR VALUES FROM ('2026-11-01Z') TO ('2026-12-01Z')`,
  );
  await client.query(
    `CREATE TABLE slots_m PARTITION OF slots FOR VALUES FROM ('2026-11-01Z') TO ('2026-12-01Z')`,
  );

  const variables = Array.from({ length: VARIABLES }, () => randomUUID());
  const t0 = Date.parse('2026-11-20T05:00:00Z');
  // Time order across variables, as connectors deliver them; values with noise so the
  // heap holds realistic doubles; status good, no source code, no flag (the common case).
  let pending: string[] = [];
  let batchSeq = 0;
  let copied = 0;
  const copyStarted = performance.now();
  const flush = async () => {
    if (pending.length === 0) return;
    batchSeq++;
    await client.query('BEGIN');
    const stream = client.query(
      copyFrom(
        'COPY samples (variable_id, ts, value, source_status, source_code, batch_seq) FROM STDIN',
      ),
    );
    await pipeline(
      Readable.from([pending.map((line) => `${line}\t${batchSeq}\n`).join('')]),
      stream,
    );
    await client.query('COMMIT');
    copied += pending.length;
    pending = [];
  };
  for (let s = 0; s < SAMPLE_SECONDS; s++) {
    const ts = new Date(t0 + s * 1000).toISOString();
    for (const v of variables) {
      pending.push(`${v}\t${ts}\t${(100 + Math.random() * 50).toFixed(6)}\t0\t\\N`);
      if (pending.length === COPY_ROWS) await flush();
    }
  }
  await flush();
  const copyMs = performance.now() - copyStarted;
  print({
    name: 'samples.copy_rate',
    value: Math.round(copied / (copyMs / 1000)),
    unit: 'rows/s',
    rows: copied,
    rowsPerTransaction: COPY_ROWS,
    connections: 1,
  });

  const slotsStarted = performance.now();
  await client.query(
    `INSERT INTO slots (variable_id, slot_start, count, mean, min, max, first, last, completeness, flag, delta, inner_delta)
     SELECT v, $1::timestamptz + k * interval '10 minutes', 600, 50 + random(), 45 + random(), 55 + random(),
            50 + random(), 50 + random(), 1, 'G', NULL, NULL
     FROM generate_series(0, $3::int * 144 - 1) AS k, unnest($2::uuid[]) AS v
     ORDER BY k`,
    [new Date(t0).toISOString(), variables, SLOT_DAYS],
  );
  const slotsMs = performance.now() - slotsStarted;
  const slotRows = VARIABLES * 144 * SLOT_DAYS;
  print({
    name: 'slots.insert_rate',
    value: Math.round(slotRows / (slotsMs / 1000)),
    unit: 'rows/s',
    rows: slotRows,
  });

  // Slots above go in time order across variables, as the aggregate stage writes them
  // (every 10 minutes, all variables): the primary key then fills like production's.
  // Batch rows as they stay after validation: body NULL, status validated.
  await client.query(
    `INSERT INTO ingest_batches (id, origin, connector_id, connector_sequence, created_at, received_at,
       sample_count, stored_count, aggregate_count, first_ts, last_ts, digest, body, body_format, status, validated_at)
     SELECT gen_random_uuid(), 'connector', $1::uuid, k, now(), now(), 70, 70, 0, now(), now(),
            encode(sha256(k::text::bytea), 'hex'), NULL, 'json', 'validated', now()
     FROM generate_series(1, $2::int) AS k`,
    [randomUUID(), BATCHES],
  );

  await client.query('VACUUM ANALYZE');
  for (const [table, rows] of [
    ['samples_m', copied],
    ['slots_m', slotRows],
    ['ingest_batches', BATCHES],
  ] as const) {
    const { rows: sizes } = await client.query<{ heap: string; indexes: string; total: string }>(
      `SELECT pg_relation_size($1) AS heap, pg_indexes_size($1) AS indexes, pg_total_relation_size($1) AS total`,
      [table],
    );
    const size = sizes[0]!;
    print({
      name: `${table.replace(/_m$/, '')}.bytes_per_row`,
      value: Math.round((Number(size.total) / rows) * 10) / 10,
      unit: 'bytes',
      heapPerRow: Math.round((Number(size.heap) / rows) * 10) / 10,
      indexesPerRow: Math.round((Number(size.indexes) / rows) * 10) / 10,
      rows,
      totalBytes: Number(size.total),
    });
  }
} finally {
  await client.end().catch(() => undefined);
  await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  await admin.end();
}

// BullMQ: no-op jobs, added in bulk, taken by one worker process at the product's default
// concurrency (4) and at 16: the queue's own cost per job (round trips and Lua scripts).
const JOBS = 20_000;
const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const workerConnection = connection.duplicate();
for (const concurrency of [4, 16]) {
  const prefix = `anh-scaling-${randomBytes(4).toString('hex')}`;
  const queue = new Queue('measure', { connection, prefix });
  try {
    for (let i = 0; i < JOBS; i += 1000)
      await queue.addBulk(
        Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => ({
          name: 'noop',
          data: { i: i + k },
          opts: { removeOnComplete: true },
        })),
      );
    let done = 0;
    let allDone!: () => void;
    const finished = new Promise<void>((resolve) => (allDone = resolve));
    const started = performance.now();
    const worker = new Worker(
      'measure',
      () => {
        if (++done === JOBS) allDone();
        return Promise.resolve();
      },
      { connection: workerConnection, prefix, concurrency },
    );
    await finished;
    const ms = performance.now() - started;
    await worker.close();
    print({
      name: 'bullmq.noop_jobs',
      value: Math.round(JOBS / (ms / 1000)),
      unit: 'jobs/s',
      jobs: JOBS,
      workers: 1,
      concurrency,
    });
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
await workerConnection.quit();
await connection.quit();
