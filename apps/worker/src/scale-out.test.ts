import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createConnectorCredential, type Tenant } from '@anh/db';
import { raiseAlert } from '@anh/db/reports';
import { seedField, seedTenant } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { storeUpload, syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import { signLiveToken } from '@anh/domain/live-token';
import { startWorkerProcess, type WorkerProcess } from '../test/worker-process';
import { createQueues, wakeValidate, type Queues } from './queues';

/**
 * Scale-out on one machine: two worker processes, each with its live-alert gateway, on one
 * Redis and one PostgreSQL. Jobs split between them and none runs twice; an alert reaches
 * sockets on either gateway once; a worker stopped with SIGTERM in the middle of a batch
 * finishes it (or hands it back) and nothing is lost.
 */
const testDb = useTestDatabase();
const prefix = `anh-scale-${randomBytes(4).toString('hex')}`;
const liveSecret = randomBytes(32).toString('base64url');
const START = Date.UTC(2026, 10, 20, 5);
const TENANTS = 8;
let redis: Redis;
let queues: Queues;
const workers: WorkerProcess[] = [];
const gatewayPorts: number[] = [];
const tenants: Tenant[] = [];
const sockets: Socket[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startWorker(): Promise<WorkerProcess> {
  const port = await freePort();
  gatewayPorts.push(port);
  const worker = await startWorkerProcess(
    {
      DATABASE_URL: testDb().url,
      REDIS_URL: inject('redisUrl'),
      TENANT_ROLE_SECRET: inject('tenantRoleSecret'),
      QUEUE_PREFIX: prefix,
      WORKER_HEALTH_PORT: '0',
      WORKER_CONCURRENCY: '2',
      LIVE_TOKEN_SECRET: liveSecret,
      GATEWAY_PORT: String(port),
      LOG_LEVEL: 'info',
    },
    { readyLine: /"worker started"/ },
  );
  workers.push(worker);
  return worker;
}

async function uploadBatches(
  tenant: Tenant,
  batches: number,
  readings: number,
  startMs = START,
): Promise<void> {
  const { db } = testDb();
  const connector = await createConnectorCredential(db, tenant.id, { name: 'PLC', actor: 'test' });
  const bindings = await tenantBindings(db, tenant.id);
  for (let b = 0; b < batches; b++)
    await storeUpload(
      db,
      tenant.id,
      syntheticBatch({
        connectorId: connector.connectorId,
        bindings,
        startMs,
        readingsPerVariable: readings,
        firstIndex: b * readings,
        stepMs: 1000,
        sequence: b,
      }),
    );
}

const pendingBatches = (tenant: Tenant) =>
  testDb().db.withTenantClient(tenant.id, async (c) =>
    Number(
      (
        await c.query<{ n: string }>(
          `SELECT count(*) AS n FROM ingest_batches WHERE status <> 'validated'`,
        )
      ).rows[0]!.n,
    ),
  );

beforeAll(async () => {
  const { db } = testDb();
  for (let i = 0; i < TENANTS; i++) {
    const tenant = await seedTenant(db);
    await seedField(db, tenant.id, { wells: 1 });
    tenants.push(tenant);
  }
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  queues = createQueues({ connection: redis, prefix });
  await startWorker();
  await startWorker();
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await Promise.all(workers.map((w) => w.stop()));
  for (const queue of Object.values(queues)) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await redis.quit();
}, 60_000);

describe('two workers and two gateways on one Redis', () => {
  it('split the jobs between them and run none twice', async () => {
    for (const tenant of tenants) await uploadBatches(tenant, 3, 30);
    const before = Date.now();
    for (const tenant of tenants) await wakeValidate(queues, tenant.id);
    await expect
      .poll(async () => (await Promise.all(tenants.map(pendingBatches))).reduce((a, b) => a + b), {
        timeout: 60_000,
        interval: 250,
      })
      .toBe(0);
    // Validate jobs of these tenants: from our wake-ups, and any the workers' own sweep
    // queued meanwhile (a sweep finds waiting batches too). Every one ran once.
    const ours = new Set(tenants.map((t) => t.id));
    const done: Job[] = (await queues.pipeline.getJobs(['completed'], 0, 1000)).filter(
      (j) => j.name === 'pipeline.validate' && ours.has((j.data as { tenantId: string }).tenantId),
    );
    expect(new Set(done.map((j) => j.id)).size).toBe(done.length);
    expect(done.every((j) => j.attemptsMade <= 1 && j.finishedOn! >= j.processedOn!)).toBe(true);
    expect(new Set(done.map((j) => (j.data as { tenantId: string }).tenantId))).toEqual(ours);
    expect(done.some((j) => j.timestamp >= before)).toBe(true);
    const failed = await queues.pipeline.getJobs(['failed'], 0, 100);
    expect(failed.map((j) => j.failedReason)).toEqual([]);
    const byWorker = new Map<string, number>();
    for (const job of done)
      byWorker.set(job.processedBy!, (byWorker.get(job.processedBy!) ?? 0) + 1);
    // Both processes took some of them.
    const pidsThatWorked = [...byWorker.keys()].map((name) => Number(name.split(':').pop()));
    expect(pidsThatWorked.sort()).toEqual(workers.map((w) => w.pid).sort());
    console.log(
      JSON.stringify({
        name: 'scale_out.validate_jobs_by_worker',
        value: Object.fromEntries(byWorker),
      }),
    );
    // Each batch validated once: its samples' validation state was written once.
    for (const tenant of tenants) expect(await pendingBatches(tenant)).toBe(0);
  }, 120_000);

  it('an alert reaches sockets on either gateway, once each', async () => {
    const tenant = tenants[0]!;
    const phones = await Promise.all(
      gatewayPorts.map(async (port) => {
        const socket = connect(`http://127.0.0.1:${port}`, {
          path: '/live',
          transports: ['websocket'],
          reconnection: false,
          auth: {
            token: signLiveToken(liveSecret, {
              userId: randomUUID(),
              tenantId: tenant.id,
              role: 'operator',
              nowMs: Date.now(),
            }).token,
          },
        });
        sockets.push(socket);
        const seen: number[] = [];
        socket.on('alert', (event: { seq: number }) => seen.push(event.seq));
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', () => resolve());
          socket.once('connect_error', reject);
        });
        await socket.timeout(10_000).emitWithAck('subscribe', {});
        return seen;
      }),
    );
    await testDb().db.withTenantClient(tenant.id, (client) =>
      raiseAlert(client, {
        kind: 'test.scale',
        subject: 'dos-gateways',
        severity: 'warning',
        audience: ['operator'],
        message: 'alerta para los dos',
        data: {},
        nowMs: Date.now(),
      }),
    );
    await expect.poll(() => phones.map((p) => p.length), { timeout: 10_000 }).toEqual([1, 1]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(phones.map((p) => p.length)).toEqual([1, 1]);
    expect(phones[0]).toEqual(phones[1]);
  }, 60_000);

  it('SIGTERM in the middle of a batch: it is finished or handed back, nothing lost', async () => {
    const tenant = tenants[1]!;
    // One run takes at most 100,000 samples: this is several runs of work.
    await uploadBatches(tenant, 6, 600, START + 86_400_000);
    const { db } = testDb();
    const pending = await db.withTenantClient(
      tenant.id,
      async (c) =>
        (
          await c.query<{ seq: string; sample_count: number }>(
            `SELECT seq, sample_count FROM ingest_batches WHERE status = 'stored'`,
          )
        ).rows,
    );
    expect(pending).toHaveLength(6);
    await wakeValidate(queues, tenant.id);
    // Wait until a worker holds the job, then stop that worker.
    let holder: WorkerProcess | undefined;
    await expect
      .poll(
        async () => {
          const [active] = await queues.pipeline.getActive();
          holder = active?.processedBy
            ? workers.find((w) => active.processedBy!.endsWith(`:${w.pid}`))
            : undefined;
          return holder !== undefined;
        },
        { timeout: 30_000, interval: 20 },
      )
      .toBe(true);
    const stoppedAt = Date.now();
    await holder!.stop();
    expect(await holder!.exited).toBe(0); // a clean exit: it drained, not killed
    console.log(
      JSON.stringify({ name: 'scale_out.sigterm_drain_ms', value: Date.now() - stoppedAt }),
    );
    // The other worker (or the sweep) carries on: every batch validated, every sample kept.
    const other = workers.find((w) => w !== holder)!;
    expect(other).toBeDefined();
    for (let i = 0; i < 20 && (await pendingBatches(tenant)) > 0; i++) {
      await wakeValidate(queues, tenant.id);
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    expect(await pendingBatches(tenant)).toBe(0);
    // Every sample of those batches is there once, and each batch was validated.
    const stored = await db.withTenantClient(tenant.id, async (c) =>
      Number(
        (
          await c.query<{ n: string }>(
            `SELECT count(*) AS n FROM samples WHERE batch_seq = ANY($1::bigint[])`,
            [pending.map((p) => p.seq)],
          )
        ).rows[0]!.n,
      ),
    );
    expect(stored).toBe(pending.reduce((n, p) => n + p.sample_count, 0));
  }, 180_000);
});
