import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createConnectorCredential, type NewConnectorCredential, type Tenant } from '@anh/db';
import { buildDayReports } from '@anh/db/reports';
import { seedTenant } from '@anh/db/seed';
import { seedProductionHistory } from '@anh/db/seed-history';
import { useTestDatabase } from '@anh/db/test-helpers';
import { tenantBindings } from '@anh/db/test-fixtures';
import type { VariableBinding } from '@anh/db/telemetry';
import { buildTimeOf, latestReportableDay } from '@anh/domain/delivery-schedule';
import { startWorkerProcess, type WorkerProcess } from '@anh/worker/test-worker-process';
import { startModbusServer, type TestModbusServer } from '../../connector/test/modbus-server';
import { encodeRegisters } from '../../connector/src/modbus/registers';
import { testEnv } from './env';
import { freePort, startNextServer, type NextServer } from './next-server';

/**
 * Issue 11's first "done means": Debian's Prometheus, started here on 127.0.0.1, scrapes
 * the real endpoints of a running web app (`next start`, the built app), a worker process
 * and a connector process. The connector reads a real Modbus TCP server and uploads to the
 * web app's ingest (the real path); the worker runs the pipeline jobs that ingest wakes; a
 * few tRPC calls go to the web app. Through Prometheus' HTTP API the test waits until the
 * key series of all three exist and their counters move between scrapes, and until the
 * alert rules of deploy/prometheus/ (also checked with promtool) evaluate without error.
 */
const testDb = useTestDatabase();
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RULES = join(REPO_ROOT, 'deploy/prometheus/alerts.yml');
const METRICS_TOKEN = randomBytes(32).toString('base64url');
const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';

let dir: string;
let tenant: Tenant;
let connector: NewConnectorCredential;
let bindings: VariableBinding[];
let modbus: TestModbusServer;
let web: NextServer;
let worker: WorkerProcess;
let connectorProcess: ChildProcess | null = null;
let prometheus: ChildProcess | null = null;
let prometheusUrl: string;
let workerPort: number;
let connectorPort: number;
const output = { connector: '', prometheus: '' };

/** A child of ours: its own process group, output kept for failure messages. */
function startChild(
  command: string,
  args: string[],
  env: Record<string, string>,
  into: 'connector' | 'prometheus',
): ChildProcess {
  const childEnv: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    PATH: testEnv.PATH,
    HOME: testEnv.HOME ?? REPO_ROOT,
    ...env,
  };
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: childEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const append = (chunk: Buffer) => {
    output[into] = (output[into] + chunk.toString()).slice(-128 * 1024);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  return child;
}

async function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  const { db } = testDb();
  dir = mkdtempSync(join(tmpdir(), 'anh-prometheus-'));
  tenant = await seedTenant(db);
  // A field with history, and yesterday's report built: the worker's report series.
  await seedProductionHistory(db, tenant.id, { wells: 1, days: 2, nowMs: Date.now() });
  const day = latestReportableDay(Date.now());
  await buildDayReports(db, tenant.id, day, { nowMs: buildTimeOf(day) });
  connector = await createConnectorCredential(db, tenant.id, { name: 'PLC', actor: 'test' });
  bindings = (await tenantBindings(db, tenant.id)).filter((b) =>
    ['tubing_head_pressure', 'separator_pressure'].includes(b.code),
  );
  expect(bindings.length).toBeGreaterThanOrEqual(2);

  modbus = await startModbusServer();
  bindings.forEach((_, i) =>
    modbus.holding(1).set(encodeRegisters(120 + i, 'float32', 'BE', 'BE'), i * 2),
  );
  const prefix = `anh-prom-${randomBytes(4).toString('hex')}`;
  [workerPort, connectorPort] = await Promise.all([freePort(), freePort()]);
  const [prometheusPort, gatewayPort] = await Promise.all([freePort(), freePort()]);
  const secrets = {
    DATABASE_URL: testDb().url,
    REDIS_URL: inject('redisUrl'),
    TENANT_ROLE_SECRET: inject('tenantRoleSecret'),
    QUEUE_PREFIX: prefix,
  };
  [web, worker] = await Promise.all([
    startNextServer({
      env: {
        ...secrets,
        NEXTAUTH_SECRET: randomBytes(32).toString('base64url'),
        METRICS_TOKEN,
        LOG_LEVEL: 'info',
      },
    }),
    startWorkerProcess({
      ...secrets,
      WORKER_HEALTH_PORT: String(workerPort),
      LIVE_TOKEN_SECRET: randomBytes(32).toString('base64url'),
      GATEWAY_PORT: String(gatewayPort),
      LOG_LEVEL: 'info',
    }),
  ]);

  // The connector, uploading to the web app's ingest as on a site.
  const config = join(dir, 'connector.yaml');
  writeFileSync(
    config,
    [
      'version: 1',
      'connector:',
      `  id: ${connector.connectorId}`,
      `  cloudUrl: ${web.url}`,
      '  buffer: { path: ./buffer.sqlite }',
      '  batch: { maxSamples: 50, maxDelayMs: 500 }',
      'sources:',
      `  - { id: plc1, type: modbus-tcp, host: 127.0.0.1, port: ${modbus.port}, intervalMs: 200, timeoutMs: 1000 }`,
      'tags:',
      ...bindings.map(
        (b, i) =>
          `  - { source: plc1, binding: ${b.id}, point: ${b.pointCode}, variable: ${b.code}, unit: "${b.unit}", modbus: { unit: 1, address: ${i * 2}, type: float32 } }`,
      ),
      '',
    ].join('\n'),
  );
  connectorProcess = startChild(
    process.execPath,
    ['--import', 'tsx', 'apps/connector/src/cli.ts', 'run', '--config', config],
    {
      ANH_CONNECTOR_CREDENTIAL: connector.token,
      ANH_CONNECTOR_STATUS_PORT: String(connectorPort),
    },
    'connector',
  );

  // Prometheus: its own port, data in a temporary folder, a scrape every second.
  const tokenFile = join(dir, 'metrics-token');
  writeFileSync(tokenFile, METRICS_TOKEN, { mode: 0o600 });
  const prometheusConfig = join(dir, 'prometheus.yml');
  writeFileSync(
    prometheusConfig,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - ${RULES}
scrape_configs:
  - job_name: web
    metrics_path: /api/metrics
    authorization:
      type: Bearer
      credentials_file: ${tokenFile}
    static_configs:
      - targets: ['${new URL(web.url).host}']
  - job_name: worker
    static_configs:
      - targets: ['127.0.0.1:${workerPort}']
  - job_name: connector
    static_configs:
      - targets: ['127.0.0.1:${connectorPort}']
`,
  );
  prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  prometheus = startChild(
    PROMETHEUS,
    [
      `--config.file=${prometheusConfig}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--log.level=warn',
    ],
    {},
    'prometheus',
  );
  await waitFor(
    async () => (await fetch(`${prometheusUrl}/-/ready`).catch(() => null))?.ok === true,
    30_000,
    () => `Prometheus did not get ready:\n${output.prometheus}`,
  );
}, 150_000);

afterAll(async () => {
  await Promise.all([
    stopChild(prometheus),
    stopChild(connectorProcess),
    worker?.stop(),
    web?.stop(),
  ]);
  await modbus?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function waitFor(
  check: () => Promise<boolean>,
  ms: number,
  message: () => string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const queryAnswer = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('vector'),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        value: z.tuple([z.number(), z.string()]),
      }),
    ),
  }),
});

/** An instant query's values (empty: no such series now). */
async function query(promql: string): Promise<number[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const answer = queryAnswer.parse(await response.json());
  return answer.data.result.map((r) => Number(r.value[1]));
}

const rulesAnswer = z.object({
  status: z.literal('success'),
  data: z.object({
    groups: z.array(
      z.object({
        name: z.string(),
        rules: z.array(
          z.object({ name: z.string(), health: z.string(), lastError: z.string().optional() }),
        ),
      }),
    ),
  }),
});

const dashboardSchema = z.object({
  uid: z.string(),
  panels: z.array(
    z.object({
      id: z.number().int(),
      type: z.string(),
      gridPos: z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }),
      targets: z.array(z.object({ expr: z.string().min(1) })).optional(),
    }),
  ),
});

/** A tRPC query as a browser would send it (not signed in: refused, but counted and logged). */
async function trpcCall(requestId: string): Promise<Response> {
  const response = await fetch(`${web.url}/api/trpc/me.profile`, {
    headers: { 'x-request-id': requestId },
  });
  await response.arrayBuffer();
  return response;
}

describe('Prometheus scraping web, worker and connector', () => {
  it('finds the key series of all three and sees their counters move', async () => {
    const T = tenant.id;
    const exists: Record<string, string[]> = {
      web: [
        'up{job="web"} == 1',
        `anh_ingest_batches_total{job="web",tenant_id="${T}",outcome="accepted"}`,
        `anh_ingest_samples_total{job="web",tenant_id="${T}",outcome="accepted"}`,
        'anh_ingest_request_duration_seconds_count{job="web",outcome="accepted"}',
        'anh_trpc_request_duration_seconds_count{job="web",type="query",outcome="client_error"}',
        'anh_trpc_errors_total{job="web",procedure="me.profile",code="UNAUTHORIZED"}',
        'process_resident_memory_bytes{job="web"}',
      ],
      worker: [
        'up{job="worker"} == 1',
        'anh_worker_jobs_total{job="worker",queue="pipeline",name="pipeline.validate",outcome="completed"}',
        'anh_worker_job_duration_seconds_count{job="worker",name="pipeline.validate"}',
        'anh_worker_queue_jobs{job="worker",queue="pipeline",state="waiting"}',
        'anh_worker_queue_oldest_waiting_seconds{job="worker",queue="pipeline"}',
        `anh_reports{job="worker",tenant_id="${T}",state="pending"} >= 1`,
        `anh_connector_last_upload_timestamp_seconds{job="worker",tenant_id="${T}",connector_id="${connector.connectorId}"}`,
        `anh_connector_reported_buffer_samples{job="worker",tenant_id="${T}"}`,
        'anh_gateway_connections{job="worker"}',
      ],
      connector: [
        'up{job="connector"} == 1',
        'anh_connector_buffer_samples{job="connector"}',
        'anh_connector_buffer_oldest_age_seconds{job="connector"}',
        'anh_connector_uploads_total{job="connector",outcome="acknowledged"}',
        'anh_connector_upload_duration_seconds_count{job="connector",outcome="acknowledged"}',
        'anh_connector_samples_read_total{job="connector",source="plc1"}',
        'anh_connector_source_connected{job="connector",source="plc1",type="modbus"} == 1',
        `anh_connector_info{job="connector",connector_id="${connector.connectorId}"}`,
      ],
    };
    // Counters that must grow between scrapes while traffic flows.
    const moves: Record<string, string[]> = {
      web: [
        `increase(anh_ingest_samples_total{job="web",tenant_id="${T}",outcome="accepted"}[10s]) > 0`,
        'sum(increase(anh_trpc_request_duration_seconds_count{job="web"}[10s])) > 0',
        'increase(process_cpu_seconds_total{job="web"}[10s]) > 0',
      ],
      worker: [
        'sum(increase(anh_worker_jobs_total{job="worker",outcome="completed"}[10s])) > 0',
        'increase(process_cpu_seconds_total{job="worker"}[10s]) > 0',
      ],
      connector: [
        'increase(anh_connector_samples_read_total{job="connector",source="plc1"}[10s]) > 0',
        'increase(anh_connector_uploads_total{job="connector",outcome="acknowledged"}[10s]) > 0',
        'increase(anh_connector_uploaded_samples_total{job="connector"}[10s]) > 0',
      ],
    };
    let calls = 0;
    const missing = async (groups: Record<string, string[]>) => {
      // A tRPC call per round: traffic for the web app's request series.
      const requestId = `prom-trpc-${String(++calls).padStart(4, '0')}`;
      const answer = await trpcCall(requestId);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('x-request-id')).toBe(requestId);
      const all = Object.entries(groups).flatMap(([job, list]) => list.map((q) => [job, q]));
      const results = await Promise.all(all.map(async ([, q]) => (await query(q!)).length));
      return all.filter((_, i) => results[i] === 0).map(([job, q]) => `${job}: ${q}`);
    };
    const started = Date.now();
    let left: string[] = [];
    await waitFor(
      async () => (left = await missing(exists)).length === 0,
      60_000,
      () =>
        `series still missing:\n${left.join('\n')}\n--- connector:\n${output.connector}\n--- worker:\n${worker.output().slice(-4000)}\n--- web:\n${web.output().slice(-4000)}`,
    );
    const seriesAt = Date.now() - started;
    await waitFor(
      async () => (left = await missing(moves)).length === 0,
      30_000,
      () => `counters that did not move:\n${left.join('\n')}`,
    );
    console.log(
      JSON.stringify({
        test: 'prometheus_scrape',
        seriesFoundAfterMs: seriesAt,
        countersMovedAfterMs: Date.now() - started,
        acceptedSamples: await query(
          `sum(anh_ingest_samples_total{job="web",tenant_id="${T}",outcome="accepted"})`,
        ),
      }),
    );

    // The web app logged the refused calls as JSON with their request id.
    const logged = web
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes('"prom-trpc-0001"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged[0]).toMatchObject({
      level: 'info',
      message: 'trpc call refused',
      service: 'web',
      requestId: 'prom-trpc-0001',
      procedure: 'me.profile',
      code: 'UNAUTHORIZED',
    });
    expect(web.output()).not.toContain(connector.token.split('.')[1]!);
    expect(output.connector).not.toContain(connector.token.split('.')[1]!);
  }, 120_000);

  it('loads the alert rules, which evaluate against the real series without error', async () => {
    let unhealthy: string[] = [];
    await waitFor(
      async () => {
        const answer = rulesAnswer.parse(
          await (await fetch(`${prometheusUrl}/api/v1/rules`)).json(),
        );
        const rules = answer.data.groups.flatMap((g) => g.rules);
        unhealthy = rules
          .filter((r) => r.health !== 'ok')
          .map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`);
        return rules.length >= 18 && unhealthy.length === 0;
      },
      20_000,
      () => `rules not healthy:\n${unhealthy.join('\n')}`,
    );
    // The data flows, so the ingest alert must not fire for this tenant.
    expect(
      await query(`ALERTS{alertname="IngestStoppedForTenant",tenant_id="${tenant.id}"}`),
    ).toEqual([]);
  });

  it('has every query of the Grafana dashboard and the alert rules run on the real series', async () => {
    const dashboard = dashboardSchema.parse(
      JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/grafana/anh-dashboard.json'), 'utf8')),
    );
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    // Laid out on Grafana's 24-column grid without overlaps, each with a unique id.
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const { gridPos: g } of dashboard.panels) {
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
    const expressions = panels.flatMap((p) => p.targets!.map((t) => t.expr));
    expect(expressions.length).toBeGreaterThan(25);
    const failures: string[] = [];
    await Promise.all(
      expressions.map(async (expr) => {
        const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$tenant', '.*');
        const response = await fetch(
          `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`,
        );
        if (!response.ok) failures.push(`${response.status} ${promql}: ${await response.text()}`);
      }),
    );
    expect(failures).toEqual([]);

    // Every anh_ series the dashboard and the rules name is one the processes publish
    // (a typo would make a panel empty and an alert silent forever). Some only appear
    // once something happens that this test does not cause.
    const ONLY_WHEN_IT_HAPPENS = new Set([
      'anh_connector_iec104_malformed_frames_total', // no IEC 104 source here
      'anh_dashboard_cache_requests_total', // nobody opens a dashboard
      'anh_worker_metrics_collect_errors_total', // PostgreSQL and Redis answer
    ]);
    const names = z
      .object({ data: z.array(z.string()) })
      .parse(await (await fetch(`${prometheusUrl}/api/v1/label/__name__/values`)).json()).data;
    const known = new Set(names);
    const named = new Set(
      [
        ...expressions.join('\n').matchAll(/\banh_[a-z0-9_]+/g),
        ...readFileSync(RULES, 'utf8').matchAll(/\banh_[a-z0-9_]+/g),
      ].map((m) => m[0]),
    );
    expect(named.size).toBeGreaterThan(20);
    expect([...named].filter((n) => !known.has(n) && !ONLY_WHEN_IT_HAPPENS.has(n))).toEqual([]);
  });

  it('checks the rule files with promtool: syntax, and the rules’ own unit tests', () => {
    const check = spawnSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const unit = spawnSync(
      PROMTOOL,
      ['test', 'rules', join(REPO_ROOT, 'deploy/prometheus/alerts.test.yml')],
      { encoding: 'utf8' },
    );
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
    // The example configuration, with a token file that exists.
    const example = join(dir, 'example.yml');
    writeFileSync(
      example,
      readFileSync(join(REPO_ROOT, 'deploy/prometheus/prometheus.example.yml'), 'utf8')
        .replace('/etc/prometheus/anh-metrics-token', join(dir, 'metrics-token'))
        .replace('- alerts.yml', `- ${RULES}`),
    );
    const config = spawnSync(PROMTOOL, ['check', 'config', example], { encoding: 'utf8' });
    expect(config.status, config.stdout + config.stderr).toBe(0);
  });

  it('answers health and readiness, and the metrics only with the token', async () => {
    expect((await fetch(`${web.url}/api/health`)).status).toBe(200);
    const ready = await fetch(`${web.url}/api/ready`);
    expect(await ready.json()).toEqual({ ok: true, postgres: 'ok', redis: 'ok' });
    expect((await fetch(`${web.url}/api/metrics`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${workerPort}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${workerPort}/ready`)).status).toBe(200);
  });
});
