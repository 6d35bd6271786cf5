import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { deprovisionTenant } from '@anh/db';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { createCaller } from './root';

/**
 * The cross-tenant suite: every tenant procedure, called by a member of another tenant,
 * by nobody, and by a member, must answer exactly as the tenant gate promises.
 */
const testDb = useTestDatabase();
let acme: Tenant;
let rival: Tenant;
let acmeEngineer: User;
let rivalAdmin: User;
let auditor: User;

const callerFor = (user: User | null) =>
  createCaller({ db: testDb().db, userId: user?.id ?? null });

async function trpcCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null).catch((e: unknown) => e);
  return error instanceof TRPCError ? error.code : `not a TRPCError: ${String(error)}`;
}

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  await seedField(db, acme.id, { wells: 3, siteCode: 'ACME-1' });
  await seedField(db, rival.id, { wells: 1, siteCode: 'RIVAL-1' });
  acmeEngineer = await seedUser(db);
  rivalAdmin = await seedUser(db);
  auditor = await seedUser(db);
  await seedMembership(db, acme.id, acmeEngineer.id, 'engineer');
  await seedMembership(db, rival.id, rivalAdmin.id, 'admin');
  await seedMembership(db, acme.id, auditor.id, 'auditor');
});

/** Every tenant-scoped procedure, invoked with a slug. Add new ones here. */
const tenantProcedures = {
  'field.overview': (caller: ReturnType<typeof callerFor>, tenantSlug: string) =>
    caller.field.overview({ tenantSlug }),
  'delivery.settings': (caller: ReturnType<typeof callerFor>, tenantSlug: string) =>
    caller.delivery.settings({ tenantSlug }),
  'delivery.reports': (caller: ReturnType<typeof callerFor>, tenantSlug: string) =>
    caller.delivery.reports({ tenantSlug }),
  'connectors.list': (caller: ReturnType<typeof callerFor>, tenantSlug: string) =>
    caller.connectors.list({ tenantSlug }),
  'connectors.createEnrollmentCode': (caller: ReturnType<typeof callerFor>, tenantSlug: string) =>
    caller.connectors.createEnrollmentCode({ tenantSlug, connectorName: 'PLC' }),
  'connectors.revoke': (caller: ReturnType<typeof callerFor>, tenantSlug: string) =>
    caller.connectors.revoke({ tenantSlug, connectorId: '00000000-0000-4000-8000-000000000000' }),
  'readings.addManual': (caller: ReturnType<typeof callerFor>, tenantSlug: string) =>
    caller.readings.addManual({
      tenantSlug,
      kind: 'tank_gauging',
      readings: [
        {
          variableId: '00000000-0000-4000-8000-000000000000',
          ts: new Date().toISOString(),
          value: 1,
        },
      ],
    }),
};

describe('tenant gate', () => {
  it.each(Object.entries(tenantProcedures))(
    '%s: a member of another tenant gets NOT_FOUND',
    async (_, call) => {
      expect(await trpcCode(call(callerFor(rivalAdmin), acme.slug))).toBe('NOT_FOUND');
    },
  );

  it.each(Object.entries(tenantProcedures))(
    '%s: without a session it is UNAUTHORIZED',
    async (_, call) => {
      expect(await trpcCode(call(callerFor(null), acme.slug))).toBe('UNAUTHORIZED');
    },
  );

  it.each(Object.entries(tenantProcedures))(
    '%s: an unknown or malformed slug is refused',
    async (_, call) => {
      expect(await trpcCode(call(callerFor(acmeEngineer), 'no-existe-esta'))).toBe('NOT_FOUND');
      expect(await trpcCode(call(callerFor(acmeEngineer), "x'; drop table--"))).toBe('BAD_REQUEST');
    },
  );

  it('a member sees only their own field', async () => {
    const overview = await callerFor(acmeEngineer).field.overview({ tenantSlug: acme.slug });
    expect(overview.tenant).toEqual({
      slug: acme.slug,
      legalName: acme.legalName,
      role: 'engineer',
    });
    expect(overview.sites.map((s) => s.code)).toEqual(['ACME-1']);
    expect(overview.sites[0]!.points.filter((p) => p.kind === 'well')).toHaveLength(3);
    expect(overview.sites[0]!.points.every((p) => p.variables > 0)).toBe(true);
    const rivalView = await callerFor(rivalAdmin).field.overview({ tenantSlug: rival.slug });
    expect(rivalView.sites.map((s) => s.code)).toEqual(['RIVAL-1']);
  });

  it('an auditor may read', async () => {
    const overview = await callerFor(auditor).field.overview({ tenantSlug: acme.slug });
    expect(overview.tenant.role).toBe('auditor');
  });

  it('lists only the tenants the user belongs to', async () => {
    const mine = await callerFor(acmeEngineer).me.tenants();
    expect(mine.map((t) => t.slug)).toEqual([acme.slug]);
  });

  it('a deprovisioned tenant is NOT_FOUND even to its members', async () => {
    const { db } = testDb();
    const gone = await seedTenant(db);
    await seedMembership(db, gone.id, acmeEngineer.id, 'admin');
    await deprovisionTenant(db, gone.id, { actor: 'user:test' });
    expect(await trpcCode(callerFor(acmeEngineer).field.overview({ tenantSlug: gone.slug }))).toBe(
      'NOT_FOUND',
    );
  });
});
