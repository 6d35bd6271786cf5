import { createECDH, randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAuditChain, tenantTables, type Tenant } from '@anh/db';
import { listPushSubscriptions } from '@anh/db/notifications';
import { seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { vapidPublicKey } from '~/env';
import { createCallerFactory, createTRPCRouter } from './init';
import { createCaller } from './root';
import { createPushRouter } from './routers/push';

/**
 * The notification settings as the web app changes them: recipients by role and
 * escalation-only, the escalate-after minutes (audited), and the Web Push contract the
 * field page uses (vapidPublicKey, subscribe with the member's role, unsubscribe).
 */
const testDb = useTestDatabase();
let acme: Tenant;
let rival: Tenant;
let admin: User;
let operator: User;
let engineer: User;

const callerFor = (user: User) => createCaller({ db: testDb().db, userId: user.id });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => 'OK').catch((e: unknown) => e);
  if (error === 'OK') return 'OK';
  return error instanceof TRPCError ? error.code : `not a TRPCError: ${String(error)}`;
}

const phone = (endpoint = `https://push.example.com/${randomBytes(6).toString('hex')}`) => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint,
    keys: { p256dh: ecdh.getPublicKey('base64url'), auth: randomBytes(16).toString('base64url') },
  };
};

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  [admin, operator, engineer] = [await seedUser(db), await seedUser(db), await seedUser(db)];
  await seedMembership(db, acme.id, admin.id, 'admin');
  await seedMembership(db, acme.id, operator.id, 'operator');
  await seedMembership(db, acme.id, engineer.id, 'engineer');
  await seedMembership(db, rival.id, operator.id, 'operator');
});

describe('push subscriptions (tRPC push.*)', () => {
  it('vapidPublicKey: the configured public key, or null', async () => {
    const key = `B${randomBytes(64).toString('base64url')}`;
    const caller = createCallerFactory(createTRPCRouter({ push: createPushRouter(() => key) }))({
      db: testDb().db,
      userId: operator.id,
    });
    expect(await caller.push.vapidPublicKey({ tenantSlug: acme.slug })).toEqual({ publicKey: key });
    expect(await callerFor(operator).push.vapidPublicKey({ tenantSlug: acme.slug })).toEqual({
      publicKey: null,
    });
    expect(vapidPublicKey({ VAPID_PUBLIC_KEY: key })).toBe(key);
    expect(vapidPublicKey({})).toBeNull();
    expect(() => vapidPublicKey({ VAPID_PUBLIC_KEY: 'short' })).toThrow(/VAPID_PUBLIC_KEY/);
  });

  it('subscribe keeps the member’s role; the same phone re-subscribed by another is taken over', async () => {
    const { db } = testDb();
    const browser = phone();
    expect(await callerFor(operator).push.subscribe({ tenantSlug: acme.slug, ...browser })).toEqual(
      { subscribed: true },
    );
    let saved = await db.withTenantClient(acme.id, (c) => listPushSubscriptions(c));
    expect(saved.filter((s) => s.endpoint === browser.endpoint)).toEqual([
      expect.objectContaining({ userId: operator.id, role: 'operator', ...browser.keys }),
    ]);
    // Subscribed in its own tenant only: the rival's table has none of it.
    expect(await db.withTenantClient(rival.id, (c) => listPushSubscriptions(c))).toEqual([]);

    await callerFor(engineer).push.subscribe({ tenantSlug: acme.slug, ...browser });
    saved = await db.withTenantClient(acme.id, (c) => listPushSubscriptions(c));
    expect(saved.filter((s) => s.endpoint === browser.endpoint)).toEqual([
      expect.objectContaining({ userId: engineer.id, role: 'engineer' }),
    ]);
    // Only its owner removes it.
    expect(
      await callerFor(operator).push.unsubscribe({
        tenantSlug: acme.slug,
        endpoint: browser.endpoint,
      }),
    ).toEqual({ removed: false });
    expect(
      await callerFor(engineer).push.unsubscribe({
        tenantSlug: acme.slug,
        endpoint: browser.endpoint,
      }),
    ).toEqual({ removed: true });
    saved = await db.withTenantClient(acme.id, (c) => listPushSubscriptions(c));
    expect(saved.map((s) => s.endpoint)).not.toContain(browser.endpoint);
  });

  it('endpoints: https, or http only on 127.0.0.1; keys of the right size', async () => {
    const caller = callerFor(operator);
    const ok = await codeOf(
      caller.push.subscribe({ tenantSlug: acme.slug, ...phone('http://127.0.0.1:9/push/1') }),
    );
    expect(ok).toBe('OK');
    for (const endpoint of ['http://10.0.0.5/push', 'http://localhost/push', 'ftp://x/y', 'x'])
      expect(
        await codeOf(caller.push.subscribe({ tenantSlug: acme.slug, ...phone(endpoint) })),
      ).toBe('BAD_REQUEST');
    const browser = phone();
    expect(
      await codeOf(
        caller.push.subscribe({
          tenantSlug: acme.slug,
          endpoint: browser.endpoint,
          keys: { p256dh: browser.keys.p256dh, auth: 'c2hvcnQ' },
        }),
      ),
    ).toBe('BAD_REQUEST');
  });
});

describe('alert recipients and escalation settings (tRPC alerts.*)', () => {
  it('recipients by role and escalation-only, audited', async () => {
    const saved = await callerFor(admin).alerts.saveRecipient({
      tenantSlug: acme.slug,
      recipient: {
        channel: 'email',
        address: 'supervisor@acme.example.co',
        name: 'Supervisor',
        roles: ['engineer', 'engineer', 'operator'],
        escalationOnly: true,
        minSeverity: 'critical',
      },
    });
    expect(saved).toMatchObject({ roles: ['engineer', 'operator'], escalationOnly: true });
    const listed = await callerFor(admin).alerts.recipients({ tenantSlug: acme.slug });
    expect(listed.find((r) => r.id === saved.id)).toMatchObject({
      roles: ['engineer', 'operator'],
      escalationOnly: true,
    });
    // Without them: every acting role, and not escalation-only.
    const plain = await callerFor(admin).alerts.saveRecipient({
      tenantSlug: acme.slug,
      recipient: { channel: 'sms', address: '+573001112233', name: 'Guardia' },
    });
    expect(plain).toMatchObject({
      roles: ['admin', 'engineer', 'operator'],
      escalationOnly: false,
    });
    const chain = await testDb().db.withTenant(acme.id, (tx) =>
      readAuditChain(tx, tenantTables.auditLog),
    );
    const entry = chain.find(
      (e) => e.action === 'alert_recipient.created' && e.entityId === saved.id,
    );
    expect(entry?.data).toMatchObject({
      before: null,
      after: { roles: ['engineer', 'operator'], escalationOnly: true },
    });

    for (const recipient of [
      { channel: 'email' as const, address: 'a@acme.example.co', name: 'Sin rol', roles: [] },
      {
        channel: 'email' as const,
        address: 'b@acme.example.co',
        name: 'Silencio raro',
        quietFromHour: 7,
        quietToHour: 7,
      },
    ])
      expect(
        await codeOf(callerFor(admin).alerts.saveRecipient({ tenantSlug: acme.slug, recipient })),
      ).toBe('BAD_REQUEST');
  });

  it('escalate-after minutes: read by readers, changed by admins, audited, 1 to 10,080', async () => {
    expect(await callerFor(engineer).alerts.settings({ tenantSlug: acme.slug })).toEqual({
      escalateAfterMinutes: 30,
    });
    expect(
      await callerFor(admin).alerts.saveSettings({
        tenantSlug: acme.slug,
        escalateAfterMinutes: 20,
      }),
    ).toEqual({ escalateAfterMinutes: 20 });
    expect(await callerFor(engineer).alerts.settings({ tenantSlug: acme.slug })).toEqual({
      escalateAfterMinutes: 20,
    });
    expect(
      await codeOf(
        callerFor(engineer).alerts.saveSettings({ tenantSlug: acme.slug, escalateAfterMinutes: 5 }),
      ),
    ).toBe('FORBIDDEN');
    for (const minutes of [0, 10_081, 2.5])
      expect(
        await codeOf(
          callerFor(admin).alerts.saveSettings({
            tenantSlug: acme.slug,
            escalateAfterMinutes: minutes,
          }),
        ),
      ).toBe('BAD_REQUEST');
    const chain = await testDb().db.withTenant(acme.id, (tx) =>
      readAuditChain(tx, tenantTables.auditLog),
    );
    expect(
      chain
        .filter((e) => e.action === 'notification_settings.updated')
        .map((e) => [e.actor, e.data]),
    ).toEqual([
      [
        `user:${admin.id}`,
        { before: { escalateAfterMinutes: 30 }, after: { escalateAfterMinutes: 20 } },
      ],
    ]);
  });
});
