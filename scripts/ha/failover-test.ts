import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  createDatabase,
  ensureDatabaseExists,
  migrateAll,
  tenantSchemaName,
  verifyTenantAudit,
  withConnection,
  type Database,
} from '@anh/db';
import { seedField, seedTenant } from '@anh/db/seed';
import { storeUpload, syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import { HaCluster, type ClusterOptions } from './cluster';

/**
 * The failover drill, measured: a primary (a) streaming to a standby (b), the product's
 * migrations and a tenant on it, several connectors storing batches through the real
 * ingest path (`storeBatch`: one transaction per batch, acknowledged after COMMIT), then
 *  1. async replication: kill a (`pg_ctl stop -m immediate`), promote b with failover.sh,
 *     point the app (a new Database) at b;
 *  2. failback + sync replication: rejoin.sh brings a back as b's synchronous standby,
 *     then kill b, promote a, point the app at a.
 * For each: writes acknowledged before the kill, how many the new primary has (lost =
 * RPO in writes and seconds), and RTO = kill → first write acknowledged by the new primary.
 * Writers retry the same batch until it is acknowledged, as connectors do; the batch id
 * is the idempotency key, so a retry of a write that did reach the new primary is a
 * duplicate, never a second copy.
 */
export interface FailoverRunOptions extends ClusterOptions {
  /** Concurrent writers (connectors). */
  writers?: number;
  /** Seconds of writing before the primary is killed. */
  writeSeconds?: number;
  /** Seconds of writing on the new primary before counting. */
  afterSeconds?: number;
  log?: (line: string) => void;
}

export interface PhaseResult {
  mode: 'async' | 'sync';
  killed: string;
  promoted: string;
  writers: number;
  writeSeconds: number;
  /** Writes acknowledged by the primary that was killed. */
  acknowledgedBeforeKill: number;
  writesPerSecond: number;
  /** Of those, how many the promoted node has. */
  foundOnNewPrimary: number;
  lostWrites: number;
  /** RPO in seconds: how far back before the kill the oldest lost acknowledged write was. */
  rpoSeconds: number;
  /** RTO: from the kill to the first write acknowledged by the promoted node. */
  rtoSeconds: number;
  /** Of the RTO: killing the primary (stop-node.sh -m immediate). */
  killSeconds: number;
  /** Of the RTO: the failover script (fence, promote, verify writable). */
  failoverScriptSeconds: number;
  /** Of the RTO: a new Database on the promoted node until its first acknowledged write. */
  appReconnectSeconds: number;
  promoteSeconds: number;
  acknowledgedAfterFailover: number;
  /** Attempts that failed while there was no primary (retried, not lost). */
  failedAttempts: number;
  /**
   * Replication just before the kill, as the primary saw it: WAL the standby had not yet
   * received (what a failover at that instant would lose) and not yet replayed.
   */
  replicationBeforeKill: {
    syncState: string | null;
    notYetReceivedBytes: number | null;
    notYetReplayedBytes: number | null;
    replayLagMs: number | null;
  };
  timeline: number;
}

export interface FailoverReport {
  setupSeconds: number;
  phases: PhaseResult[];
  /** The tenant's audit chain, verified on the final primary through the app. */
  auditChainOk: boolean;
  totalSeconds: number;
}

interface Ack {
  batchId: string;
  at: number;
  generation: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The app's Database for one node, as the web app and the worker open theirs. */
function openApp(url: string, tenantRoleSecret: string, writers: number): Database {
  return createDatabase({
    url,
    tenantRoleSecret,
    tenantPoolMax: writers,
    applicationName: 'anh-failover-test',
  });
}

/** What the application holds: one Database, replaced when it is pointed elsewhere. */
class App {
  generation = 0;
  constructor(public db: Database) {}
  pointAt(db: Database): void {
    this.db = db;
    this.generation++;
  }
}

interface Writers {
  acks: Ack[];
  failedAttempts(): number;
  firstAck(generation: number, timeoutMs: number): Promise<Ack>;
  stop(): Promise<void>;
}

function startWriters(
  app: App,
  tenantId: string,
  bindings: Awaited<ReturnType<typeof tenantBindings>>,
  count: number,
): Writers {
  const acks: Ack[] = [];
  let failed = 0;
  let stopped = false;
  // One global reading index: every batch has its own timestamps, so no reading repeats.
  let index = 0;
  const startMs = Date.parse('2026-11-01T00:00:00Z');

  async function loop(): Promise<void> {
    const connectorId = randomUUID();
    let sequence = 0;
    while (!stopped) {
      const batch = syntheticBatch({
        connectorId,
        bindings,
        startMs,
        readingsPerVariable: 1,
        stepMs: 1000,
        sequence: sequence++,
        firstIndex: index++,
      });
      while (!stopped) {
        const generation = app.generation;
        try {
          await storeUpload(app.db, tenantId, batch);
          acks.push({ batchId: batch.batchId, at: Date.now(), generation });
          break;
        } catch {
          failed++;
          await sleep(50);
        }
      }
    }
  }

  // Each loop catches its own failures, and all are awaited together by stop().
  const loops = Promise.all(Array.from({ length: count }, () => loop()));
  return {
    acks,
    failedAttempts: () => failed,
    async firstAck(generation, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const ack = acks.find((a) => a.generation === generation);
        if (ack) return ack;
        if (Date.now() > deadline) throw new Error('no write was acknowledged after failover');
        await sleep(2);
      }
    },
    async stop() {
      stopped = true;
      await loops;
    },
  };
}

async function replicationState(url: string): Promise<PhaseResult['replicationBeforeKill']> {
  return withConnection(url, async (client) => {
    const { rows } = await client.query<{
      sync_state: string;
      unreceived: string | null;
      unreplayed: string | null;
      lag_ms: string | null;
    }>(
      `SELECT sync_state,
              pg_wal_lsn_diff(pg_current_wal_lsn(), write_lsn) AS unreceived,
              pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS unreplayed,
              extract(epoch FROM replay_lag) * 1000 AS lag_ms
         FROM pg_stat_replication LIMIT 1`,
    );
    const row = rows[0];
    const bytes = (x: string | null | undefined) => (x == null ? null : Number(x));
    return {
      syncState: row?.sync_state ?? null,
      notYetReceivedBytes: bytes(row?.unreceived),
      notYetReplayedBytes: bytes(row?.unreplayed),
      replayLagMs: row?.lag_ms == null ? null : Math.round(Number(row.lag_ms) * 10) / 10,
    };
  });
}

async function batchesPresent(url: string, tenantId: string, ids: string[]): Promise<Set<string>> {
  return withConnection(url, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id::text AS id FROM "${tenantSchemaName(tenantId)}".ingest_batches WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  });
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

async function phase(input: {
  mode: 'async' | 'sync';
  cluster: HaCluster;
  app: App;
  primary: string;
  standby: string;
  tenantId: string;
  tenantRoleSecret: string;
  bindings: Awaited<ReturnType<typeof tenantBindings>>;
  writers: number;
  writeSeconds: number;
  afterSeconds: number;
  log: (line: string) => void;
  /** Every Database opened, closed by the caller whatever happens. */
  opened: Database[];
}): Promise<PhaseResult> {
  const { cluster, app, primary, standby } = input;
  const before = app.generation;
  const writers = startWriters(app, input.tenantId, input.bindings, input.writers);
  try {
    await sleep(input.writeSeconds * 1000);
    const replication = await replicationState(cluster.url(primary, 'anh'));
    input.log(`${input.mode}: ${writers.acks.length} writes so far; killing ${primary}`);

    const killedAt = Date.now();
    await cluster.stopNode(primary, 'immediate');
    const deadAt = Date.now();
    const failover = await cluster.failover(standby, primary);
    const promotedAt = Date.now();
    input.log(
      `${input.mode}: ${standby} promoted in ${failover.promoteMs} ms; pointing the app at it`,
    );
    const promoted = openApp(cluster.url(standby, 'anh'), input.tenantRoleSecret, input.writers);
    input.opened.push(promoted);
    app.pointAt(promoted);
    const first = await writers.firstAck(app.generation, 60_000);
    await sleep(input.afterSeconds * 1000);
    await writers.stop();

    const acknowledged = writers.acks.filter((a) => a.generation === before);
    const after = writers.acks.filter((a) => a.generation === app.generation);
    const found = await batchesPresent(
      cluster.url(standby, 'anh'),
      input.tenantId,
      acknowledged.map((a) => a.batchId),
    );
    const lost = acknowledged.filter((a) => !found.has(a.batchId));
    const afterFound = await batchesPresent(
      cluster.url(standby, 'anh'),
      input.tenantId,
      after.map((a) => a.batchId),
    );
    if (afterFound.size !== after.length)
      throw new Error('a write acknowledged by the promoted node is missing from it');
    const oldestLost = lost.length ? Math.min(...lost.map((a) => a.at)) : killedAt;
    return {
      mode: input.mode,
      killed: primary,
      promoted: standby,
      writers: input.writers,
      writeSeconds: input.writeSeconds,
      acknowledgedBeforeKill: acknowledged.length,
      writesPerSecond: round(acknowledged.length / input.writeSeconds, 1),
      foundOnNewPrimary: found.size,
      lostWrites: lost.length,
      rpoSeconds: round(Math.max(0, killedAt - oldestLost) / 1000),
      rtoSeconds: round((first.at - killedAt) / 1000),
      killSeconds: round((deadAt - killedAt) / 1000),
      failoverScriptSeconds: round((promotedAt - deadAt) / 1000),
      appReconnectSeconds: round((first.at - promotedAt) / 1000),
      promoteSeconds: round(failover.promoteMs / 1000),
      acknowledgedAfterFailover: after.length,
      failedAttempts: writers.failedAttempts(),
      replicationBeforeKill: replication,
      timeline: failover.timeline,
    };
  } finally {
    await writers.stop();
  }
}

export async function runFailoverTest(options: FailoverRunOptions = {}): Promise<FailoverReport> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const cluster = await HaCluster.create(options);
  const opened: Database[] = [];
  try {
    await cluster.initPrimary('a');
    await cluster.addStandby('a', 'b');
    log(`primary a on ${cluster.ports.get('a')}, async standby b on ${cluster.ports.get('b')}`);

    // The product on the primary: migrations (as `npm run db:migrate` runs them), a
    // tenant with a field, connectors' variables.
    const tenantRoleSecret = randomBytes(32).toString('base64url');
    const url = cluster.url('a', 'anh');
    await ensureDatabaseExists(url);
    await withConnection(url, (client) => migrateAll(client, tenantRoleSecret));
    const writers = options.writers ?? 4;
    const seeding = openApp(url, tenantRoleSecret, writers);
    opened.push(seeding);
    const tenant = await seedTenant(seeding);
    await seedField(seeding, tenant.id, { wells: 1 });
    const bindings = await tenantBindings(seeding, tenant.id);
    const app = new App(openApp(url, tenantRoleSecret, writers));
    opened.push(app.db);
    const setupSeconds = round((performance.now() - started) / 1000);

    const common = {
      cluster,
      app,
      tenantId: tenant.id,
      tenantRoleSecret,
      bindings,
      writers,
      writeSeconds: options.writeSeconds ?? 3,
      afterSeconds: options.afterSeconds ?? 1,
      log,
      opened,
    };
    const asyncPhase = await phase({ ...common, mode: 'async', primary: 'a', standby: 'b' });
    await cluster.rejoin('a', 'b', { sync: true });
    log('a rewound and rejoined as the synchronous standby of b');
    const syncPhase = await phase({ ...common, mode: 'sync', primary: 'b', standby: 'a' });

    const audit = await verifyTenantAudit(app.db, tenant.id);
    return {
      setupSeconds,
      phases: [asyncPhase, syncPhase],
      auditChainOk: audit.ok,
      totalSeconds: round((performance.now() - started) / 1000, 1),
    };
  } finally {
    // Pools of a killed node end at once (their connections are already gone).
    await Promise.allSettled(opened.map((db) => db.close()));
    await cluster.destroy();
  }
}

/** Bounds the drill must meet (also asserted by packages/db/test/failover.test.ts). */
export function failoverProblems(report: FailoverReport): string[] {
  const problems: string[] = [];
  for (const p of report.phases) {
    if (p.acknowledgedBeforeKill === 0) problems.push(`${p.mode}: nothing was written`);
    if (p.acknowledgedAfterFailover === 0) problems.push(`${p.mode}: no write after failover`);
    if (p.rtoSeconds >= 3600) problems.push(`${p.mode}: RTO ${p.rtoSeconds}s is over an hour`);
  }
  const [asyncPhase, syncPhase] = report.phases;
  // Async: a commit is acknowledged before the standby has it; what can be lost is what
  // was in flight on the wire, milliseconds on one host.
  if (asyncPhase && (asyncPhase.lostWrites > 50 || asyncPhase.rpoSeconds > 2))
    problems.push(`async: lost ${asyncPhase.lostWrites} writes (${asyncPhase.rpoSeconds}s)`);
  if (syncPhase && syncPhase.lostWrites !== 0)
    problems.push(`sync: lost ${syncPhase.lostWrites} acknowledged writes`);
  if (!report.auditChainOk) problems.push('the audit chain does not verify after failover');
  return problems;
}

// `npm run test:failover`: runs the drill and prints the measurements as JSON.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runFailoverTest({ log: (line) => console.error(`failover: ${line}`) });
  console.log(JSON.stringify(report, null, 2));
  const problems = failoverProblems(report);
  for (const problem of problems) console.error(`failover: FAILED ${problem}`);
  process.exitCode = problems.length ? 1 : 0;
}
