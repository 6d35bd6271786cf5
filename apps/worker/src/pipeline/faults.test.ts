import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createConnectorCredential, type Tenant } from '@anh/db';
import { seedField, seedTenant } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { storeUpload, syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import type { VariableBinding } from '@anh/db/telemetry';
import { bogotaDayStart } from '@anh/domain/bogota-day';
import { createLogger } from '../log';
import { createQueues, wakeValidate } from '../queues';
import { startWorkerRuntime } from '../runtime';

/**
 * Faults on the real PostgreSQL and Redis: the worker process killed with SIGKILL while a
 * stage's transaction is open, and Redis killed and restarted empty while batches keep
 * arriving. Afterwards every sample is in exactly one slot, every slot has exactly the
 * samples sent, and the rules' state counted each sample once.
 */
const testDb = useTestDatabase();
const workerDir = fileURLToPath(new URL('../..', import.meta.url));
const BATCHES = 16;
const PER_SLOT = 125; // readings per variable per batch: each batch fills one slot
const DAY = '2026-11-21';
const dayStart = (bogotaDayStart(DAY) as { ok: true; ms: number }).ms;

interface Field {
  tenant: Tenant;
  connectorId: string;
  bindings: VariableBinding[];
}

async function seedBackedUpField(): Promise<Field> {
  const { db } = testDb();
  const tenant = await seedTenant(db);
  await seedField(db, tenant.id, { wells: 3 });
  const connector = await createConnectorCredential(db, tenant.id, { name: 'PLC', actor: 'test' });
  return {
    tenant,
    connectorId: connector.connectorId,
    bindings: await tenantBindings(db, tenant.id),
  };
}

function batch(field: Field, b: number) {
  return syntheticBatch({
    connectorId: field.connectorId,
    bindings: field.bindings,
    startMs: dayStart,
    readingsPerVariable: PER_SLOT,
    firstIndex: b * PER_SLOT,
    stepMs: 600_000 / PER_SLOT,
    sequence: b,
  });
}

async function progress(field: Field) {
  return testDb().db.withTenantClient(field.tenant.id, async (client) => {
    const { rows } = await client.query<{ pending: string; dirty: string; slots: string }>(
      `SELECT (SELECT count(*) FROM ingest_batches WHERE status = 'stored') AS pending,
              (SELECT count(*) FROM dirty_slots) AS dirty, (SELECT count(*) FROM slots) AS slots`,
    );
    return {
      pending: Number(rows[0]!.pending),
      dirty: Number(rows[0]!.dirty),
      slots: Number(rows[0]!.slots),
    };
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every sample counted once: slot counts, slot totals and the rules' state all agree with what was sent. */
async function expectExactlyOnce(field: Field) {
  await testDb().db.withTenantClient(field.tenant.id, async (client) => {
    const { rows: slots } = await client.query<{ count: number }>('SELECT count FROM slots');
    expect(slots.length).toBe(BATCHES * field.bindings.length);
    expect(slots.every((s) => s.count === PER_SLOT)).toBe(true);
    const totalizer = field.bindings.find((b) => b.code === 'fiscal_gross_totalizer')!;
    const { rows: total } = await client.query<{ sum: number }>(
      'SELECT sum(delta) AS sum FROM slots WHERE variable_id = $1',
      [totalizer.id],
    );
    expect(total[0]!.sum).toBeCloseTo(0.5 * (BATCHES * PER_SLOT - 1), 6);
    const thp = field.bindings.find((b) => b.code === 'tubing_head_pressure')!;
    const { rows: state } = await client.query<{ seen: number }>(
      'SELECT seen FROM channel_state WHERE variable_id = $1',
      [thp.id],
    );
    expect(state[0]!.seen).toBe(BATCHES * PER_SLOT);
    const { rows: pending } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ingest_batches WHERE status <> 'validated'`,
    );
    expect(Number(pending[0]!.n)).toBe(0);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('pipeline under faults', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('a worker killed mid-job loses nothing and double-counts nothing', async () => {
    const field = await seedBackedUpField();
    for (let b = 0; b < BATCHES; b++)
      await storeUpload(testDb().db, field.tenant.id, batch(field, b));
    const prefix = `anh-kill-${randomBytes(4).toString('hex')}`;
    const env = {
      ...process.env,
      DATABASE_URL: testDb().url,
      TENANT_ROLE_SECRET: inject('tenantRoleSecret'),
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: prefix,
      WORKER_HEALTH_PORT: '0',
      PIPELINE_SWEEP_EVERY_MS: '1000',
      JOB_LOCK_MS: '2000',
      AGGREGATE_GRACE_MS: '0',
      LOG_LEVEL: 'error',
    };
    const startWorker = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: workerDir,
        env,
        stdio: 'ignore',
      });
      children.push(child);
      return child;
    };
    // Kill while a stage holds an open transaction (seen from pg_stat_activity).
    const kills: Array<{ pending: number; slots: number }> = [];
    for (let k = 0; k < 3; k++) {
      const child = startWorker();
      await until('a stage transaction', async () => {
        const { rows } = await testDb().db.controlPool.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()
             AND application_name = 'anh-worker:tenant' AND xact_start IS NOT NULL AND state <> 'idle'`,
        );
        return Number(rows[0]!.n) > 0;
      });
      await new Promise((r) => setTimeout(r, Math.random() * 200));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      kills.push(await progress(field));
    }
    const last = startWorker();
    await until('all batches validated and aggregated', async () => {
      const p = await progress(field);
      return p.pending === 0 && p.dirty === 0 && p.slots === BATCHES * field.bindings.length;
    });
    last.kill('SIGTERM');
    await new Promise((r) => last.once('exit', r));
    console.log(JSON.stringify({ test: 'worker_sigkill', kills }));
    await expectExactlyOnce(field);
  }, 150_000);

  it('Redis restarted (empty) during processing loses nothing', async () => {
    const field = await seedBackedUpField();
    const port = await freePort();
    const startRedis = () => {
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      children.push(child);
      return child;
    };
    let redisServer = startRedis();
    const url = `redis://127.0.0.1:${port}`;
    const redis = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 200 });
    redis.on('error', () => undefined);
    await until('redis', async () => redis.status === 'ready', 10_000);
    const log = createLogger('error', {}, () => undefined);
    const prefix = 'anh-redis-restart';
    const runtime = await startWorkerRuntime({
      db: testDb().db,
      redis,
      log,
      prefix,
      concurrency: 2,
      settings: { aggregateGraceMs: 0, retentionMonths: 60, partitionMonthsAhead: 2 },
      scheduleOverrides: { 'pipeline.sweep': 1000 },
      lockDurationMs: 2000,
    });
    // The ingest side's own connection, failing fast like the web app's.
    const ingestRedis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    ingestRedis.on('error', () => undefined);
    const ingestQueues = createQueues({ connection: ingestRedis, prefix });
    for (const queue of Object.values(ingestQueues)) queue.on('error', () => undefined);
    const wakeFailures: string[] = [];
    const send = async (b: number) => {
      await storeUpload(testDb().db, field.tenant.id, batch(field, b));
      await wakeValidate(ingestQueues, field.tenant.id).catch((e: unknown) =>
        wakeFailures.push(String(e)),
      );
    };
    for (let b = 0; b < BATCHES / 2; b++) await send(b);
    await until('processing to start', async () => (await progress(field)).pending < BATCHES / 2);
    redisServer.kill('SIGKILL');
    await new Promise((r) => redisServer.once('exit', r));
    for (let b = BATCHES / 2; b < BATCHES; b++) await send(b);
    await new Promise((r) => setTimeout(r, 1000));
    redisServer = startRedis();
    await until('all batches validated and aggregated', async () => {
      const p = await progress(field);
      return p.pending === 0 && p.dirty === 0 && p.slots === BATCHES * field.bindings.length;
    });
    console.log(
      JSON.stringify({ test: 'redis_restart', wakeFailuresWhileDown: wakeFailures.length }),
    );
    expect(wakeFailures.length).toBeGreaterThan(0);
    await runtime.close();
    await Promise.all(Object.values(ingestQueues).map((q) => q.close()));
    ingestRedis.disconnect();
    redis.disconnect();
    redisServer.kill('SIGKILL');
    await expectExactlyOnce(field);
  }, 150_000);
});
