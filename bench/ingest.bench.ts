/**
 * `npm run bench:ingest`: the cloud ingest path on this machine, one run, JSON lines out.
 *
 * 1. copy_baseline — the same rows written straight into a tenant's `samples` with COPY,
 *    5,000 rows per transaction, as many streams as connectors below: the physical limit.
 * 2. end_to_end — connectors posting 5,000-sample gzip batches over HTTP to the real Next.js
 *    ingest route (`next start`), each waiting for its acknowledgement (stored and committed)
 *    before sending the next, as the connector does: samples/s, and ack latency p50/p99.
 * 3. pipeline.validate, pipeline.aggregate — the worker's stages draining what was ingested.
 *
 * Uses its own databases (anh_test_…, dropped at the end) and a Redis key prefix of its own.
 * The web app is built first if apps/web/.next is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { from as copyFrom } from 'pg-copy-streams';
import { createConnectorCredential, type Database } from '@anh/db';
import { seedField, seedTenant } from '@anh/db/seed';
import { createTestDatabase, prepareTemplateDatabase } from '@anh/db/testing';
import { ensurePartitionsFor } from '@anh/db/telemetry';
import { syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import type { UploadBatch } from '@anh/domain/upload';
import { benchEnv, inheritedEnv } from './env';
import { runAggregateStage } from '../apps/worker/src/pipeline/aggregate';
import { runValidateStage } from '../apps/worker/src/pipeline/validate';

const env = benchEnv;

const BATCH_SAMPLES = 5000;
const secret = randomBytes(32).toString('base64url');
const template = 'anh_bench_template';
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

await prepareTemplateDatabase(env.DATABASE_URL, template, secret);
const testDb = await createTestDatabase({
  baseUrl: env.DATABASE_URL,
  template,
  tenantRoleSecret: secret,
});
const db: Database = testDb.db;

async function fieldWithConnectors(n: number) {
  const tenant = await seedTenant(db);
  await seedField(db, tenant.id, { wells: 16 });
  const bindings = await tenantBindings(db, tenant.id);
  const connectors = [];
  for (let i = 0; i < n; i++)
    connectors.push(
      await createConnectorCredential(db, tenant.id, { name: `PLC ${i}`, actor: 'bench' }),
    );
  return { tenant, bindings, connectors };
}

// The same rows for both runs: each connector owns a slice of the variables and sends its
// readings in time order, 5,000 samples a batch.
const e2e = await fieldWithConnectors(env.BENCH_CONNECTORS);
const baselineField = await fieldWithConnectors(1);
const start = Date.now() - 20 * 86_400_000;
function batchesFor(connectorIndex: number, connectorId: string, bindings: typeof e2e.bindings) {
  const mine = bindings.filter((_, i) => i % env.BENCH_CONNECTORS === connectorIndex);
  const perBatch = Math.floor(BATCH_SAMPLES / mine.length);
  const count = Math.ceil(env.BENCH_BATCHES / env.BENCH_CONNECTORS);
  return Array.from({ length: count }, (_, b) =>
    syntheticBatch({
      connectorId,
      bindings: mine,
      startMs: start,
      readingsPerVariable: perBatch,
      firstIndex: b * perBatch,
      stepMs: 1000,
      sequence: b,
    }),
  );
}
const plans = e2e.connectors.map((c, i) => ({
  connector: c,
  batches: batchesFor(i, c.connectorId, e2e.bindings),
}));
const totalSamples = plans.reduce(
  (n, p) => n + p.batches.reduce((m, b) => m + b.samples.length, 0),
  0,
);
for (const field of [e2e, baselineField])
  await ensurePartitionsFor(db, field.tenant.id, { first: start, last: Date.now() + 86_400_000 });

// 1. COPY baseline: same rows (variable ids mapped to the baseline tenant's), same streams.
const idMap = new Map(e2e.bindings.map((b, i) => [b.id, baselineField.bindings[i]!.id]));
function copyText(batch: UploadBatch, seq: number): string {
  let text = '';
  for (const s of batch.samples)
    text += `${idMap.get(s.binding)}\t${s.ts}\t${s.value}\t0\t0\t${seq}\n`;
  return text;
}
const copyTexts = plans.map((p) => p.batches.map((b, k) => copyText(b, k + 1)));
const copyStart = performance.now();
await Promise.all(
  copyTexts.map((texts) =>
    (async () => {
      for (const text of texts) {
        await db.withTenantClient(baselineField.tenant.id, async (client) => {
          const stream = client.query(
            copyFrom(
              'COPY samples (variable_id, ts, value, source_status, source_code, batch_seq) FROM STDIN',
            ),
          );
          await pipeline(Readable.from([text]), stream);
        });
      }
    })(),
  ),
);
const copyRate = totalSamples / ((performance.now() - copyStart) / 1000);
console.log(
  JSON.stringify({
    name: 'ingest.copy_baseline',
    value: Math.round(copyRate),
    unit: 'samples/s',
    samples: totalSamples,
    streams: env.BENCH_CONNECTORS,
    rowsPerTransaction: BATCH_SAMPLES,
  }),
);

// 2. End to end through next start.
const webDir = new URL('../apps/web/', import.meta.url).pathname;
if (!existsSync(`${webDir}.next/BUILD_ID`)) {
  console.error('bench: building the web app first…');
  const build = spawnSync('npm', ['run', 'build', '-w', '@anh/web'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
}
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
const web = spawn(
  process.execPath,
  [
    ...env.BENCH_WEB_NODE_ARGS.split(' ').filter(Boolean),
    nextBin,
    'start',
    '--hostname',
    '127.0.0.1',
    '--port',
    String(env.BENCH_PORT),
  ],
  {
    cwd: webDir,
    env: {
      ...inheritedEnv,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      DATABASE_URL: testDb.url,
      TENANT_ROLE_SECRET: secret,
      NEXTAUTH_SECRET: randomBytes(32).toString('base64url'),
      NEXTAUTH_URL: `http://127.0.0.1:${env.BENCH_PORT}`,
      REDIS_URL: env.REDIS_URL,
      QUEUE_PREFIX: `anh-bench-${randomBytes(3).toString('hex')}`,
      INGEST_MAX_BATCHES_PER_MINUTE: '100000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const url = `http://127.0.0.1:${env.BENCH_PORT}/api/ingest/v1/batches`;
for (let i = 0; ; i++) {
  const ready = await fetch(url, { method: 'POST' }).then(
    (r) => r.status === 401,
    () => false,
  );
  if (ready) break;
  if (i > 200) throw new Error('next start did not answer');
  await new Promise((r) => setTimeout(r, 100));
}
const bodies = plans.map((p) => p.batches.map((b) => gzipSync(JSON.stringify(b), { level: 1 })));
async function send(token: string, body: Buffer): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`ingest answered ${response.status}: ${text}`);
  return performance.now() - t0;
}
// Warm-up: the first batch of each connector (JIT, pools, partitions cache), not measured.
await Promise.all(plans.map((p, i) => send(p.connector.token, bodies[i]![0]!)));
const latencies: number[] = [];
let measuredSamples = 0;
const e2eStart = performance.now();
await Promise.all(
  plans.map((p, i) =>
    (async () => {
      for (let k = 1; k < bodies[i]!.length; k++) {
        latencies.push(await send(p.connector.token, bodies[i]![k]!));
        measuredSamples += p.batches[k]!.samples.length;
      }
    })(),
  ),
);
const e2eRate = measuredSamples / ((performance.now() - e2eStart) / 1000);
web.kill('SIGINT');
await new Promise((resolve) => web.once('exit', resolve));
latencies.sort((a, b) => a - b);
const baseline = { name: 'ingest.copy_baseline', value: Math.round(copyRate) };
console.log(
  JSON.stringify({
    name: 'ingest.end_to_end',
    value: Math.round(e2eRate),
    unit: 'samples/s',
    samples: measuredSamples,
    connectors: env.BENCH_CONNECTORS,
    batchSamples: BATCH_SAMPLES,
    ratioToBaseline: Number((e2eRate / copyRate).toFixed(3)),
    baseline,
  }),
);
for (const p of [50, 99])
  console.log(
    JSON.stringify({
      name: `ingest.ack_latency_p${p}`,
      value: Number(percentile(latencies, p).toFixed(1)),
      unit: 'ms',
      batchSamples: BATCH_SAMPLES,
      requests: latencies.length,
    }),
  );

// 3. The validate stage draining it all (the worker's first stage, in this process).
const validateStart = performance.now();
let validated = 0;
for (;;) {
  const outcome = await runValidateStage(db, e2e.tenant.id);
  validated += outcome.samples;
  if (outcome.batches === 0) break;
}
console.log(
  JSON.stringify({
    name: 'pipeline.validate',
    value: Math.round(validated / ((performance.now() - validateStart) / 1000)),
    unit: 'samples/s',
    samples: validated,
  }),
);

// 4. The aggregate stage: every slot the ingested readings touched, from all its samples.
const aggregateStart = performance.now();
let slots = 0;
for (;;) {
  const outcome = await runAggregateStage(db, e2e.tenant.id, {
    nowMs: Date.now() + 86_400_000,
    graceMs: 0,
  });
  slots += outcome.slots;
  if (outcome.slots === 0) break;
}
const aggregateSeconds = (performance.now() - aggregateStart) / 1000;
console.log(
  JSON.stringify({
    name: 'pipeline.aggregate',
    value: Math.round(validated / aggregateSeconds),
    unit: 'samples/s',
    slots,
    slotsPerSecond: Math.round(slots / aggregateSeconds),
  }),
);
await testDb.drop();
