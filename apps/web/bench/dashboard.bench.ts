/**
 * `npm run bench -w @anh/web`: the dashboard's tRPC queries under load, JSON lines out.
 *
 * A tenant with 50 wells and 30 days of 10-minute slots (1.4 M rows) in a database of its
 * own; the BUILT app under `next start` on 127.0.0.1 (built first when .next is missing);
 * a signed-in session; 15 s of warm-up (JIT, connections; not reported); then requests at a
 * fixed arrival rate (200 requests/s, open loop):
 *   1. baseline — `me.tenants`, the cheapest signed-in tRPC query (session + one lookup):
 *      what any query costs here before the dashboard does anything;
 *   2. the three dashboard queries mixed (overview, completeness, forecast), 30 s, with the
 *      cache as deployed (fresh 30 s, then recomputed in the background while served: each
 *      query is recomputed about once during the run, and that shows in the p99);
 *   3. each query alone, 10 s;
 *   4. capacity: autocannon, closed loop on 8 connections, 10 s (requests/s the server
 *      answers when pushed);
 *   5. the uncached computation of each, called in-process (what a recomputation costs).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadCompletenessHeatmap, loadDailyProduction, loadDashboard } from '@anh/db/dashboard';
import { seedMembership, seedTenant, seedUser } from '@anh/db/seed';
import { seedProductionHistory, type SeededHistory } from '@anh/db/seed-history';
import { createTestDatabase, prepareTemplateDatabase } from '@anh/db/testing';
import { bogotaDayOf } from '@anh/domain/bogota-day';
import { startNextServer } from '../test/next-server';
import { benchEnv } from './env';

const env = benchEnv;
/** A request slower than this is counted per second on stderr, to see where the tail sits. */
const SLOW_MS = 50;

const WEB_ROOT = fileURLToPath(new URL('..', import.meta.url));
const secret = () => randomBytes(32).toString('base64url');
const tenantRoleSecret = secret();
const password = 'clave-de-la-prueba-de-carga';

if (!existsSync(`${WEB_ROOT}.next/BUILD_ID`)) {
  console.error('bench: building the web app first (apps/web/.next is missing)');
  const built = spawnSync('npm', ['run', 'build', '--silent'], {
    cwd: WEB_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      PATH: env.PATH,
      ...(env.HOME ? { HOME: env.HOME } : {}),
      NODE_ENV: 'production',
      TENANT_ROLE_SECRET: secret(),
      NEXTAUTH_SECRET: secret(),
      NEXT_TELEMETRY_DISABLED: '1',
    },
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const template = 'anh_bench_web_template';
await prepareTemplateDatabase(env.DATABASE_URL, template, tenantRoleSecret);
const testDb = await createTestDatabase({ baseUrl: env.DATABASE_URL, template, tenantRoleSecret });
const { db } = testDb;
const server = await startNextServer({
  nodeArgs: env.BENCH_NODE_ARGS.split(' ').filter(Boolean),
  env: {
    DATABASE_URL: testDb.url,
    REDIS_URL: env.REDIS_URL,
    TENANT_ROLE_SECRET: tenantRoleSecret,
    NEXTAUTH_SECRET: secret(),
  },
});

try {
  const tenant = await seedTenant(db);
  const user = await seedUser(db, { password });
  await seedMembership(db, tenant.id, user.id, 'engineer');
  const seedStart = performance.now();
  // Only the count is kept: the 1.3 M slot objects the seeder returns are dropped and
  // collected before measuring, or this process's garbage collection would delay the
  // requests it sends (counted as latency: latency runs from when a request was due).
  const rows = countSlots(
    await seedProductionHistory(db, tenant.id, {
      wells: env.BENCH_WELLS,
      days: env.BENCH_DAYS,
      nowMs: Date.now() + 600_000,
    }),
  );
  console.error(`bench: seeded ${rows} slots in ${Math.round(performance.now() - seedStart)} ms`);
  // Collect the seeder's garbage now (npm run bench passes --expose-gc), not mid-measurement.
  (globalThis as { gc?: () => void }).gc?.();
  // The bulk load leaves work PostgreSQL would otherwise do mid-measurement (autovacuum of
  // 1.3 M new rows, a checkpoint writing them out): do it now. A live database gets these
  // rows 50 × 144 a day, and vacuums and checkpoints them a little at a time.
  const admin = new pg.Client({ connectionString: testDb.url });
  await admin.connect();
  await admin.query('VACUUM (ANALYZE)');
  await admin.query('CHECKPOINT');
  await admin.end();

  const cookie = await signIn(server.url, user.email);
  const query = (path: string, input: unknown) =>
    `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const scope = { tenantSlug: tenant.slug, siteId: null };
  const paths = {
    overview: query('dashboard.overview', scope),
    completeness: query('dashboard.completeness', { ...scope, day: bogotaDayOf(Date.now()) }),
    forecast: query('dashboard.forecast', scope),
  };
  const baselinePath = query('me.tenants', undefined);
  for (const path of [...Object.values(paths), baselinePath]) {
    const response = await fetch(server.url + path, { headers: { cookie } });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  }

  const context = {
    rate: env.BENCH_RATE,
    wells: env.BENCH_WELLS,
    days: env.BENCH_DAYS,
    slots: rows,
  };
  await load(server.url, [...Object.values(paths), baselinePath], cookie, 15, 'warm-up');
  const baseline = await load(server.url, [baselinePath], cookie, 10, 'me.tenants');
  print('trpc.me_tenants.p50', baseline.p50, {
    ...context,
    requests: baseline.requests,
    servedPerSecond: baseline.servedPerSecond,
    errors: baseline.errors,
  });
  print('trpc.me_tenants.p99', baseline.p99, {
    ...context,
    requests: baseline.requests,
    servedPerSecond: baseline.servedPerSecond,
    errors: baseline.errors,
  });
  const baselineRef = { name: 'trpc.me_tenants.p99', value: baseline.p99 };

  const mixed = await load(server.url, Object.values(paths), cookie, env.BENCH_SECONDS, 'mixed');
  const mixedInfo = {
    ...context,
    requests: mixed.requests,
    servedPerSecond: mixed.servedPerSecond,
    errors: mixed.errors,
    seconds: env.BENCH_SECONDS,
  };
  print('dashboard.mixed.p50', mixed.p50, {
    ...mixedInfo,
    baseline: { name: 'trpc.me_tenants.p50', value: baseline.p50 },
  });
  print('dashboard.mixed.p99', mixed.p99, { ...mixedInfo, target: 50, baseline: baselineRef });

  for (const [name, path] of Object.entries(paths)) {
    const alone = await load(server.url, [path], cookie, 10, name);
    const info = {
      ...context,
      requests: alone.requests,
      servedPerSecond: alone.servedPerSecond,
      errors: alone.errors,
      baseline: baselineRef,
    };
    print(`dashboard.${name}.p50`, alone.p50, info);
    print(`dashboard.${name}.p99`, alone.p99, info);
  }

  // How much the server answers when pushed (closed loop, 8 connections): the ceiling.
  const ceiling = await capacity(server.url, Object.values(paths), cookie, 8);
  console.log(
    JSON.stringify({
      name: 'dashboard.capacity',
      value: ceiling.requestsPerSecond,
      unit: 'requests/s',
      connections: 8,
      p50: ceiling.p50,
      p99: ceiling.p99,
      errors: ceiling.errors,
      ...context,
    }),
  );

  // What one recomputation costs (no cache): the database reads and the forecast fits.
  const now = Date.now();
  const uncached = {
    overview: () =>
      db.withTenantClient(tenant.id, (c) => loadDashboard(c, { siteId: null, nowMs: now })),
    completeness: () =>
      db.withTenantClient(tenant.id, (c) =>
        loadCompletenessHeatmap(c, { siteId: null, nowMs: now, day: bogotaDayOf(now) }),
      ),
    daily_production: () =>
      db.withTenantClient(tenant.id, (c) =>
        loadDailyProduction(c, { siteId: null, nowMs: now, days: 30 }),
      ),
  };
  for (const [name, run] of Object.entries(uncached)) {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const start = performance.now();
      await run();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    print(`dashboard.${name}.uncached_p50`, round(times[Math.floor(times.length / 2)]!), {
      ...context,
      runs: times.length,
    });
  }
} finally {
  await server.stop();
  await testDb.drop();
}

function countSlots(history: SeededHistory): number {
  return history.variables.reduce((n, v) => n + v.slots.length, 0);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function print(name: string, value: number, extra: Record<string, unknown>): void {
  console.log(JSON.stringify({ name, value, unit: 'ms', ...extra }));
}

/** next-auth's credentials sign-in over HTTP: its CSRF cookie and token, then the session cookie. */
async function signIn(url: string, email: string): Promise<string> {
  const csrf = await fetch(`${url}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const jar = new Map<string, string>();
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [key, ...value] = pair!.split('=');
      jar.set(key!, value.join('='));
    }
  };
  keep(csrf);
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const response = await fetch(`${url}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader() },
    body: new URLSearchParams({ csrfToken, email, password, json: 'true' }),
  });
  keep(response);
  if (![...jar.keys()].some((k) => k.includes('session-token')))
    throw new Error(`sign-in failed: HTTP ${response.status}`);
  return cookieHeader();
}

/**
 * Requests at a fixed arrival rate (one every 1000/rate ms, open loop), over `paths` in
 * turn, on keep-alive connections; each latency runs from the moment the request was DUE,
 * so a server (or this generator) falling behind counts in full: no coordinated omission.
 *
 * Not autocannon's `overallRate`: it gives each connection its share of the rate per
 * second and sends that share back to back at the top of every second (50 connections →
 * 50 requests at once, then silence), and its latency correction then assumes a 1-ms
 * interval. Both made its p50/p99 at "200 requests/s" mostly an artefact (measured here:
 * p50 ≈ 80 ms at 60 requests/s with 50 connections, ≈ 10 ms with 4).
 */
async function load(url: string, paths: string[], cookie: string, seconds: number, label = 'load') {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = env.BENCH_RATE * seconds;
  const interval = 1000 / env.BENCH_RATE;
  const latencies: number[] = [];
  let errors = 0;
  const get = (path: string) =>
    new Promise<number>((resolve) => {
      const request = http.get(url + path, { agent, headers: { cookie } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', () => resolve(0));
    });
  const slowBySecond = new Array<number>(seconds + 1).fill(0);
  /** How late this generator itself sent a request at worst (its own pauses count too). */
  let sendLag = 0;
  const started = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    sendLag = Math.max(sendLag, performance.now() - due);
    pending.push(
      get(paths[i % paths.length]!).then((status) => {
        if (status !== 200) errors++;
        const latency = performance.now() - due;
        latencies.push(latency);
        const second = Math.floor((due - started) / 1000);
        if (latency > SLOW_MS) slowBySecond[second] = (slowBySecond[second] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  // Where the tail sits in time (one stall, or spread out): on stderr, for whoever tunes.
  console.error(
    `bench: ${label}: requests over ${SLOW_MS} ms by second: ${slowBySecond.join(' ')}; ` +
      `latest send ${round(sendLag)} ms after due`,
  );
  const at = (p: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
  return {
    p50: at(0.5),
    p99: at(0.99),
    requests: total,
    /** What the server actually answered per second: below the rate, it could not keep up. */
    servedPerSecond: Math.round(total / elapsed),
    errors,
  };
}

/** autocannon, closed loop (each connection sends its next request on the answer): capacity. */
async function capacity(url: string, paths: string[], cookie: string, connections: number) {
  const result = await autocannon({
    url,
    connections,
    duration: 10,
    headers: { cookie },
    requests: paths.map((path) => ({ method: 'GET' as const, path })),
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}
