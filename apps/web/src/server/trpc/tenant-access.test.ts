import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { deprovisionTenant } from '@anh/db';
import { buildDayReports } from '@anh/db/reports';
import { variableByCode } from '@anh/domain/catalog';
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
/** The start of the 10-minute slot `n` slots before the current one. */
const SLOT_AGO = (n: number) => (Math.floor(Date.now() / 600_000) - n) * 600_000;

/** Ids of objects that exist: in the tenant named by the call, or (rival section) in another. */
interface Ids {
  siteId: string;
  pointId: string;
  variableId: string;
  connectorId: string;
  recipientId: string;
  invitationId: string;
  memberId: string;
  correctionId: string;
  reportId: string;
}
const NO_IDS: Ids = {
  siteId: NO_ID,
  pointId: NO_ID,
  variableId: NO_ID,
  connectorId: NO_ID,
  recipientId: NO_ID,
  invitationId: NO_ID,
  memberId: NO_ID,
  correctionId: NO_ID,
  reportId: NO_ID,
};

const site = { code: 'X-1', name: 'Estación X', fieldName: 'Campo X' };

/**
 * Every tenant-scoped procedure, invoked with a slug and harmless input. Typed against the
 * permission matrix: a procedure added there and not here does not compile.
 */
const tenantProcedures: Record<
  TenantProcedureName,
  (caller: Caller, tenantSlug: string, ids?: Ids) => Promise<unknown>
> = {
  'field.overview': (caller, tenantSlug) => caller.field.overview({ tenantSlug }),
  'dashboard.overview': (caller, tenantSlug, ids) =>
    caller.dashboard.overview({ tenantSlug, siteId: ids?.siteId ?? null }),
  'dashboard.completeness': (caller, tenantSlug, ids) =>
    caller.dashboard.completeness({ tenantSlug, siteId: ids?.siteId ?? null, day: '2026-11-27' }),
  'dashboard.forecast': (caller, tenantSlug, ids) =>
    caller.dashboard.forecast({ tenantSlug, siteId: ids?.siteId ?? null }),
  'live.connect': (caller, tenantSlug) => caller.live.connect({ tenantSlug }),
  'readings.addManual': (caller, tenantSlug, ids = NO_IDS) =>
    caller.readings.addManual({
      tenantSlug,
      kind: 'tank_gauging',
      readings: [{ variableId: ids.variableId, ts: new Date().toISOString(), value: 1 }],
    }),
  'delivery.settings': (caller, tenantSlug) => caller.delivery.settings({ tenantSlug }),
  'delivery.saveSettings': (caller, tenantSlug) =>
    caller.delivery.saveSettings({
      tenantSlug,
      settings: { host: '127.0.0.1', port: 1, username: 'u', password: 'p' },
    }),
  'delivery.testConnection': (caller, tenantSlug) => caller.delivery.testConnection({ tenantSlug }),
  'delivery.reports': (caller, tenantSlug) => caller.delivery.reports({ tenantSlug }),
  'delivery.amend': (caller, tenantSlug, ids = NO_IDS) =>
    caller.delivery.amend({
      tenantSlug,
      day: '2026-01-01',
      siteId: ids.siteId,
      reason: 'una razón larga',
    }),
  'connectors.list': (caller, tenantSlug) => caller.connectors.list({ tenantSlug }),
  'connectors.detail': (caller, tenantSlug, ids = NO_IDS) =>
    caller.connectors.detail({ tenantSlug, connectorId: ids.connectorId }),
  'connectors.register': (caller, tenantSlug) =>
    caller.connectors.register({ tenantSlug, name: 'PLC nuevo' }),
  'connectors.createEnrollmentCode': (caller, tenantSlug, ids) =>
    caller.connectors.createEnrollmentCode({
      tenantSlug,
      connectorName: 'PLC',
      ...(ids ? { connectorId: ids.connectorId } : {}),
    }),
  'connectors.downloadConfig': (caller, tenantSlug, ids = NO_IDS) =>
    caller.connectors.downloadConfig({ tenantSlug, connectorId: ids.connectorId }),
  'connectors.saveSource': (caller, tenantSlug, ids = NO_IDS) =>
    caller.connectors.saveSource({
      tenantSlug,
      connectorId: ids.connectorId,
      source: { id: 'plc9', type: 'modbus-tcp', host: '127.0.0.1' },
    }),
  'connectors.saveMapping': (caller, tenantSlug, ids = NO_IDS) =>
    caller.connectors.saveMapping({
      tenantSlug,
      connectorId: ids.connectorId,
      variableId: ids.variableId,
      sourceId: 'plc1',
      address: { modbus: { address: 7 } },
    }),
  'connectors.removeMapping': (caller, tenantSlug, ids = NO_IDS) =>
    caller.connectors.removeMapping({ tenantSlug, variableId: ids.variableId }),
  'connectors.importConfig': (caller, tenantSlug, ids = NO_IDS) =>
    caller.connectors.importConfig({
      tenantSlug,
      connectorId: ids.connectorId,
      yaml: 'version: 1\nconnector: { cloudUrl: http://127.0.0.1 }\nsources: []\ntags: []\n',
    }),
  'connectors.revoke': (caller, tenantSlug, ids = NO_IDS) =>
    caller.connectors.revoke({ tenantSlug, connectorId: ids.connectorId }),
  'config.catalog': (caller, tenantSlug) => caller.config.catalog({ tenantSlug }),
  'config.variables': (caller, tenantSlug) => caller.config.variables({ tenantSlug }),
  'config.createSite': (caller, tenantSlug) =>
    caller.config.createSite({ tenantSlug, site: { ...site, code: `S${Date.now() % 1e9}` } }),
  'config.updateSite': (caller, tenantSlug, ids = NO_IDS) =>
    caller.config.updateSite({ tenantSlug, siteId: ids.siteId, site }),
  'config.createPoint': (caller, tenantSlug, ids = NO_IDS) =>
    caller.config.createPoint({
      tenantSlug,
      siteId: ids.siteId,
      point: { code: `P${Date.now() % 1e9}`, name: 'Pozo', kind: 'well' },
    }),
  'config.updatePoint': (caller, tenantSlug, ids = NO_IDS) =>
    caller.config.updatePoint({
      tenantSlug,
      pointId: ids.pointId,
      point: { code: 'P-X', name: 'Pozo X', kind: 'well' },
    }),
  'config.addVariable': (caller, tenantSlug, ids = NO_IDS) =>
    caller.config.addVariable({
      tenantSlug,
      pointId: ids.pointId,
      code: 'casing_head_pressure',
      unit: 'psig',
    }),
  'members.list': (caller, tenantSlug) => caller.members.list({ tenantSlug }),
  'members.invite': (caller, tenantSlug) =>
    caller.members.invite({ tenantSlug, email: `x${Math.random()}@example.com`, role: 'operator' }),
  'members.revokeInvitation': (caller, tenantSlug, ids = NO_IDS) =>
    caller.members.revokeInvitation({ tenantSlug, invitationId: ids.invitationId }),
  'members.changeRole': (caller, tenantSlug, ids = NO_IDS) =>
    caller.members.changeRole({ tenantSlug, userId: ids.memberId, role: 'auditor' }),
  'members.remove': (caller, tenantSlug, ids = NO_IDS) =>
    caller.members.remove({ tenantSlug, userId: ids.memberId }),
  'anomalies.list': (caller, tenantSlug) => caller.anomalies.list({ tenantSlug }),
  'anomalies.alerts': (caller, tenantSlug) => caller.anomalies.alerts({ tenantSlug }),
  'anomalies.feedback': (caller, tenantSlug) =>
    caller.anomalies.feedback({ tenantSlug, anomalyId: NO_ID, verdict: 'false_alarm' }),
  'anomalies.acknowledge': (caller, tenantSlug) =>
    caller.anomalies.acknowledge({ tenantSlug, alertId: NO_ID }),
  'anomalies.retrain': (caller, tenantSlug, ids = NO_IDS) =>
    caller.anomalies.retrain({ tenantSlug, pointId: ids.pointId }),
  'alerts.recipients': (caller, tenantSlug) => caller.alerts.recipients({ tenantSlug }),
  'alerts.saveRecipient': (caller, tenantSlug, ids) =>
    caller.alerts.saveRecipient({
      tenantSlug,
      recipientId: ids?.recipientId ?? null,
      recipient: { channel: 'sms', address: '+573001234567', name: 'Guardia' },
    }),
  'alerts.removeRecipient': (caller, tenantSlug, ids = NO_IDS) =>
    caller.alerts.removeRecipient({ tenantSlug, recipientId: ids.recipientId }),
  'alerts.settings': (caller, tenantSlug) => caller.alerts.settings({ tenantSlug }),
  'alerts.saveSettings': (caller, tenantSlug) =>
    caller.alerts.saveSettings({ tenantSlug, escalateAfterMinutes: 30 }),
  'push.vapidPublicKey': (caller, tenantSlug) => caller.push.vapidPublicKey({ tenantSlug }),
  'push.subscribe': (caller, tenantSlug) =>
    caller.push.subscribe({
      tenantSlug,
      endpoint: `https://push.example.com/${Math.random().toString(36).slice(2)}`,
      keys: { p256dh: `B${'A'.repeat(86)}`, auth: 'A'.repeat(22) },
    }),
  'push.unsubscribe': (caller, tenantSlug) =>
    caller.push.unsubscribe({ tenantSlug, endpoint: 'https://push.example.com/none' }),
  'reports.list': (caller, tenantSlug, ids) =>
    caller.reports.list({ tenantSlug, ...(ids ? { siteId: ids.siteId } : {}) }),
  'reports.detail': (caller, tenantSlug, ids = NO_IDS) =>
    caller.reports.detail({ tenantSlug, reportId: ids.reportId }),
  'reports.file': (caller, tenantSlug, ids = NO_IDS) =>
    caller.reports.file({ tenantSlug, reportId: ids.reportId }),
  'reports.diff': (caller, tenantSlug, ids = NO_IDS) =>
    caller.reports.diff({ tenantSlug, reportId: ids.reportId, againstReportId: ids.reportId }),
  'audit.list': (caller, tenantSlug) => caller.audit.list({ tenantSlug, action: 'site.' }),
  'audit.verify': (caller, tenantSlug) => caller.audit.verify({ tenantSlug }),
  'series.point': (caller, tenantSlug, ids = NO_IDS) =>
    caller.series.point({ tenantSlug, pointId: ids.pointId }),
  'series.slots': (caller, tenantSlug, ids = NO_IDS) =>
    caller.series.slots({
      tenantSlug,
      variableId: ids.variableId,
      from: new Date(SLOT_AGO(144)).toISOString(),
      to: new Date(SLOT_AGO(0)).toISOString(),
    }),
  'series.raw': (caller, tenantSlug, ids = NO_IDS) =>
    caller.series.raw({
      tenantSlug,
      variableId: ids.variableId,
      from: new Date(SLOT_AGO(6)).toISOString(),
      to: new Date(SLOT_AGO(0)).toISOString(),
    }),
  'series.evidence': (caller, tenantSlug, ids = NO_IDS) =>
    caller.series.evidence({
      tenantSlug,
      variableId: ids.variableId,
      slotStart: new Date(SLOT_AGO(3)).toISOString(),
    }),
  'series.correct': (caller, tenantSlug, ids = NO_IDS) =>
    caller.series.correct({
      tenantSlug,
      variableId: ids.variableId,
      slotStart: new Date(SLOT_AGO(3)).toISOString(),
      method: 'interpolate',
      reason: 'Estimación de prueba',
    }),
  'series.revertCorrection': (caller, tenantSlug, ids = NO_IDS) =>
    caller.series.revertCorrection({
      tenantSlug,
      correctionId: ids.correctionId,
      reason: 'Reversión de prueba',
    }),
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

describe("another tenant's object ids", () => {
  let rivalIds: Ids;
  let acmeAdmin: User;

  /** What must not move in the rival tenant: its audit chain and its control rows. */
  async function rivalState() {
    const { db } = testDb();
    const audit = await db.withTenantClient(
      rival.id,
      async (client) =>
        (await client.query<{ n: string }>('SELECT count(*) AS n FROM audit_log')).rows[0]!.n,
    );
    const control = await db.control.execute(
      sql`SELECT (SELECT count(*) FROM control.memberships WHERE tenant_id = ${rival.id}) AS members,
                 (SELECT count(*) FROM control.invitations WHERE tenant_id = ${rival.id} AND revoked_at IS NULL) AS invitations,
                 (SELECT count(*) FROM control.connector_credentials WHERE tenant_id = ${rival.id} AND revoked_at IS NULL) AS connectors,
                 (SELECT count(*) FROM control.enrollment_codes WHERE tenant_id = ${rival.id}) AS codes,
                 (SELECT string_agg(role::text, ',' ORDER BY user_id) FROM control.memberships WHERE tenant_id = ${rival.id}) AS roles`,
    );
    return { audit, control: control.rows[0] };
  }

  beforeAll(async () => {
    const { db } = testDb();
    acmeAdmin = await seedUser(db);
    await seedMembership(db, acme.id, acmeAdmin.id, 'admin');
    const rivalCaller = callerFor(rivalAdmin);
    const overview = await rivalCaller.field.overview({ tenantSlug: rival.slug });
    const variables = await rivalCaller.config.variables({ tenantSlug: rival.slug });
    const { connectorId } = await rivalCaller.connectors.register({
      tenantSlug: rival.slug,
      name: 'PLC rival',
    });
    await rivalCaller.connectors.saveSource({
      tenantSlug: rival.slug,
      connectorId,
      source: { id: 'plc1', type: 'modbus-tcp', host: '127.0.0.1' },
    });
    await rivalCaller.connectors.saveMapping({
      tenantSlug: rival.slug,
      connectorId,
      variableId: variables[0]!.id,
      sourceId: 'plc1',
      address: { modbus: { address: 100 } },
    });
    const recipient = await rivalCaller.alerts.saveRecipient({
      tenantSlug: rival.slug,
      recipient: { channel: 'email', address: 'guardia@rival.example.com', name: 'Guardia' },
    });
    const invitation = await rivalCaller.members.invite({
      tenantSlug: rival.slug,
      email: 'nuevo@rival.example.com',
      role: 'operator',
    });
    const rivalOperator = await seedUser(db);
    await seedMembership(db, rival.id, rivalOperator.id, 'operator');
    const [rivalReport] = await buildDayReports(db, rival.id, '2026-01-01', {
      nowMs: Date.parse('2026-01-02T11:00:00Z'),
    });
    const [low, high] = variableByCode(variables[0]!.code)!.physicalRange;
    const rivalCorrection = await rivalCaller.series.correct({
      tenantSlug: rival.slug,
      variableId: variables[0]!.id,
      slotStart: new Date(SLOT_AGO(2 * 144)).toISOString(),
      method: 'substitute',
      value: (low + high) / 2,
      reason: 'Tiquete de medición del rival',
    });
    rivalIds = {
      siteId: overview.sites[0]!.id,
      pointId: overview.sites[0]!.points[0]!.id,
      variableId: variables[0]!.id,
      connectorId,
      recipientId: recipient.id,
      invitationId: invitation.invitationId,
      memberId: rivalOperator.id,
      correctionId: rivalCorrection.correctionId,
      reportId: rivalReport!.id,
    };
  });

  it.each(Object.keys(PERMISSIONS) as TenantProcedureName[])(
    "%s with the rival's ids, as an admin of acme: refused, and nothing of the rival changes",
    async (name) => {
      const before = await rivalState();
      const code = await trpcCode(
        tenantProcedures[name](callerFor(acmeAdmin), acme.slug, rivalIds),
      );
      expect(await rivalState()).toEqual(before);
      // Procedures without ids act on acme's own data and may succeed; any id of the
      // rival's is unknown here: NOT_FOUND, or BAD_REQUEST where it is a reading's variable.
      expect(code).not.toMatch(/^not a TRPCError|INTERNAL/);
    },
  );

  it("reads with acme's slug never return rival rows", async () => {
    const caller = callerFor(acmeAdmin);
    const variables = await caller.config.variables({ tenantSlug: acme.slug });
    expect(variables.map((v) => v.id)).not.toContain(rivalIds.variableId);
    const connectors = await caller.connectors.list({ tenantSlug: acme.slug });
    expect(connectors.map((c) => c.id)).not.toContain(rivalIds.connectorId);
    const recipients = await caller.alerts.recipients({ tenantSlug: acme.slug });
    expect(recipients.map((r) => r.id)).not.toContain(rivalIds.recipientId);
    const people = await caller.members.list({ tenantSlug: acme.slug });
    expect(people.members.map((m) => m.userId)).not.toContain(rivalIds.memberId);
    expect(people.invitations.map((i) => i.id)).not.toContain(rivalIds.invitationId);
    const reports = await caller.reports.list({ tenantSlug: acme.slug });
    expect(reports.items.map((r) => r.id)).not.toContain(rivalIds.reportId);
    for (const name of [
      'connectors.detail',
      'connectors.downloadConfig',
      'config.updateSite',
      'config.createPoint',
      'config.updatePoint',
      'config.addVariable',
      'connectors.removeMapping',
      'members.changeRole',
      'members.remove',
      'members.revokeInvitation',
      'alerts.removeRecipient',
      'alerts.saveRecipient',
      'connectors.saveMapping',
      'connectors.revoke',
      'anomalies.retrain',
      'series.point',
      'series.slots',
      'series.raw',
      'series.evidence',
      'series.correct',
      'series.revertCorrection',
      'reports.detail',
      'reports.file',
      'reports.diff',
      'dashboard.overview',
      'dashboard.completeness',
      'dashboard.forecast',
    ] as const)
      expect([name, await trpcCode(tenantProcedures[name](caller, acme.slug, rivalIds))]).toEqual([
        name,
        'NOT_FOUND',
      ]);
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
    // (The matrix tests above may have added sites to acme; none of the rival's shows.)
    expect(overview.sites.map((s) => s.code)).toContain('ACME-1');
    expect(overview.sites.map((s) => s.code)).not.toContain('RIVAL-1');
    expect(
      overview.sites.find((s) => s.code === 'ACME-1')!.points.filter((p) => p.kind === 'well'),
    ).toHaveLength(3);
    expect(
      overview.sites.find((s) => s.code === 'ACME-1')!.points.every((p) => p.variables > 0),
    ).toBe(true);
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
