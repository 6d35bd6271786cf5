import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createConnectorCredential, createDatabase, type NewConnectorCredential } from '@anh/db';
import { seedField, seedTenant } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import type { VariableBinding } from '@anh/db/telemetry';
import { closeReadiness, readiness } from '~/app/api/ready/check';
import { SwrCache } from './dashboard/cache';
import { CredentialCache } from './ingest/credential-cache';
import { handleIngest, StatusThrottle, VariableIdCache } from './ingest/handle';
import { RateLimiter } from './ingest/rate-limit';
import { createLogger } from './log';
import { metricsResponse } from './metrics';
import { serveRoutes } from '../../test/serve';

/**
 * The web app's metrics and logs: the metrics endpoint's token, what ingest counts (per
 * tenant, outcome and reason) and its request ids over a real socket, the dashboard
 * cache's hits and misses, readiness against real and absent services, and the logger's
 * masking.
 */
const testDb = useTestDatabase();
const TOKEN = randomBytes(32).toString('base64url');
let server: Awaited<ReturnType<typeof serveRoutes>>;
let connector: NewConnectorCredential;
let bindings: VariableBinding[];
let tenantId: string;

beforeAll(async () => {
  const { db } = testDb();
  const tenant = await seedTenant(db);
  tenantId = tenant.id;
  await seedField(db, tenant.id, { wells: 1 });
  connector = await createConnectorCredential(db, tenant.id, { name: 'PLC', actor: 'test' });
  bindings = await tenantBindings(db, tenant.id);
  const deps = {
    db,
    wake: () => Promise.resolve(),
    now: () => Date.now(),
    retentionMonths: 60,
    maxBodyBytes: 8 * 1024 * 1024,
    maxBatchesPerMinute: 10_000,
    credentials: new CredentialCache(),
    limiter: new RateLimiter(),
    variableIds: new VariableIdCache(),
    statusThrottle: new StatusThrottle(),
  };
  server = await serveRoutes({
    '/api/ingest/v1/batches': (request) => handleIngest(request, deps),
  });
});

afterAll(async () => {
  await server?.close();
  closeReadiness();
});

const authorized = (token = TOKEN) =>
  new Request('http://127.0.0.1/api/metrics', { headers: { authorization: `Bearer ${token}` } });

/** The samples of a scrape: `name{labels}` → value. */
async function scrape(): Promise<Map<string, number>> {
  const response = await metricsResponse(authorized(), TOKEN);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('web metrics', () => {
  it('are served only with the token, and not at all without one configured', async () => {
    expect((await metricsResponse(authorized(), null)).status).toBe(404);
    expect((await metricsResponse(authorized('x'.repeat(43)), TOKEN)).status).toBe(401);
    expect((await metricsResponse(new Request('http://127.0.0.1/'), TOKEN)).status).toBe(401);
    const ok = await metricsResponse(authorized(), TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
    expect(await ok.text()).toContain('process_cpu_user_seconds_total');
  });

  it('count ingest by tenant, outcome and reason, and answer with the request id', async () => {
    const before = await scrape();
    const batch = syntheticBatch({
      connectorId: connector.connectorId,
      bindings,
      startMs: Date.now() - 3600_000,
      readingsPerVariable: 3,
      stepMs: 1000,
    });
    const post = (token: string, requestId?: string) =>
      fetch(`${server.url}/api/ingest/v1/batches`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        body: JSON.stringify(batch),
      });
    const accepted = await post(connector.token, 'req-accepted-0001');
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('x-request-id')).toBe('req-accepted-0001');
    const again = await post(connector.token);
    expect(again.status).toBe(200);
    // Generated when the caller sent none (or one that is not a plain token).
    expect(again.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const refused = await post('nobody.not-a-real-secret', 'bad id with spaces');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const after = await scrape();
    const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    const n = batch.samples.length;
    expect(
      delta(`anh_ingest_batches_total{tenant_id="${tenantId}",outcome="accepted",reason=""}`),
    ).toBe(1);
    expect(
      delta(`anh_ingest_samples_total{tenant_id="${tenantId}",outcome="accepted",reason=""}`),
    ).toBe(n);
    expect(
      delta(`anh_ingest_batches_total{tenant_id="${tenantId}",outcome="duplicate",reason=""}`),
    ).toBe(1);
    expect(
      delta('anh_ingest_batches_total{tenant_id="",outcome="refused",reason="UNAUTHENTICATED"}'),
    ).toBe(1);
    expect(delta('anh_ingest_request_duration_seconds_count{outcome="accepted"}')).toBe(1);
  });

  it('count dashboard cache hits, stale answers and misses per read', async () => {
    let now = 0;
    const cache = new SwrCache({ freshMs: 10, maxStaleMs: 100, maxEntries: 10, now: () => now });
    const before = await scrape();
    const key = `${tenantId}|overview|*`;
    await cache.get(key, () => Promise.resolve(1));
    await cache.get(key, () => Promise.resolve(2));
    now = 50;
    await cache.get(key, () => Promise.resolve(3));
    await cache.get(`${tenantId}|something-new|*`, () => Promise.resolve(4));
    const after = await scrape();
    const delta = (read: string, result: string) =>
      (after.get(`anh_dashboard_cache_requests_total{read="${read}",result="${result}"}`) ?? 0) -
      (before.get(`anh_dashboard_cache_requests_total{read="${read}",result="${result}"}`) ?? 0);
    expect([
      delta('overview', 'miss'),
      delta('overview', 'hit'),
      delta('overview', 'stale'),
    ]).toEqual([1, 1, 1]);
    // A key nobody planned for does not make a label of its own.
    expect(delta('other', 'miss')).toBe(1);
  });
});

describe('readiness', () => {
  it('is ready when PostgreSQL and Redis answer, and says which one does not', async () => {
    expect(await readiness(testDb().db, inject('redisUrl'))).toEqual({
      ok: true,
      postgres: 'ok',
      redis: 'ok',
    });
    expect(await readiness(testDb().db, 'redis://127.0.0.1:1')).toEqual({
      ok: false,
      postgres: 'ok',
      redis: 'down',
    });
    const gone = createDatabase({
      url: 'postgres://postgres@127.0.0.1:1/anh',
      tenantRoleSecret: inject('tenantRoleSecret'),
    });
    try {
      expect(await readiness(gone, inject('redisUrl'))).toEqual({
        ok: false,
        postgres: 'down',
        redis: 'ok',
      });
    } finally {
      await gone.close();
    }
  });
});

describe('web logger', () => {
  it('writes JSON lines with the request’s fields and masks secrets', () => {
    const lines: string[] = [];
    const log = createLogger('info', { service: 'web' }, (line) => lines.push(line)).child({
      requestId: 'req-1',
      tenantId: 't-1',
    });
    log.debug('not written');
    log.warn('batch refused', {
      headers: { authorization: 'Bearer key.sekret-value', cookie: 'next-auth.session-token=abc' },
      url: 'postgres://web:pg-sekret@db:5432/anh',
      error: new Error('Bearer key.sekret-value was refused'),
      input: { password: 'hunter22', email: 'a@b.co' },
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'warn',
      message: 'batch refused',
      service: 'web',
      requestId: 'req-1',
      tenantId: 't-1',
      headers: { authorization: '[redacted]', cookie: '[redacted]' },
      url: 'postgres://web:[redacted]@db:5432/anh',
      error: { message: 'Bearer [redacted] was refused' },
      input: { password: '[redacted]', email: 'a@b.co' },
    });
    for (const secret of ['sekret-value', 'pg-sekret', 'hunter22', 'abc'])
      expect(lines[0]).not.toContain(secret);
  });
});
