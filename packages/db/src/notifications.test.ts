import { createECDH, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@anh/domain/errors';
import { useTestDatabase } from '../test/use-test-database';
import {
  IN_FLIGHT,
  advanceFeedCursor,
  claimNotification,
  claimRetry,
  countPushFailure,
  currentMemberRoles,
  deleteGonePushSubscription,
  deletePushSubscription,
  escalateOverdueAlerts,
  getNotificationSettings,
  listPushSubscriptions,
  markPushSuccess,
  notificationsOfAlert,
  notifyWorkPending,
  readFeedCursor,
  recordNotificationOutcome,
  saveNotificationSettings,
  savePushSubscription,
} from './notifications';
import { raiseAlert } from './reports';
import { seedMembership, seedTenant, seedUser } from './seed';
import type { Tenant } from './tenants';

const testDb = useTestDatabase();
let acme: Tenant;
let rival: Tenant;
const NOW = Date.UTC(2026, 10, 27, 17);

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
});

const browser = (endpoint = `https://push.example.com/${randomBytes(6).toString('hex')}`) => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint,
    keys: { p256dh: ecdh.getPublicKey('base64url'), auth: randomBytes(16).toString('base64url') },
  };
};

async function newAlert(
  tenant: Tenant,
  subject: string,
  atMs = NOW,
  severity = 'warning' as const,
) {
  return testDb().db.withTenantClient(tenant.id, async (client) => {
    await raiseAlert(client, {
      kind: 'test.kind',
      subject,
      severity,
      audience: ['operator'],
      message: subject,
      data: {},
      nowMs: atMs,
    });
    return (
      await client.query<{ id: string }>(`SELECT id FROM alerts WHERE subject = $1`, [subject])
    ).rows[0]!.id;
  });
}

describe('notification claims', () => {
  it('a message is claimed once; a retry is claimed once per attempt', async () => {
    const { db } = testDb();
    const alertId = await newAlert(acme, 'claim-1');
    const key = {
      alertId,
      event: 'raised' as const,
      channel: 'email' as const,
      recipientId: alertId,
    };
    const [first, second] = await Promise.all([
      db.withTenantClient(acme.id, (c) => claimNotification(c, key, 'sending', NOW)),
      db.withTenantClient(acme.id, (c) => claimNotification(c, key, 'sending', NOW)),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const id = (first ?? second)!;
    let [row] = await db.withTenantClient(acme.id, (c) => notificationsOfAlert(c, alertId));
    expect(row).toMatchObject({ id, status: 'failed', attempts: 1, error: IN_FLIGHT, atMs: NOW });

    await db.withTenantClient(acme.id, (c) =>
      recordNotificationOutcome(c, id, { status: 'failed', error: 'x'.repeat(900) }, NOW + 5),
    );
    [row] = await db.withTenantClient(acme.id, (c) => notificationsOfAlert(c, alertId));
    expect(row!.error).toHaveLength(500);
    // Two runs that both saw the same state: one gets the attempt.
    const retries = await Promise.all([
      db.withTenantClient(acme.id, (c) => claimRetry(c, row!, NOW + 60_000)),
      db.withTenantClient(acme.id, (c) => claimRetry(c, row!, NOW + 60_000)),
    ]);
    expect(retries.sort()).toEqual([false, true]);
    [row] = await db.withTenantClient(acme.id, (c) => notificationsOfAlert(c, alertId));
    expect(row).toMatchObject({ attempts: 2, error: IN_FLIGHT, atMs: NOW + 60_000 });
    await db.withTenantClient(acme.id, (c) =>
      recordNotificationOutcome(c, id, { status: 'sent', providerId: 'SM1' }, NOW + 61_000),
    );
    [row] = await db.withTenantClient(acme.id, (c) => notificationsOfAlert(c, alertId));
    expect(row).toMatchObject({ status: 'sent', error: null });
    expect(await db.withTenantClient(acme.id, (c) => claimRetry(c, row!, NOW + 3600_000))).toBe(
      false,
    );
  });

  it('the cursor only moves forward, and says when feed events wait past it', async () => {
    const { db } = testDb();
    await newAlert(rival, 'cursor-1');
    expect(await db.withTenantClient(rival.id, (c) => notifyWorkPending(c))).toBe(true);
    await db.withTenantClient(rival.id, (c) => advanceFeedCursor(c, 10_000));
    await db.withTenantClient(rival.id, (c) => advanceFeedCursor(c, 5));
    expect(await db.withTenantClient(rival.id, (c) => readFeedCursor(c))).toBe(10_000);
    expect(await db.withTenantClient(rival.id, (c) => notifyWorkPending(c))).toBe(false);
  });
});

describe('escalation', () => {
  it('escalates overdue, unacknowledged, unresolved, non-informative alerts once', async () => {
    const { db } = testDb();
    const tenant = await seedTenant(db);
    const overdue = await newAlert(tenant, 'late', NOW - 31 * 60_000);
    const fresh = await newAlert(tenant, 'fresh', NOW - 29 * 60_000);
    const info = await newAlert(tenant, 'info', NOW - 60 * 60_000, 'info' as 'warning');
    const acked = await newAlert(tenant, 'acked', NOW - 60 * 60_000);
    await db.withTenantClient(tenant.id, (c) =>
      c.query(`UPDATE alerts SET acknowledged_at = now() WHERE id = $1`, [acked]),
    );
    const result = await db.withTenantClient(tenant.id, (c) => escalateOverdueAlerts(c, NOW));
    expect(result).toEqual({ escalated: [overdue], afterMinutes: 30 });
    expect(
      (await db.withTenantClient(tenant.id, (c) => escalateOverdueAlerts(c, NOW + 3600_000)))
        .escalated,
    ).toEqual([fresh]);
    const events = await db.withTenantClient(
      tenant.id,
      async (c) =>
        (
          await c.query<{ alert_id: string; event: string }>(
            `SELECT alert_id, event FROM alert_feed WHERE event = 'escalated' ORDER BY seq`,
          )
        ).rows,
    );
    expect(events.map((e) => e.alert_id)).toEqual([overdue, fresh]);
    expect(events.map((e) => e.alert_id)).not.toContain(info);
  });
});

describe('settings', () => {
  it('escalate-after minutes: saved with an audit entry, refused out of range', async () => {
    const { db } = testDb();
    expect(await db.withTenant(acme.id, (tx) => getNotificationSettings(tx))).toEqual({
      escalateAfterMinutes: 30,
    });
    await db.withTenant(acme.id, (tx) =>
      saveNotificationSettings(tx, { actor: 'user:x' }, { escalateAfterMinutes: 45 }),
    );
    expect(await db.withTenant(acme.id, (tx) => getNotificationSettings(tx))).toEqual({
      escalateAfterMinutes: 45,
    });
    const audit = await db.withTenantClient(
      acme.id,
      async (c) =>
        (
          await c.query<{ actor: string; data: unknown }>(
            `SELECT actor, data FROM audit_log WHERE action = 'notification_settings.updated'`,
          )
        ).rows,
    );
    expect(audit).toEqual([
      {
        actor: 'user:x',
        data: { before: { escalateAfterMinutes: 30 }, after: { escalateAfterMinutes: 45 } },
      },
    ]);
    const refused = await db
      .withTenant(acme.id, (tx) =>
        saveNotificationSettings(tx, { actor: 'user:x' }, { escalateAfterMinutes: 0 }),
      )
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('VALIDATION');
    // The rival's settings are its own.
    expect(await db.withTenant(rival.id, (tx) => getNotificationSettings(tx))).toEqual({
      escalateAfterMinutes: 30,
    });
  });
});

describe('push subscriptions', () => {
  it('saved per member (upsert by endpoint), removed only by their owner, gone deleted', async () => {
    const { db } = testDb();
    const [ana, beto] = [await seedUser(db), await seedUser(db)];
    await seedMembership(db, acme.id, ana.id, 'operator');
    await seedMembership(db, acme.id, beto.id, 'engineer');
    const phone = browser();
    const save = (userId: string, role: 'operator' | 'engineer', subscription: unknown) =>
      db.withTenant(acme.id, (tx) =>
        savePushSubscription(tx, { userId, role, subscription, userAgent: 'x' }),
      );
    const first = await save(ana.id, 'operator', phone);
    // The same phone, someone else signed in: taken over, one row.
    const second = await save(beto.id, 'engineer', phone);
    expect(second.id).toBe(first.id);
    let all = await db.withTenantClient(acme.id, (c) => listPushSubscriptions(c));
    expect(all.filter((s) => s.endpoint === phone.endpoint)).toEqual([
      expect.objectContaining({ userId: beto.id, role: 'engineer' }),
    ]);
    expect(
      (await db.withTenantClient(acme.id, (c) => listPushSubscriptions(c, ['operator']))).map(
        (s) => s.endpoint,
      ),
    ).not.toContain(phone.endpoint);
    // Not a valid subscription: refused.
    await expect(
      save(ana.id, 'operator', { endpoint: 'http://10.0.0.1/push', keys: phone.keys }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });

    // Failures are counted and forgotten on success.
    expect(await db.withTenantClient(acme.id, (c) => countPushFailure(c, first.id))).toBe(1);
    expect(await db.withTenantClient(acme.id, (c) => countPushFailure(c, first.id))).toBe(2);
    await db.withTenantClient(acme.id, (c) => markPushSuccess(c, first.id, NOW));
    all = await db.withTenantClient(acme.id, (c) => listPushSubscriptions(c));
    expect(all.find((s) => s.id === first.id)!.failures).toBe(0);

    // Only its owner removes it.
    expect(
      await db.withTenant(acme.id, (tx) => deletePushSubscription(tx, ana.id, phone.endpoint)),
    ).toBe(false);
    expect(
      await db.withTenant(acme.id, (tx) => deletePushSubscription(tx, beto.id, phone.endpoint)),
    ).toBe(true);
    const other = await save(ana.id, 'operator', browser());
    await db.withTenantClient(acme.id, (c) => deleteGonePushSubscription(c, other.id));
    expect(await db.withTenantClient(acme.id, (c) => listPushSubscriptions(c))).toEqual([]);

    // Current roles come from the control schema, per tenant.
    const roles = await currentMemberRoles(db, acme.id);
    expect(roles.get(ana.id)).toBe('operator');
    expect(roles.get(beto.id)).toBe('engineer');
    expect((await currentMemberRoles(db, rival.id)).has(ana.id)).toBe(false);
  });
});
