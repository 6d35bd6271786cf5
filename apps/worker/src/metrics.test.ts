import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createConnectorCredential,
  createDatabase,
  recordConnectorStatus,
  withConnection,
  type Database,
  type Tenant,
} from '@anh/db';
import { buildDayReports } from '@anh/db/reports';
import { seedField, seedTenant } from '@anh/db/seed';
import { seedProductionHistory } from '@anh/db/seed-history';
import { useTestDatabase } from '@anh/db/test-helpers';
import { buildTimeOf } from '@anh/domain/delivery-schedule';
import { createHealthServer } from './health';
import { createLogger } from './log';
import { createWorkerMetrics } from './metrics';
import { createQueues, enqueue, type Queues } from './queues';
import { createWorkers, processJob } from './workers';

/**
 * The worker's metrics against real Redis and PostgreSQL, read the way Prometheus reads
 * them (the text format over HTTP from the health server): queue depths and the oldest
 * waiting job, jobs counted by outcome, report delivery states per tenant; and the
 * liveness and readiness answers.
 */
const testDb = useTestDatabase();
const NOW = Date.UTC(2026, 10, 27, 20, 37, 12);
const DAYS = ['2026-11-25', '2026-11-26'];
const idle = `anh-metrics-idle-${randomBytes(4).toString('hex')}`;
const busy = `anh-metrics-busy-${randomBytes(4).toString('hex')}`;
let redis: Redis;
let idleQueues: Queues;
let busyQueues: Queues;
let workers: Worker[] = [];
const servers: Server[] = [];
const lines: string[] = [];
const log = createLogger('debug', { service: 'test' }, (line) => lines.push(line));
let reporting: Tenant;

beforeAll(async () => {
  const { db } = testDb();
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  idleQueues = createQueues({ connection: redis, prefix: idle });
  busyQueues = createQueues({ connection: redis, prefix: busy });
  workers = createWorkers({ db, log }, { connection: redis, prefix: busy, concurrency: 2 });
  reporting = await seedTenant(db);
  await seedProductionHistory(db, reporting.id, { wells: 1, days: 2, nowMs: NOW });
  for (const day of DAYS) await buildDayReports(db, reporting.id, day, { nowMs: buildTimeOf(day) });
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  for (const queue of [...Object.values(idleQueues), ...Object.values(busyQueues)]) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await redis.quit();
});

async function serve(options: Parameters<typeof createWorkerMetrics>[0], db?: Database) {
  const metrics = createWorkerMetrics(options);
  const server = createHealthServer({ db: db ?? testDb().db, redis, metrics: metrics.registry });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The samples of a scrape: `name{labels}` → value. */
async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('worker metrics', () => {
  it('counts jobs per queue and state and ages the oldest waiting job', async () => {
    const url = await serve({ queues: idleQueues });
    await idleQueues.maintenance.add('audit.anchor', {}, { timestamp: Date.now() - 90_000 });
    await idleQueues.maintenance.add('audit.anchor', {});
    await enqueue(idleQueues, 'audit.verify', {}, { delayMs: 600_000 });
    const samples = await scrape(url);
    expect(samples.get('anh_worker_queue_jobs{queue="maintenance",state="waiting"}')).toBe(2);
    expect(samples.get('anh_worker_queue_jobs{queue="maintenance",state="delayed"}')).toBe(1);
    expect(samples.get('anh_worker_queue_jobs{queue="pipeline",state="waiting"}')).toBe(0);
    const age = samples.get('anh_worker_queue_oldest_waiting_seconds{queue="maintenance"}')!;
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(150);
    expect(samples.get('anh_worker_queue_oldest_waiting_seconds{queue="notify"}')).toBe(0);
    // Default process metrics come along.
    expect(samples.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('counts jobs by outcome and logs them with their job and tenant ids', async () => {
    const { db } = testDb();
    const url = await serve({});
    const before = await scrape(url);
    const tenant = await seedTenant(db);
    await seedField(db, tenant.id);
    const key = (name: string, outcome: string, queue = 'maintenance') =>
      `anh_worker_jobs_total{queue="${queue}",name="${name}",outcome="${outcome}"}`;
    const count = (samples: Map<string, number>, k: string) => samples.get(k) ?? 0;
    await enqueue(busyQueues, 'audit.anchor', { tenantId: tenant.id });
    // A payload the catalog refuses fails for good at once (no retries).
    await busyQueues.maintenance.add('audit.anchor', { tenantId: 'not-a-uuid' }, { attempts: 3 });
    await expect
      .poll(
        async () => {
          const samples = await scrape(url);
          return [
            count(samples, key('audit.anchor', 'completed')) -
              count(before, key('audit.anchor', 'completed')),
            count(samples, key('audit.anchor', 'failed')) -
              count(before, key('audit.anchor', 'failed')),
          ];
        },
        { timeout: 20_000, interval: 200 },
      )
      .toEqual([1, 1]);
    const after = await scrape(url);
    expect(
      after.get(
        'anh_worker_job_duration_seconds_count{queue="maintenance",name="audit.anchor",outcome="completed"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    const failed = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.message === 'job failed');
    expect(failed).toMatchObject({ level: 'warn', queue: 'maintenance', job: 'audit.anchor' });
    expect(failed?.jobId).toBeTruthy();

    // Inside a job every line carries the job, its id and the tenant.
    await withConnection(testDb().url, async (c) => {
      await c.query("SET session_replication_role = 'replica'");
      await c.query(
        `UPDATE "${tenant.schemaName}".audit_log SET actor = 'user:otro' WHERE seq = 2`,
      );
    });
    const jobId = randomUUID();
    await processJob(
      { db, log },
      { id: jobId, name: 'audit.verify', data: { tenantId: tenant.id } },
    );
    const verified = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e.message === 'audit chain verification failed');
    expect(verified).toMatchObject({
      level: 'error',
      job: 'audit.verify',
      jobId,
      tenantId: tenant.id,
    });
  });

  it('gives report delivery states, overdue reports and the newest delivered day per tenant', async () => {
    const { db } = testDb();
    const url = await serve({ db, now: () => NOW, reportsEveryMs: 0 });
    const id = reporting.id;
    let samples = await scrape(url);
    // Both days built at 06:00, neither delivered; both past their 06:50 deadline at NOW.
    expect(samples.get(`anh_reports{tenant_id="${id}",state="pending"}`)).toBe(2);
    expect(samples.get(`anh_reports{tenant_id="${id}",state="delivered"}`)).toBe(0);
    expect(samples.get(`anh_reports_overdue{tenant_id="${id}"}`)).toBe(2);
    const before = samples.get(`anh_report_newest_delivered_day_seconds{tenant_id="${id}"}`)!;
    expect(before).toBeLessThan(Date.UTC(2026, 10, 25, 5) / 1000);

    await db.withTenantClient(id, (client) =>
      client.query(`UPDATE reports SET delivered_at = $1 WHERE day = $2`, [new Date(NOW), DAYS[1]]),
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
    samples = await scrape(url);
    expect(samples.get(`anh_reports{tenant_id="${id}",state="pending"}`)).toBe(1);
    expect(samples.get(`anh_reports{tenant_id="${id}",state="delivered"}`)).toBe(1);
    expect(samples.get(`anh_reports_overdue{tenant_id="${id}"}`)).toBe(1);
    // 2026-11-26 00:00 in Bogotá (UTC−5).
    expect(samples.get(`anh_report_newest_delivered_day_seconds{tenant_id="${id}"}`)).toBe(
      Date.UTC(2026, 10, 26, 5) / 1000,
    );
  });

  it('gives each connector’s last upload and buffer as its uploads reported them', async () => {
    const { db } = testDb();
    const url = await serve({ db, reportsEveryMs: 0 });
    const silent = await createConnectorCredential(db, reporting.id, {
      name: 'Silent',
      actor: 'test',
    });
    const plc = await createConnectorCredential(db, reporting.id, { name: 'PLC', actor: 'test' });
    await recordConnectorStatus(
      db,
      plc.connectorId,
      { version: '0.1.0', bufferDepth: 42, bufferOldestAt: new Date(NOW - 90_000) },
      NOW,
    );
    const samples = await scrape(url);
    const labels = `{tenant_id="${reporting.id}",connector_id="${plc.connectorId}"}`;
    expect(samples.get(`anh_connector_last_upload_timestamp_seconds${labels}`)).toBe(NOW / 1000);
    expect(samples.get(`anh_connector_reported_buffer_samples${labels}`)).toBe(42);
    expect(samples.get(`anh_connector_reported_buffer_oldest_timestamp_seconds${labels}`)).toBe(
      (NOW - 90_000) / 1000,
    );
    // Never heard from: no series (an alert on silence needs a first upload to compare with).
    expect([...samples.keys()].some((k) => k.includes(silent.connectorId))).toBe(false);
  });

  it('answers liveness always and readiness only while PostgreSQL and Redis answer', async () => {
    const up = await serve({});
    expect((await fetch(`${up}/health`)).status).toBe(200);
    const ready = await fetch(`${up}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, postgres: 'ok', redis: 'ok' });

    // A database nobody listens on: alive, not ready, and the scrape says so too.
    const gone = createDatabase({
      url: 'postgres://postgres@127.0.0.1:1/anh',
      tenantRoleSecret: inject('tenantRoleSecret'),
      applicationName: 'anh-metrics-test',
    });
    try {
      const down = await serve({ db: gone, timeoutMs: 1000 }, gone);
      expect((await fetch(`${down}/health`)).status).toBe(200);
      const notReady = await fetch(`${down}/ready`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ ok: false, postgres: 'down', redis: 'ok' });
      const samples = await scrape(down);
      expect(samples.get('anh_worker_metrics_collect_errors_total{source="postgres"}')).toBe(1);
      expect([...samples.keys()].some((k) => k.startsWith('anh_reports{'))).toBe(false);
      expect((await fetch(`${down}/nothing`)).status).toBe(404);
    } finally {
      await gone.close();
    }
  });
});
