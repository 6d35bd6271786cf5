import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enroll } from '@anh/connector/enroll';
import type { Tenant } from '@anh/db';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import { createCaller } from '../trpc/root';
import { serveRoutes } from '../../../test/serve';
import { CredentialCache } from './credential-cache';
import { handleEnroll } from './enroll';
import { handleIngest, StatusThrottle, VariableIdCache } from './handle';
import { RateLimiter } from './rate-limit';

/**
 * Enrollment end to end: an engineer makes a one-time code, the real connector's `enroll`
 * trades it over HTTP for an id and a credential, the credential uploads a batch; the code
 * does not work twice or late; a revoked connector is refused.
 */
const testDb = useTestDatabase();
let acme: Tenant;
let admin: User;
let engineer: User;
let server: Awaited<ReturnType<typeof serveRoutes>>;
let clock = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'anh-enroll-'));

const ingestDeps = (credentials = new CredentialCache()) => ({
  db: testDb().db,
  wake: () => Promise.resolve(),
  now: () => Date.now(),
  retentionMonths: 60,
  maxBodyBytes: 8 * 1024 * 1024,
  maxBatchesPerMinute: 1000,
  credentials,
  limiter: new RateLimiter(),
  variableIds: new VariableIdCache(),
  statusThrottle: new StatusThrottle(),
});
let ingest: ReturnType<typeof ingestDeps>;

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  await seedField(db, acme.id, { wells: 1 });
  admin = await seedUser(db);
  engineer = await seedUser(db);
  await seedMembership(db, acme.id, admin.id, 'admin');
  await seedMembership(db, acme.id, engineer.id, 'engineer');
  const limiter = new RateLimiter();
  ingest = ingestDeps();
  server = await serveRoutes({
    '/api/connectors/enroll': (request) => handleEnroll(request, { db, limiter, now: () => clock }),
    '/api/ingest/v1/batches': (request) => handleIngest(request, ingest),
  });
});
afterAll(async () => {
  await server.close();
});

const callerFor = (user: User) => createCaller({ db: testDb().db, userId: user.id });

function siteConfig(name: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `# site connector\nversion: 1\nconnector:\n  cloudUrl: ${server.url}\nsources: []\ntags: []\n`,
  );
  return path;
}

describe('connector enrollment', () => {
  it('a one-time code becomes a connector whose credential uploads; the code is spent', async () => {
    const { code, expiresAt } = await callerFor(engineer).connectors.createEnrollmentCode({
      tenantSlug: acme.slug,
      connectorName: 'Estación Rubí',
    });
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
    const configPath = siteConfig('rubi');
    const credentialPath = join(dir, 'rubi.credential');
    const enrolled = await enroll({
      cloudUrl: server.url,
      code: code.toLowerCase(),
      configPath,
      credentialPath,
      version: '0.1.0',
    });
    expect(enrolled.tenantSlug).toBe(acme.slug);
    expect(readFileSync(configPath, 'utf8')).toContain(`id: ${enrolled.connectorId}`);
    const token = readFileSync(credentialPath, 'utf8').trim();
    const batch = syntheticBatch({
      connectorId: enrolled.connectorId,
      bindings: (await tenantBindings(testDb().db, acme.id)).slice(0, 3),
      startMs: Date.now() - 3600_000,
      readingsPerVariable: 2,
      stepMs: 1000,
    });
    const response = await fetch(`${server.url}/api/ingest/v1/batches`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: new Uint8Array(gzipSync(JSON.stringify(batch))),
    });
    expect(response.status).toBe(200);
    const list = await callerFor(engineer).connectors.list({ tenantSlug: acme.slug });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: enrolled.connectorId,
      name: 'Estación Rubí',
      revokedAt: null,
    });
    expect(list[0]!.lastBatch).toMatchObject({ samples: 6, sequence: 0 });
    await expect(
      enroll({
        cloudUrl: server.url,
        code,
        configPath: siteConfig('again'),
        credentialPath: join(dir, 'again'),
        version: '0.1.0',
      }),
    ).rejects.toThrow(/unknown, expired or already used/);
  });

  it('a code past its 24 hours is refused like an unknown one', async () => {
    const { code } = await callerFor(admin).connectors.createEnrollmentCode({
      tenantSlug: acme.slug,
      connectorName: 'Tarde',
    });
    clock = Date.now() + 25 * 3600_000;
    try {
      await expect(
        enroll({
          cloudUrl: server.url,
          code,
          configPath: siteConfig('late'),
          credentialPath: join(dir, 'late'),
          version: '0.1.0',
        }),
      ).rejects.toThrow(/unknown, expired or already used/);
    } finally {
      clock = Date.now();
    }
  });

  it('only an admin revokes; a revoked connector is refused', async () => {
    const { code } = await callerFor(admin).connectors.createEnrollmentCode({
      tenantSlug: acme.slug,
      connectorName: 'Retirado',
    });
    const enrolled = await enroll({
      cloudUrl: server.url,
      code,
      configPath: siteConfig('gone'),
      credentialPath: join(dir, 'gone'),
      version: '0.1.0',
    });
    const error = await callerFor(engineer)
      .connectors.revoke({ tenantSlug: acme.slug, connectorId: enrolled.connectorId })
      .catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('FORBIDDEN');
    await callerFor(admin).connectors.revoke({
      tenantSlug: acme.slug,
      connectorId: enrolled.connectorId,
    });
    ingest = ingestDeps(); // a fresh process: nothing cached
    const token = readFileSync(join(dir, 'gone'), 'utf8').trim();
    const response = await fetch(`${server.url}/api/ingest/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(401);
  });

  it('refuses malformed requests and guessing at speed', async () => {
    const post = (body: string) =>
      fetch(`${server.url}/api/connectors/enroll`, {
        method: 'POST',
        headers: { 'x-forwarded-for': '203.0.113.9' },
        body,
      });
    expect((await post('not json')).status).toBe(400);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push(
        (
          await post(
            JSON.stringify({ code: 'AAAA-BBBB-CCCC', hostname: 'x', connectorVersion: '1' }),
          )
        ).status,
      );
    expect(statuses.slice(0, 9).every((s) => s === 404)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});
