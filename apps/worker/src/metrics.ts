import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { controlTables, type Database } from '@anh/db';
import { bogotaDayOf } from '@anh/domain/bogota-day';
import { isJobName, QUEUES } from './jobs/catalog';
import type { Queues } from './queues';
import type { GatewayStats } from './gateway/gateway';

/**
 * The worker's Prometheus metrics (served on its health server, `GET /metrics`).
 *
 * Jobs are counted where they run (workers.ts calls `recordJob`); everything else is read
 * when Prometheus scrapes: queue depths and the age of the oldest waiting job from Redis
 * (one round-trip per queue), report delivery states from PostgreSQL (one query per active
 * tenant, refreshed at most every `reportsEveryMs` and served from memory in between, so a
 * scrape never costs more than that), and the live gateway's counters from memory.
 *
 * Labels are bounded: queue and job names come from the catalog (anything else is
 * `unknown`), states from fixed lists, tenants are ids of active tenants (a tenant is a
 * customer: a few hundred at most). Never user ids, never free text.
 */

export type JobOutcome = 'completed' | 'retried' | 'failed';

// The job series live outside any registry: workers.ts records into them wherever the
// runtime was started, and each registry made below serves them.
const jobsTotal = new Counter({
  name: 'anh_worker_jobs_total',
  help: 'Jobs this process ran, by queue, job name and outcome (retried: failed, will run again; failed: for good).',
  labelNames: ['queue', 'name', 'outcome'] as const,
  registers: [],
});
const jobDuration = new Histogram({
  name: 'anh_worker_job_duration_seconds',
  help: 'How long a job ran in this process, by queue, job name and outcome.',
  labelNames: ['queue', 'name', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  registers: [],
});

export function recordJob(queue: string, name: string, outcome: JobOutcome, seconds: number): void {
  const labels = {
    queue: (QUEUES as readonly string[]).includes(queue) ? queue : 'unknown',
    name: isJobName(name) ? name : 'unknown',
    outcome,
  };
  jobsTotal.inc(labels);
  jobDuration.observe(labels, seconds);
}

/** Job states counted per queue (BullMQ's names). */
export const QUEUE_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'waiting-children',
  'failed',
] as const;

/** Report delivery states, as the reports page shows them (packages/db report-views). */
export const REPORT_STATES = ['delivered', 'pending', 'failed', 'superseded'] as const;

export interface WorkerMetricsOptions {
  queues?: Queues;
  db?: Database;
  /** The live gateway's counters, when this process runs one. */
  gateway?: () => GatewayStats | null;
  /** Now, for ages and deadlines (tests set it); the short memos keep to the real clock. */
  now?: () => number;
  /** Report states are read from PostgreSQL at most this often (default 15 s). */
  reportsEveryMs?: number;
  /** Reports of this many past days are counted (default 7). */
  reportDays?: number;
  /** A scrape waits at most this long for Redis or PostgreSQL (default 3 s). */
  timeoutMs?: number;
  /** Most tenants given report series (default 2000): a bound on the series, not a limit in practice. */
  maxTenants?: number;
}

export interface WorkerMetrics {
  registry: Registry;
}

class CollectTimeout extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CollectTimeout(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface QueueSnapshot {
  counts: Record<string, Record<string, number>>;
  oldestWaitingSeconds: Record<string, number>;
}

interface TenantReports {
  states: Record<string, number>;
  overdue: number;
  newestDeliveredDaySeconds: number | null;
}

/** A connector's health as its last upload reported it (the web app records the headers). */
interface ConnectorReport {
  tenantId: string;
  connectorId: string;
  lastUploadSeconds: number | null;
  bufferSamples: number | null;
  bufferOldestSeconds: number | null;
}

interface DatabaseSnapshot {
  reports: Map<string, TenantReports>;
  connectors: ConnectorReport[];
}

export function createWorkerMetrics(options: WorkerMetricsOptions = {}): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registry.registerMetric(jobsTotal);
  registry.registerMetric(jobDuration);
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 3000;

  // Reads a scrape starts (Redis, PostgreSQL); the error counter waits for them, so a
  // failure shows in the same scrape whose series it left out.
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  };
  const collectErrors = new Counter({
    name: 'anh_worker_metrics_collect_errors_total',
    help: 'Scrapes in which a source of metrics (redis, postgres) failed or did not answer in time; its series are left out of that scrape.',
    labelNames: ['source'] as const,
    // Registered last (below): prom-client starts every collect at once, in order.
    registers: [],
    async collect() {
      await Promise.allSettled([...inFlight]);
    },
  });

  if (options.queues) {
    const queues = options.queues;
    // The two queue gauges are collected together (prom-client asks each metric at once):
    // one snapshot shared by both, fetched once per scrape.
    let snapshot: { at: number; value: Promise<QueueSnapshot | null> } | null = null;
    const readQueues = async (): Promise<QueueSnapshot> => {
      const out: QueueSnapshot = { counts: {}, oldestWaitingSeconds: {} };
      await Promise.all(
        Object.entries(queues).map(async ([name, queue]) => {
          const [counts, oldest] = await Promise.all([
            queue.getJobCounts(...QUEUE_STATES),
            // The wait list is served oldest first: one job, read from its end.
            queue.getJobs(['waiting'], 0, 0, true),
          ]);
          out.counts[name] = counts;
          const job = oldest[0];
          // A delayed job starts waiting when its delay ends, not when it was added.
          out.oldestWaitingSeconds[name] = job
            ? Math.max(0, (now() - (job.timestamp + (job.delay ?? 0))) / 1000)
            : 0;
        }),
      );
      return out;
    };
    const queueSnapshot = (): Promise<QueueSnapshot | null> => {
      if (!snapshot || Date.now() - snapshot.at > 500) {
        const value = withTimeout(readQueues(), timeoutMs, 'redis').catch(() => {
          collectErrors.inc({ source: 'redis' });
          return null;
        });
        snapshot = { at: Date.now(), value: track(value) };
      }
      return snapshot.value;
    };
    new Gauge({
      name: 'anh_worker_queue_jobs',
      help: 'Jobs in each queue by state (waiting, prioritized, active, delayed, waiting-children, failed).',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const value = await queueSnapshot();
        if (!value) return;
        for (const [queue, counts] of Object.entries(value.counts))
          for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
      },
    });
    new Gauge({
      name: 'anh_worker_queue_oldest_waiting_seconds',
      help: 'Age of the oldest job waiting in each queue (0 when none waits).',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const value = await queueSnapshot();
        if (!value) return;
        for (const [queue, age] of Object.entries(value.oldestWaitingSeconds))
          this.set({ queue }, age);
      },
    });
  }

  if (options.db) {
    const db = options.db;
    const everyMs = options.reportsEveryMs ?? 15_000;
    const days = options.reportDays ?? 7;
    const maxTenants = options.maxTenants ?? 2000;
    let cached: { at: number; value: DatabaseSnapshot } | null = null;
    let refreshing: Promise<DatabaseSnapshot> | null = null;

    const readDatabase = async (): Promise<DatabaseSnapshot> => {
      const at = now();
      const since = bogotaDayOf(at - days * 86_400_000);
      const tenants = await db.control
        .select({ id: controlTables.tenants.id })
        .from(controlTables.tenants)
        .where(eq(controlTables.tenants.status, 'active'))
        .orderBy(asc(controlTables.tenants.id))
        .limit(maxTenants);
      const out = new Map<string, TenantReports>();
      for (const { id } of tenants) {
        out.set(
          id,
          await db.withTenantClient(id, async (client) => {
            // The state of each report as the reports page computes it; overdue: neither
            // delivered nor replaced by a newer version, past 06:50 Bogotá of the next day.
            const { rows } = await client.query<{ state: string; n: number; overdue: number }>(
              `WITH recent AS (
                 SELECT r.day, r.delivered_at,
                        EXISTS (SELECT 1 FROM reports n WHERE n.site_id = r.site_id
                                   AND n.day = r.day AND n.version > r.version) AS superseded,
                        (SELECT d.outcome FROM report_deliveries d WHERE d.report_id = r.id
                          ORDER BY d.id DESC LIMIT 1) AS last_outcome
                   FROM reports r WHERE r.day >= $1::date)
               SELECT CASE WHEN delivered_at IS NOT NULL THEN 'delivered'
                           WHEN superseded THEN 'superseded'
                           WHEN last_outcome = 'failed' THEN 'failed'
                           ELSE 'pending' END AS state,
                      count(*)::int AS n,
                      count(*) FILTER (
                        WHERE delivered_at IS NULL AND NOT superseded
                          AND $2::timestamptz >
                              ((day + 1)::timestamp + time '06:50') AT TIME ZONE 'America/Bogota'
                      )::int AS overdue
                 FROM recent GROUP BY 1`,
              [since, new Date(at).toISOString()],
            );
            // Per field, the newest day delivered (a field with none in the window counts
            // as the day before it); the tenant's value is its most behind field.
            const newest = await client.query<{ seconds: number | null }>(
              `SELECT extract(epoch FROM (min(newest)::timestamp AT TIME ZONE 'America/Bogota'))::float8 AS seconds
                 FROM (SELECT coalesce(max(day) FILTER (WHERE delivered_at IS NOT NULL),
                                       $1::date - 1) AS newest
                         FROM reports WHERE day >= $1::date GROUP BY site_id) s`,
              [since],
            );
            const states: Record<string, number> = {};
            let overdue = 0;
            for (const row of rows) {
              states[row.state] = row.n;
              overdue += row.overdue;
            }
            return {
              states,
              overdue,
              newestDeliveredDaySeconds: newest.rows[0]?.seconds ?? null,
            };
          }),
        );
      }
      // Every enrolled, live connector of an active tenant that has uploaded: the cloud's
      // view of the site buffers (sites are rarely reachable for a scrape of their own).
      const connectors = await db.control
        .select({
          tenantId: controlTables.connectorCredentials.tenantId,
          connectorId: controlTables.connectorCredentials.id,
          lastUsedAt: controlTables.connectorCredentials.lastUsedAt,
          bufferDepth: controlTables.connectorCredentials.bufferDepth,
          bufferOldestAt: controlTables.connectorCredentials.bufferOldestAt,
        })
        .from(controlTables.connectorCredentials)
        .innerJoin(
          controlTables.tenants,
          eq(controlTables.tenants.id, controlTables.connectorCredentials.tenantId),
        )
        .where(
          and(
            eq(controlTables.tenants.status, 'active'),
            isNull(controlTables.connectorCredentials.revokedAt),
            isNotNull(controlTables.connectorCredentials.lastUsedAt),
          ),
        )
        .orderBy(asc(controlTables.connectorCredentials.id))
        .limit(maxTenants * 10);
      const seconds = (at: Date | null) => (at ? at.getTime() / 1000 : null);
      return {
        reports: out,
        connectors: connectors.map((c) => ({
          tenantId: c.tenantId,
          connectorId: c.connectorId,
          lastUploadSeconds: seconds(c.lastUsedAt),
          bufferSamples: c.bufferDepth,
          bufferOldestSeconds: seconds(c.bufferOldestAt),
        })),
      };
    };

    /**
     * Served from memory for `everyMs`; after that the next scrape reads again (one read at
     * a time), and if PostgreSQL is slow or down it gets the last values it had.
     */
    const snapshot = async (): Promise<DatabaseSnapshot | null> => {
      if (cached && Date.now() - cached.at <= everyMs) return cached.value;
      if (!refreshing) {
        const refresh = readDatabase()
          .then((value) => {
            cached = { at: Date.now(), value };
            return value;
          })
          .finally(() => {
            refreshing = null;
          });
        // Counted once here; whoever waits for it below only gives up.
        refresh.catch(() => collectErrors.inc({ source: 'postgres' }));
        refreshing = refresh;
      }
      try {
        return await withTimeout(refreshing, timeoutMs, 'postgres');
      } catch (error) {
        // A failed read was counted where it was made; a slow one is counted here.
        if (error instanceof CollectTimeout) collectErrors.inc({ source: 'postgres' });
        return cached?.value ?? null;
      }
    };
    let shared: { at: number; value: Promise<DatabaseSnapshot | null> } | null = null;
    const databaseOnce = () => {
      if (!shared || Date.now() - shared.at > 500)
        shared = { at: Date.now(), value: track(snapshot()) };
      return shared.value;
    };

    new Gauge({
      name: 'anh_reports',
      help: `Daily reports of the last ${days} days per tenant by delivery state (delivered, pending, failed, superseded).`,
      labelNames: ['tenant_id', 'state'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const [tenant_id, value] of (await databaseOnce())?.reports ?? [])
          for (const state of REPORT_STATES)
            this.set({ tenant_id, state }, value.states[state] ?? 0);
      },
    });
    new Gauge({
      name: 'anh_reports_overdue',
      help: 'Reports per tenant neither delivered nor superseded after their deadline (06:50 Bogotá of the next day).',
      labelNames: ['tenant_id'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const [tenant_id, value] of (await databaseOnce())?.reports ?? [])
          this.set({ tenant_id }, value.overdue);
      },
    });
    new Gauge({
      name: 'anh_report_newest_delivered_day_seconds',
      help: 'Per tenant, the start (00:00 Bogotá, epoch seconds) of the newest day delivered for every field; absent for a tenant without reports.',
      labelNames: ['tenant_id'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const [tenant_id, value] of (await databaseOnce())?.reports ?? [])
          if (value.newestDeliveredDaySeconds !== null)
            this.set({ tenant_id }, value.newestDeliveredDaySeconds);
      },
    });

    const connectorGauge = (
      name: string,
      help: string,
      read: (c: ConnectorReport) => number | null,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['tenant_id', 'connector_id'] as const,
        registers: [registry],
        async collect() {
          this.reset();
          for (const c of (await databaseOnce())?.connectors ?? []) {
            const value = read(c);
            if (value !== null)
              this.set({ tenant_id: c.tenantId, connector_id: c.connectorId }, value);
          }
        },
      });
    connectorGauge(
      'anh_connector_last_upload_timestamp_seconds',
      'When each connector last uploaded (epoch seconds; recorded at most every 10 s).',
      (c) => c.lastUploadSeconds,
    );
    connectorGauge(
      'anh_connector_reported_buffer_samples',
      'Readings waiting in each connector’s buffer, as its last upload reported.',
      (c) => c.bufferSamples,
    );
    connectorGauge(
      'anh_connector_reported_buffer_oldest_timestamp_seconds',
      'Timestamp of the oldest reading in each connector’s buffer, as its last upload reported (absent when empty).',
      (c) => c.bufferOldestSeconds,
    );
  }

  if (options.gateway) {
    const stats = options.gateway;
    new Gauge({
      name: 'anh_gateway_connections',
      help: 'Sockets connected to this live-alert gateway now.',
      registers: [registry],
      collect() {
        this.set(stats()?.connections ?? 0);
      },
    });
    // The gateway keeps running totals; each scrape reports them as they stand.
    const total = (name: string, help: string, read: (s: GatewayStats) => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const value = stats();
          this.reset();
          if (value) this.inc(read(value));
        },
      });
    total(
      'anh_gateway_relayed_total',
      'Alert feed events this gateway relayed to its rooms.',
      (s) => s.relayed,
    );
    total(
      'anh_gateway_caught_up_total',
      'Events sent to sockets that (re)subscribed, from the feed.',
      (s) => s.caughtUp,
    );
    total(
      'anh_gateway_refused_total',
      'Connections refused (bad or expired token, origin).',
      (s) => s.refused,
    );
  }

  registry.registerMetric(collectErrors);
  return { registry };
}
