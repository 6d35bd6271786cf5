import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAuditChain, tenantTables, userSecurity, type Tenant } from '@anh/db';
import { seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { parseKeyRing } from '@anh/domain/secret-box';
import { totpAt } from '@anh/domain/totp';
import { RateLimiter } from '../ingest/rate-limit';
import { authorizeCredentials, SignInRefused } from '../auth';
import { createCaller } from './root';

/**
 * People: invitations with a role (to an existing account and to a new one), company
 * switching, the last admin kept, the second factor at sign-in, and ending sessions.
 */
const testDb = useTestDatabase();
const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);
let acme: Tenant;
let other: Tenant;
let admin: User;

const callerFor = (userId: string | null) =>
  createCaller({ db: testDb().db, userId, ring, appUrl: 'http://127.0.0.1:3000' });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => 'OK').catch((e: unknown) => e);
  if (error === 'OK') return 'OK';
  return error instanceof TRPCError ? error.code : `not a TRPCError: ${String(error)}`;
}

const tokenOf = (link: string | null) => link!.split('/invitacion/')[1]!;

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  other = await seedTenant(db);
  admin = await seedUser(db, { password: 'clave-del-admin-123' });
  await seedMembership(db, acme.id, admin.id, 'admin');
});

describe('invitations and roles', () => {
  it('invites a new person, who creates an account and joins with the role given', async () => {
    const invited = await callerFor(admin.id).members.invite({
      tenantSlug: acme.slug,
      email: 'Operadora@Example.com',
      role: 'operator',
    });
    expect(invited.emailed).toBe(false);
    const token = tokenOf(invited.link);
    const seen = await callerFor(null).account.invitation({ token });
    expect(seen).toMatchObject({
      email: 'operadora@example.com',
      role: 'operator',
      legalName: acme.legalName,
      hasAccount: false,
    });
    const joined = await callerFor(null).account.acceptInvitation({
      token,
      name: 'Operadora',
      password: 'una-clave-larga-de-verdad',
    });
    expect(joined.tenantSlug).toBe(acme.slug);
    // The link is spent.
    expect(await codeOf(callerFor(null).account.invitation({ token }))).toBe('NOT_FOUND');
    const user = await authorizeCredentials(testDb().db, {
      email: 'operadora@example.com',
      password: 'una-clave-larga-de-verdad',
    });
    expect(user).not.toBeNull();
    const tenants = await callerFor(user!.id).me.tenants();
    expect(tenants).toEqual([{ slug: acme.slug, legalName: acme.legalName, role: 'operator' }]);
    // An operator cannot invite.
    expect(
      await codeOf(
        callerFor(user!.id).members.invite({
          tenantSlug: acme.slug,
          email: 'x@example.com',
          role: 'admin',
        }),
      ),
    ).toBe('FORBIDDEN');
  });

  it('a person in two companies switches between them; the invitation must match the account', async () => {
    const { db } = testDb();
    const engineer = await seedUser(db);
    await seedMembership(db, other.id, engineer.id, 'engineer');
    const invited = await callerFor(admin.id).members.invite({
      tenantSlug: acme.slug,
      email: engineer.email,
      role: 'auditor',
    });
    const stranger = await seedUser(db);
    expect(
      await codeOf(callerFor(stranger.id).me.acceptInvitation({ token: tokenOf(invited.link) })),
    ).toBe('FORBIDDEN');
    await callerFor(engineer.id).me.acceptInvitation({ token: tokenOf(invited.link) });
    const mine = await callerFor(engineer.id).me.tenants();
    expect(mine.map((t) => [t.slug, t.role]).sort()).toEqual(
      [
        [acme.slug, 'auditor'],
        [other.slug, 'engineer'],
      ].sort(),
    );
    // Each company answers with the role held there.
    expect(
      (await callerFor(engineer.id).field.overview({ tenantSlug: acme.slug })).tenant.role,
    ).toBe('auditor');
    expect(
      (await callerFor(engineer.id).field.overview({ tenantSlug: other.slug })).tenant.role,
    ).toBe('engineer');
    // Inviting a member again is refused with a message.
    expect(
      await codeOf(
        callerFor(admin.id).members.invite({
          tenantSlug: acme.slug,
          email: engineer.email,
          role: 'admin',
        }),
      ),
    ).toBe('CONFLICT');
  });

  it('keeps at least one admin, changes roles, removes members, revokes invitations; all audited', async () => {
    const { db } = testDb();
    const me = callerFor(admin.id);
    expect(
      await codeOf(
        me.members.changeRole({ tenantSlug: acme.slug, userId: admin.id, role: 'engineer' }),
      ),
    ).toBe('CONFLICT');
    expect(await codeOf(me.members.remove({ tenantSlug: acme.slug, userId: admin.id }))).toBe(
      'CONFLICT',
    );
    const second = await seedUser(db);
    await seedMembership(db, acme.id, second.id, 'engineer');
    await me.members.changeRole({ tenantSlug: acme.slug, userId: second.id, role: 'admin' });
    await me.members.remove({ tenantSlug: acme.slug, userId: second.id });
    const invitation = await me.members.invite({
      tenantSlug: acme.slug,
      email: 'tarde@example.com',
      role: 'engineer',
    });
    await me.members.revokeInvitation({
      tenantSlug: acme.slug,
      invitationId: invitation.invitationId,
    });
    expect(
      await codeOf(callerFor(null).account.invitation({ token: tokenOf(invitation.link) })),
    ).toBe('NOT_FOUND');
    const listed = await me.members.list({ tenantSlug: acme.slug });
    expect(listed.members.map((m) => m.userId)).not.toContain(second.id);
    expect(listed.invitations.map((i) => i.email)).not.toContain('tarde@example.com');
    const chain = await db.withTenant(acme.id, (tx) => readAuditChain(tx, tenantTables.auditLog));
    const roleChange = chain.find(
      (e) => e.action === 'member.role_changed' && e.entityId === second.id,
    )!;
    expect(roleChange.actor).toBe(`user:${admin.id}`);
    expect(roleChange.data).toEqual({ before: { role: 'engineer' }, after: { role: 'admin' } });
    expect(chain.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'member.invited',
        'member.joined',
        'member.removed',
        'member.invitation_revoked',
      ]),
    );
  });
});

describe('second factor and sessions', () => {
  it('TOTP: set up, confirmed, then required at sign-in; a code works once', async () => {
    const { db } = testDb();
    const user = await seedUser(db, { password: 'clave-con-totp-123' });
    const me = callerFor(user.id).me;
    const { secret, uri } = await me.totpSetup();
    expect(uri).toContain(`secret=${secret}`);
    // Not required until confirmed.
    expect(
      await authorizeCredentials(
        db,
        { email: user.email, password: 'clave-con-totp-123' },
        { ring },
      ),
    ).not.toBeNull();
    expect(await codeOf(me.totpEnable({ code: '000000' }))).toBe('BAD_REQUEST');
    const now = Date.now();
    await me.totpEnable({ code: totpAt(secret, now) });
    expect((await me.profile()).totpEnabled).toBe(true);

    const signIn = (totp?: string) =>
      authorizeCredentials(
        db,
        { email: user.email, password: 'clave-con-totp-123', ...(totp ? { totp } : {}) },
        { ring, limiter: new RateLimiter(), nowMs: now + 30_000 },
      ).catch((e: unknown) => (e instanceof SignInRefused ? e.reason : e));
    expect(await signIn()).toBe('totp_required');
    expect(await signIn('123456')).toBe('totp_invalid');
    const code = totpAt(secret, now + 30_000);
    expect(await signIn(code)).toMatchObject({ id: user.id });
    // The same code again (replay) is refused.
    expect(await signIn(code)).toBe('totp_invalid');
  });

  it('sign-in is refused before the e-mail is confirmed, and rate-limited', async () => {
    const { db } = testDb();
    const user = await seedUser(db, { password: 'clave-sin-verificar-1' });
    await db.control.execute(
      (await import('drizzle-orm'))
        .sql`UPDATE control.users SET email_verified = NULL WHERE id = ${user.id}`,
    );
    const limiter = new RateLimiter();
    const attempt = (password: string) =>
      authorizeCredentials(
        db,
        { email: user.email, password },
        { limiter, clientAddress: '10.0.0.9' },
      ).catch((e: unknown) => (e instanceof SignInRefused ? e.reason : e));
    expect(await attempt('clave-sin-verificar-1')).toBe('email_unverified');
    // A wrong password says nothing about verification.
    expect(await attempt('otra-clave')).toBeNull();
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await attempt('otra-clave'));
    expect(results).toContain('rate_limited');
  });

  it('signing out everywhere ends sessions issued before, not those after', async () => {
    const { db } = testDb();
    const user = await seedUser(db);
    const issued = Date.now() - 1000;
    expect(await userSecurity.sessionStillValid(db, user.id, issued)).toBe(true);
    await callerFor(user.id).me.signOutEverywhere();
    expect(await userSecurity.sessionStillValid(db, user.id, issued)).toBe(false);
    expect(await userSecurity.sessionStillValid(db, user.id, Date.now() + 1)).toBe(true);
  });
});
