import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { deprovisionTenant } from '@anh/db';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import type { MemberRole } from '@anh/domain/tenancy';
import { PERMISSIONS, type TenantProcedureName } from './permissions';
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
  const error = await promise.then(() => 'OK' as const).catch((e: unknown) => e);
  if (error === 'OK') return 'OK';
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

type Caller = ReturnType<typeof callerFor>;
const NO_ID = '00000000-0000-4000-8000-000000000000';

/**
 * Every tenant-scoped procedure, invoked with a slug and harmless input. Typed against the
 * permission matrix: a procedure added there and not here does not compile.
 */
const tenantProcedures: Record<
  TenantProcedureName,
  (caller: Caller, tenantSlug: string) => Promise<unknown>
> = {
  'field.overview': (caller, tenantSlug) => caller.field.overview({ tenantSlug }),
  'readings.addManual': (caller, tenantSlug) =>
    caller.readings.addManual({
      tenantSlug,
      kind: 'tank_gauging',
      readings: [{ variableId: NO_ID, ts: new Date().toISOString(), value: 1 }],
    }),
  'delivery.settings': (caller, tenantSlug) => caller.delivery.settings({ tenantSlug }),
  'delivery.saveSettings': (caller, tenantSlug) =>
    caller.delivery.saveSettings({
      tenantSlug,
      settings: { host: '127.0.0.1', port: 1, username: 'u', password: 'p' },
    }),
  'delivery.testConnection': (caller, tenantSlug) => caller.delivery.testConnection({ tenantSlug }),
  'delivery.reports': (caller, tenantSlug) => caller.delivery.reports({ tenantSlug }),
  'delivery.amend': (caller, tenantSlug) =>
    caller.delivery.amend({
      tenantSlug,
      day: '2026-01-01',
      siteId: NO_ID,
      reason: 'una razón larga',
    }),
  'connectors.list': (caller, tenantSlug) => caller.connectors.list({ tenantSlug }),
  'connectors.createEnrollmentCode': (caller, tenantSlug) =>
    caller.connectors.createEnrollmentCode({ tenantSlug, connectorName: 'PLC' }),
  'connectors.revoke': (caller, tenantSlug) =>
    caller.connectors.revoke({ tenantSlug, connectorId: NO_ID }),
};

describe('permission matrix', () => {
  const members: Partial<Record<MemberRole, User>> = {};
  beforeAll(async () => {
    for (const role of ['admin', 'engineer', 'operator', 'auditor'] as const) {
      const user = await seedUser(testDb().db);
      await seedMembership(testDb().db, acme.id, user.id, role);
      members[role] = user;
    }
  });

  const cases = (Object.keys(PERMISSIONS) as TenantProcedureName[]).flatMap((name) =>
    (['admin', 'engineer', 'operator', 'auditor'] as const).map((role) => [name, role] as const),
  );
  it.each(cases)('%s as %s: allowed exactly when the matrix says so', async (name, role) => {
    const code = await trpcCode(tenantProcedures[name](callerFor(members[role]!), acme.slug));
    const allowed = (PERMISSIONS[name] as readonly MemberRole[]).includes(role);
    // Allowed calls may still fail on their harmless input, but never for the role.
    expect(code).not.toMatch(/^not a TRPCError/);
    if (allowed) expect(code).not.toBe('FORBIDDEN');
    else expect(code).toBe('FORBIDDEN');
  });
});

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
