import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAuditChain, tenantTables, type Tenant } from '@anh/db';
import { buildDayReports } from '@anh/db/reports';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { buildTimeOf } from '@anh/domain/delivery-schedule';
import { parseKeyRing } from '@anh/domain/secret-box';
import { createTestFtpServer, type TestFtpServer } from '@anh/worker/test-ftp-server';
import { createCaller } from './root';

/** Delivery settings, the connection test, the report list and amendments, by role. */
const testDb = useTestDatabase();
const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);
let ftp: TestFtpServer;
let acme: Tenant;
let admin: User;
let engineer: User;
let operator: User;
const woken: string[] = [];

const callerFor = (user: User) =>
  createCaller({
    db: testDb().db,
    userId: user.id,
    ring,
    wakeDelivery: (_tenantId, reportId) => {
      woken.push(reportId);
      return Promise.resolve();
    },
  });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null).catch((e: unknown) => e);
  return error instanceof TRPCError ? error.code : `not a TRPCError: ${String(error)}`;
}

const settings = () => ({
  host: '127.0.0.1',
  port: ftp.port,
  tlsMode: 'explicit' as const,
  tlsCaPem: ftp.caPem,
  remoteDir: '/anh/entrada',
  username: ftp.user,
  password: ftp.password,
});

beforeAll(async () => {
  const { db } = testDb();
  ftp = await createTestFtpServer();
  await ftp.start();
  acme = await seedTenant(db);
  await seedField(db, acme.id, { wells: 1 });
  admin = await seedUser(db);
  engineer = await seedUser(db);
  operator = await seedUser(db);
  await seedMembership(db, acme.id, admin.id, 'admin');
  await seedMembership(db, acme.id, engineer.id, 'engineer');
  await seedMembership(db, acme.id, operator.id, 'operator');
});
afterAll(async () => {
  await ftp.stop();
});

describe('delivery settings and reports', () => {
  it('an admin saves the target; the password is sealed, never shown, never audited', async () => {
    await callerFor(admin).delivery.saveSettings({ tenantSlug: acme.slug, settings: settings() });
    const shown = await callerFor(engineer).delivery.settings({ tenantSlug: acme.slug });
    expect(shown).toMatchObject({
      host: '127.0.0.1',
      tlsMode: 'explicit',
      privateCa: true,
      username: ftp.user,
    });
    expect(JSON.stringify(shown)).not.toContain(ftp.password);
    const stored = await testDb().db.withTenantClient(
      acme.id,
      async (c) =>
        (
          await c.query<{ password_sealed: string }>(
            'SELECT password_sealed FROM delivery_settings',
          )
        ).rows[0]!,
    );
    expect(stored.password_sealed).toMatch(/^v1\.k1\./);
    const audit = await testDb().db.withTenant(acme.id, (tx) =>
      readAuditChain(tx, tenantTables.auditLog),
    );
    const saved = audit.find((e) => e.action === 'delivery.settings_saved')!;
    expect(JSON.stringify(saved.data)).not.toContain(ftp.password);
    expect(saved.data).toMatchObject({
      before: null,
      after: { host: '127.0.0.1', remoteDir: '/anh/entrada', passwordChanged: true },
    });
  });

  it('tests the connection (FTPS login, folder made and listed) and says why when it fails', async () => {
    const ok = await callerFor(admin).delivery.testConnection({ tenantSlug: acme.slug });
    expect(ok).toMatchObject({ ok: true });
    await callerFor(admin).delivery.saveSettings({
      tenantSlug: acme.slug,
      settings: { ...settings(), password: 'wrong-password' },
    });
    const bad = await callerFor(admin).delivery.testConnection({ tenantSlug: acme.slug });
    expect(bad.ok).toBe(false);
    // Said in both languages, with the reason an admin can act on.
    expect(bad).toMatchObject({
      reason: 'login',
      message:
        'El servidor rechazó el usuario o la contraseña / The server refused the user name or password',
    });
    await callerFor(admin).delivery.saveSettings({ tenantSlug: acme.slug, settings: settings() });
  });

  it('only admins change the target; operators do not see it; bad patterns are refused', async () => {
    expect(
      await codeOf(
        callerFor(engineer).delivery.saveSettings({ tenantSlug: acme.slug, settings: settings() }),
      ),
    ).toBe('FORBIDDEN');
    expect(await codeOf(callerFor(operator).delivery.settings({ tenantSlug: acme.slug }))).toBe(
      'FORBIDDEN',
    );
    expect(
      await codeOf(
        callerFor(admin).delivery.saveSettings({
          tenantSlug: acme.slug,
          settings: { ...settings(), filePattern: '{operator}_{day}.json' },
        }),
      ),
    ).toBe('BAD_REQUEST');
  });

  it('an engineer amends a report with a reason: a new version, sent at once; operators may not', async () => {
    const day = '2026-11-15';
    const [v1] = await buildDayReports(testDb().db, acme.id, day, { nowMs: buildTimeOf(day) });
    expect(
      await codeOf(
        callerFor(operator).delivery.amend({
          tenantSlug: acme.slug,
          day,
          siteId: v1!.siteId,
          reason: 'Corrección del aforo',
        }),
      ),
    ).toBe('FORBIDDEN');
    expect(
      await codeOf(
        callerFor(engineer).delivery.amend({
          tenantSlug: acme.slug,
          day,
          siteId: v1!.siteId,
          reason: 'corto',
        }),
      ),
    ).toBe('BAD_REQUEST');
    const amended = await callerFor(engineer).delivery.amend({
      tenantSlug: acme.slug,
      day,
      siteId: v1!.siteId,
      reason: 'Corrección del aforo de las 14:00',
    });
    expect(amended.version).toBe(2);
    expect(woken).toContain(amended.id);
    const list = await callerFor(operator).delivery.reports({ tenantSlug: acme.slug });
    expect(list.map((r) => [r.day, r.version])).toEqual([
      [day, 2],
      [day, 1],
    ]);
  });
});
