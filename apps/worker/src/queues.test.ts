import { randomBytes } from 'node:crypto';
import { QueueEvents, UnrecoverableError, type Worker } from 'bullmq';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { controlTables, withConnection } from '@anh/db';
import { seedField, seedTenant } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { AppError } from '@anh/domain/errors';
import { createLogger } from './log';
import { createQueues, enqueue, registerSchedules, type Queues } from './queues';
import { createWorkers, processJob } from './workers';

const testDb = useTestDatabase();
const prefix = `anh-test-${randomBytes(4).toString('hex')}`;
let redis: Redis;
let queues: Queues;
let workers: Worker[];
let events: QueueEvents;
const log = createLogger('error', {}, () => undefined);

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  queues = createQueues({ connection: redis, prefix });
  workers = createWorkers({ db: testDb().db, log }, { connection: redis, prefix, concurrency: 2 });
  events = new QueueEvents('maintenance', { connection: { url: inject('redisUrl') }, prefix });
  await events.waitUntilReady();
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await events.close();
  for (const queue of Object.values(queues)) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await redis.quit();
});

describe('job catalog and workers', () => {
  it('refuses a bad payload before it reaches Redis', async () => {
    const error = await enqueue(queues, 'audit.anchor', { tenantId: 'nope' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION');
    expect(await queues.maintenance.count()).toBe(0);
  });

  it('fails unknown jobs and bad payloads without retrying', async () => {
    const ctx = { db: testDb().db, log };
    await expect(processJob(ctx, { id: '1', name: 'nope', data: {} })).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    await expect(
      processJob(ctx, { id: '2', name: 'audit.verify', data: { extra: 1 } }),
    ).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('anchors tenant audit heads in the control schema', async () => {
    const { db } = testDb();
    const tenant = await seedTenant(db);
    await seedField(db, tenant.id);
    const job = await enqueue(queues, 'audit.anchor', { tenantId: tenant.id });
    const result = (await job.waitUntilFinished(events, 20_000)) as {
      anchored: Array<{ tenantId: string; seq: number }>;
    };
    expect(result.anchored).toEqual([{ tenantId: tenant.id, seq: 2 }]);
    const anchors = await db.control
      .select()
      .from(controlTables.auditAnchors)
      .where(eq(controlTables.auditAnchors.tenantId, tenant.id));
    expect(anchors.map((a) => a.seq)).toEqual([2]);
  });

  it('reports a tampered tenant chain', async () => {
    const { db, url } = testDb();
    const tenant = await seedTenant(db);
    await seedField(db, tenant.id);
    await withConnection(url, async (c) => {
      await c.query("SET session_replication_role = 'replica'");
      await c.query(
        `UPDATE "${tenant.schemaName}".audit_log SET actor = 'user:otro' WHERE seq = 2`,
      );
    });
    const job = await enqueue(queues, 'audit.verify', { tenantId: tenant.id });
    const result = (await job.waitUntilFinished(events, 20_000)) as {
      failures: Array<{ scope: string; problems: unknown[] }>;
    };
    expect(result.failures).toEqual([
      { scope: tenant.id, problems: [{ kind: 'hash_mismatch', seq: 2 }] },
    ]);
  });

  it('registers the catalog schedules idempotently', async () => {
    expect(await registerSchedules(queues)).toEqual([
      'anomaly.retrain',
      'pipeline.sweep',
      'schedules.sync',
      'storage.partitions',
      'audit.anchor',
      'audit.verify',
      'notify.sweep',
    ]);
    await registerSchedules(queues, { 'pipeline.sweep': 5000 });
    const schedulers = await queues.maintenance.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual([
      'schedule:anomaly.retrain',
      'schedule:audit.anchor',
      'schedule:audit.verify',
      'schedule:schedules.sync',
      'schedule:storage.partitions',
    ]);
    const verify = schedulers.find((s) => s.key === 'schedule:audit.verify');
    expect(verify).toMatchObject({ pattern: '15 5 * * *', tz: 'America/Bogota' });
    // Upserted, not added: one sweep, at the interval given last.
    const pipeline = await queues.pipeline.getJobSchedulers();
    expect(pipeline).toHaveLength(1);
    expect(pipeline[0]).toMatchObject({ key: 'schedule:pipeline.sweep', every: 5000 });
  });
});
