import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fieldConfig, type Tenant } from '@anh/db';
import {
  listPushSubscriptions,
  readFeedCursor,
  saveNotificationSettings,
  savePushSubscription,
} from '@anh/db/notifications';
import { raiseAlert } from '@anh/db/reports';
import { seedMembership, seedTenant, seedUser } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { emailText, smsText, type Severity } from '@anh/domain/notify';
import type { MemberRole } from '@anh/domain/tenancy';
import { freePort, startTestSmtpServer, type TestSmtpServer } from '../../test/smtp-server';
import { startTestTwilioServer, type TestTwilioServer } from '../../test/twilio-server';
import { startTestPushService, type TestPushService } from '../../test/push-service';
import { createLogger } from '../log';
import { createQueues } from '../queues';
import { startWorkerRuntime } from '../runtime';
import { createNotifyContext, type NotifyContext } from './channels';
import { runNotify } from './dispatch';
import { runEscalation } from './escalate';
import { startAlertFeedListener } from './listener';

/**
 * The notification channels end to end, on real parts: PostgreSQL (the feed trigger, the
 * claims), a real SMTP server (aiosmtpd), the real twilio client speaking to a local
 * server that implements Twilio's Messages API, and web-push's encryption and VAPID
 * checked and decrypted by a local push service playing the browser.
 */
const testDb = useTestDatabase();
const TWILIO = {
  accountSid: `AC${randomBytes(16).toString('hex')}`,
  authToken: randomBytes(16).toString('hex'),
  from: '+15005550006',
};
const VAPID = webpush.generateVAPIDKeys();
const APP_URL = 'https://app.example.co';
/** 12:00 in Bogotá (17:00 UTC), 2026-11-27. */
const NOON = Date.UTC(2026, 10, 27, 17);
const logLines: string[] = [];
const log = createLogger('debug', { service: 'test' }, (line) => logLines.push(line));

let smtp: TestSmtpServer;
let twilioServer: TestTwilioServer;
let pushService: TestPushService;
let notify: NotifyContext;

const envFor = (smtpUrl: string) => ({
  APP_URL,
  SMTP_URL: smtpUrl,
  MAIL_FROM: 'ANH Smart Reporter <alertas@anh.example.co>',
  TWILIO_ACCOUNT_SID: TWILIO.accountSid,
  TWILIO_AUTH_TOKEN: TWILIO.authToken,
  TWILIO_FROM: TWILIO.from,
  TWILIO_API_BASE: twilioServer.url,
  VAPID_PUBLIC_KEY: VAPID.publicKey,
  VAPID_PRIVATE_KEY: VAPID.privateKey,
  VAPID_SUBJECT: 'mailto:soporte@anh.example.co',
});

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  twilioServer = await startTestTwilioServer(TWILIO);
  pushService = await startTestPushService({ applicationServerKey: VAPID.publicKey });
  notify = createNotifyContext(envFor(smtp.url), log);
});

afterAll(async () => {
  await notify?.close();
  await smtp?.close();
  await twilioServer?.close();
  await pushService?.close();
  // Secrets never reach the log, whatever happened above.
  const all = logLines.join('\n');
  expect(all).not.toContain(TWILIO.authToken);
  expect(all).not.toContain(VAPID.privateKey);
});

// --- helpers -------------------------------------------------------------------------------

async function tenantWithPeople(roles: MemberRole[] = ['operator']) {
  const { db } = testDb();
  const tenant = await seedTenant(db);
  const people: Record<string, string> = {};
  for (const role of roles) {
    const user = await seedUser(db);
    await seedMembership(db, tenant.id, user.id, role);
    people[role] = user.id;
  }
  return { tenant, people };
}

let addressCounter = 0;
async function addRecipient(
  tenant: Tenant,
  over: Partial<fieldConfig.RecipientInput> & { channel: 'email' | 'sms' },
) {
  addressCounter++;
  const input: fieldConfig.RecipientInput = {
    name: `Destinatario ${addressCounter}`,
    address:
      over.channel === 'email'
        ? `guardia${addressCounter}@campo.example.co`
        : `+5730012${String(addressCounter).padStart(5, '0')}`,
    minSeverity: 'warning',
    quietFromHour: null,
    quietToHour: null,
    enabled: true,
    roles: ['operator'],
    escalationOnly: false,
    ...over,
  };
  return testDb().db.withTenant(tenant.id, (tx) =>
    fieldConfig.saveRecipient(tx, { actor: 'user:test' }, null, input),
  );
}

async function subscribePhone(tenant: Tenant, userId: string, role: MemberRole) {
  const browser = pushService.subscribe();
  await testDb().db.withTenant(tenant.id, (tx) =>
    savePushSubscription(tx, {
      userId,
      role,
      subscription: { endpoint: browser.endpoint, keys: browser.keys },
      userAgent: 'test-phone',
    }),
  );
  return browser;
}

async function raise(
  tenant: Tenant,
  subject: string,
  options: { severity?: Severity; audience?: string[]; atMs?: number } = {},
) {
  const { db } = testDb();
  return db.withTenantClient(tenant.id, async (client) => {
    await raiseAlert(client, {
      kind: 'test.notify',
      subject,
      severity: options.severity ?? 'warning',
      audience: options.audience ?? ['operator'],
      message: `Presión alta en ${subject} / High pressure at ${subject}`,
      data: {},
      nowMs: options.atMs ?? NOON,
    });
    const { rows } = await client.query<{ id: string; raised_at: Date }>(
      `SELECT id, raised_at FROM alerts WHERE subject = $1`,
      [subject],
    );
    return { id: rows[0]!.id, raisedAt: rows[0]!.raised_at.toISOString(), subject };
  });
}

const run = (tenant: Tenant, nowMs = NOON, context = notify) =>
  runNotify(testDb().db, tenant.id, { notify: context, nowMs: () => nowMs, log });

async function rows(tenant: Tenant) {
  return testDb().db.withTenantClient(
    tenant.id,
    async (client) =>
      (
        await client.query<{
          alert_id: string;
          event: string;
          channel: string;
          recipient_id: string;
          status: string;
          attempts: number;
          provider_id: string | null;
          error: string | null;
        }>(
          `SELECT alert_id, event, channel, recipient_id, status, attempts, provider_id, error
             FROM notifications ORDER BY at, channel`,
        )
      ).rows,
  );
}

const cursorOf = (tenant: Tenant) =>
  testDb().db.withTenantClient(tenant.id, (c) => readFeedCursor(c));
const lastSeq = (tenant: Tenant) =>
  testDb().db.withTenantClient(tenant.id, async (c) =>
    Number((await c.query<{ s: string }>('SELECT max(seq) AS s FROM alert_feed')).rows[0]!.s),
  );
const mailsTo = (address: string, server = smtp) =>
  server.messages().filter((m) => m.to === address);
const smsTo = (phone: string) => twilioServer.messages.filter((m) => m.to === phone);
const pushesTo = (id: string) => pushService.received.filter((p) => p.subscriptionId === id);

// --- the tests --------------------------------------------------------------------------------

describe('notify: the three channels', () => {
  it('an alert reaches e-mail (SMTP), SMS (Twilio API) and a phone (Web Push), each once', async () => {
    const { tenant, people } = await tenantWithPeople(['operator']);
    const mail = await addRecipient(tenant, { channel: 'email' });
    const phone = await addRecipient(tenant, { channel: 'sms' });
    const browser = await subscribePhone(tenant, people.operator!, 'operator');
    const alert = await raise(tenant, 'POZO-7');

    const outcome = await run(tenant);
    expect(outcome).toMatchObject({ events: 1, sent: 3, failed: 0, quiet: 0, gone: 0 });
    const link = `${APP_URL}/t/${tenant.slug}/alertas`;
    const expected = {
      event: 'raised' as const,
      alert: {
        id: alert.id,
        severity: 'warning' as const,
        message: 'Presión alta en POZO-7 / High pressure at POZO-7',
        raisedAt: alert.raisedAt,
      },
      tenantName: tenant.legalName,
      link,
      escalateAfterMinutes: 30,
    };

    // E-mail: received by the SMTP server, to the recipient, subject and text as written.
    await expect.poll(() => mailsTo(mail.address).length).toBe(1);
    const received = mailsTo(mail.address)[0]!;
    expect(received.subject).toBe(emailText(expected).subject);
    expect(received.subject).toContain('[ANH] Advertencia: Presión alta en POZO-7');
    expect(received.headers.from).toBe('ANH Smart Reporter <alertas@anh.example.co>');
    expect(received.text).toContain('Presión alta en POZO-7');
    expect(received.text).toContain('High pressure at POZO-7');
    expect(received.text).toContain(`Véala y reconózcala en: ${link}`);
    expect(received.text.indexOf('Presión alta')).toBeLessThan(
      received.text.indexOf('High pressure'),
    );

    // SMS: the Twilio API got the form body, with our account's Basic auth.
    expect(smsTo(phone.address)).toEqual([
      expect.objectContaining({
        accountSid: TWILIO.accountSid,
        from: TWILIO.from,
        body: smsText(expected),
      }),
    ]);
    expect(smsTo(phone.address)[0]!.body.length).toBeLessThanOrEqual(320);
    expect(twilioServer.refused).toEqual([]);

    // Web Push: VAPID verified, body decrypted with the phone's keys, the payload's shape.
    expect(pushesTo(browser.id)).toHaveLength(1);
    const push = pushesTo(browser.id)[0]!;
    expect(push.payload).toEqual({
      title: `Advertencia / Warning · ${tenant.legalName}`,
      body: 'Presión alta en POZO-7\nHigh pressure at POZO-7',
      url: link,
      tag: `alert-${alert.id}`,
      severity: 'warning',
    });
    expect(push).toMatchObject({
      urgency: 'normal',
      topic: alert.id.replaceAll('-', ''),
      ttl: '86400',
      vapid: { sub: 'mailto:soporte@anh.example.co', aud: pushService.origin },
    });

    // The log of what went out, with the providers' ids.
    const log = await rows(tenant);
    expect(log.map((r) => [r.channel, r.status, r.attempts])).toEqual([
      ['email', 'sent', 1],
      ['push', 'sent', 1],
      ['sms', 'sent', 1],
    ]);
    expect(log.find((r) => r.channel === 'sms')!.provider_id).toBe(smsTo(phone.address)[0]!.sid);
    expect(log.find((r) => r.channel === 'sms')!.provider_id).toMatch(/^SM[0-9a-f]{32}$/);
    expect(log.find((r) => r.channel === 'push')!.provider_id).toMatch(/\/message\//);
    expect(await cursorOf(tenant)).toBe(await lastSeq(tenant));
    const [subscription] = await testDb().db.withTenantClient(tenant.id, (c) =>
      listPushSubscriptions(c),
    );
    expect(subscription!.failures).toBe(0);
  });

  it('running the job twice, or twice at once, never sends twice', async () => {
    const { tenant } = await tenantWithPeople();
    const mail = await addRecipient(tenant, { channel: 'email' });
    const phone = await addRecipient(tenant, { channel: 'sms' });
    await raise(tenant, 'POZO-1');
    await run(tenant);
    const again = await run(tenant);
    expect(again).toMatchObject({ events: 0, sent: 0 });
    // The cursor moved on: forget it, and the claims still hold.
    await testDb().db.withTenantClient(tenant.id, (c) =>
      c.query(`UPDATE feed_cursors SET last_seq = 0`),
    );
    expect(await run(tenant)).toMatchObject({ events: 1, sent: 0 });
    // A new alert and two runs racing for it.
    await raise(tenant, 'POZO-2');
    const raced = await Promise.all([run(tenant), run(tenant)]);
    expect(raced[0].sent + raced[1].sent).toBe(2);
    await expect.poll(() => mailsTo(mail.address).length).toBe(2);
    await new Promise((r) => setTimeout(r, 300)); // anything extra would have arrived by now
    expect(mailsTo(mail.address).map((m) => m.subject.includes('POZO-1'))).toEqual([true, false]);
    expect(mailsTo(mail.address)).toHaveLength(2);
    expect(smsTo(phone.address)).toHaveLength(2);
    expect(await rows(tenant)).toHaveLength(4);
  });

  it('recipients and phones by role; people who left hear nothing', async () => {
    const { tenant, people } = await tenantWithPeople(['operator', 'engineer']);
    const engineers = await addRecipient(tenant, { channel: 'email', roles: ['engineer'] });
    const operators = await addRecipient(tenant, { channel: 'email', roles: ['operator'] });
    const both = await addRecipient(tenant, { channel: 'sms', roles: ['engineer', 'operator'] });
    const operatorPhone = await subscribePhone(tenant, people.operator!, 'operator');
    const engineerPhone = await subscribePhone(tenant, people.engineer!, 'engineer');
    // Someone who subscribed as an engineer and then left the company.
    const gone = await seedUser(testDb().db);
    const leaverPhone = await subscribePhone(tenant, gone.id, 'engineer');

    await raise(tenant, 'REPORTE-1', { audience: ['engineer'] });
    await run(tenant);
    await expect.poll(() => mailsTo(engineers.address).length).toBe(1);
    expect(mailsTo(operators.address)).toHaveLength(0);
    expect(smsTo(both.address)).toHaveLength(1);
    expect(pushesTo(engineerPhone.id)).toHaveLength(1);
    expect(pushesTo(operatorPhone.id)).toHaveLength(0);
    expect(pushesTo(leaverPhone.id)).toHaveLength(0);
    // Skipped targets leave no row: only what was sent is in the log.
    expect((await rows(tenant)).map((r) => r.recipient_id).sort()).toEqual(
      [engineers.id, both.id, (await subscriptionId(tenant, engineerPhone.endpoint))!].sort(),
    );
  });

  it('quiet hours hold back a warning but not a critical alert', async () => {
    const { tenant } = await tenantWithPeople();
    const night = await addRecipient(tenant, {
      channel: 'email',
      quietFromHour: 22,
      quietToHour: 6,
    });
    const twoAm = Date.UTC(2026, 10, 28, 7); // 02:00 in Bogotá
    await raise(tenant, 'TANQUE-3', { severity: 'warning', atMs: twoAm });
    await raise(tenant, 'TANQUE-4', { severity: 'critical', atMs: twoAm });
    const outcome = await run(tenant, twoAm);
    expect(outcome).toMatchObject({ sent: 1, quiet: 1 });
    await expect.poll(() => mailsTo(night.address).length).toBe(1);
    expect(mailsTo(night.address)[0]!.subject).toContain('[ANH] Crítica: Presión alta en TANQUE-4');
    expect((await rows(tenant)).map((r) => r.status).sort()).toEqual(['quiet', 'sent']);
    // Held back is settled: the cursor moved past both, and nothing follows at 07:00.
    expect(await cursorOf(tenant)).toBe(await lastSeq(tenant));
    expect(await run(tenant, twoAm + 5 * 3600_000)).toMatchObject({ sent: 0, events: 0 });
    expect(mailsTo(night.address)).toHaveLength(1);
  });
});

async function subscriptionId(tenant: Tenant, endpoint: string) {
  const all = await testDb().db.withTenantClient(tenant.id, (c) => listPushSubscriptions(c));
  return all.find((s) => s.endpoint === endpoint)?.id;
}

describe('notify: failures and retries', () => {
  it('a message the SMTP server could not take is retried after it comes back', async () => {
    const { tenant } = await tenantWithPeople();
    const port = await freePort();
    const context = createNotifyContext(envFor(`smtp://127.0.0.1:${port}`), log);
    try {
      const mail = await addRecipient(tenant, { channel: 'email' });
      const phone = await addRecipient(tenant, { channel: 'sms' });
      await raise(tenant, 'SEPARADOR-1');
      const before = await cursorOf(tenant);

      // Nothing listens on the port: the e-mail fails, the SMS goes.
      const first = await run(tenant, NOON, context);
      expect(first).toMatchObject({ sent: 1, failed: 1, nextRetryAtMs: NOON + 60_000 });
      expect(smsTo(phone.address)).toHaveLength(1);
      const failed = (await rows(tenant)).find((r) => r.channel === 'email')!;
      expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
      expect(failed.error).toMatch(/ECONNREFUSED/);
      // The event is not settled: the cursor waits for it.
      expect(await cursorOf(tenant)).toBe(before);

      // Before its wait is over, nothing is tried.
      expect(await run(tenant, NOON + 30_000, context)).toMatchObject({ sent: 0, failed: 0 });

      const server = await startTestSmtpServer({ port });
      try {
        const second = await run(tenant, NOON + 60_000, context);
        expect(second).toMatchObject({ sent: 1, failed: 0 });
        await expect.poll(() => mailsTo(mail.address, server).length).toBe(1);
        expect(mailsTo(mail.address, server)[0]!.subject).toContain('SEPARADOR-1');
        expect((await rows(tenant)).find((r) => r.channel === 'email')).toMatchObject({
          status: 'sent',
          attempts: 2,
          error: null,
        });
        expect(await cursorOf(tenant)).toBe(await lastSeq(tenant));
        expect(smsTo(phone.address)).toHaveLength(1); // not re-sent
      } finally {
        await server.close();
      }
    } finally {
      await context.close();
    }
  });

  it('a message that keeps failing is tried 5 times, then kept as failed', async () => {
    const { tenant } = await tenantWithPeople();
    const phone = await addRecipient(tenant, { channel: 'sms' });
    await raise(tenant, 'MEDIDOR-9');
    twilioServer.failNext(5, 503);
    let at = NOON;
    const attempts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const outcome = await run(tenant, at);
      attempts.push((await rows(tenant))[0]!.attempts);
      if (i < 4) {
        expect(outcome.cursor).toBe(0);
        at = outcome.nextRetryAtMs!;
      } else expect(outcome.nextRetryAtMs).toBeNull();
    }
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    // 1 + 2 + 4 + 8 minutes between the five attempts.
    expect(at - NOON).toBe(15 * 60_000);
    const [row] = await rows(tenant);
    expect(row).toMatchObject({ status: 'failed', attempts: 5 });
    expect(row!.error).toMatch(/^twilio 503/);
    expect(await cursorOf(tenant)).toBe(await lastSeq(tenant));
    expect(await run(tenant, at + 3600_000)).toMatchObject({ sent: 0, failed: 0 });
    expect(smsTo(phone.address)).toHaveLength(0);
    expect(twilioServer.refused.filter((r) => r.status === 503)).toHaveLength(5);
  });

  it('a subscription the push service says is gone (410) is deleted', async () => {
    const { tenant, people } = await tenantWithPeople();
    const browser = await subscribePhone(tenant, people.operator!, 'operator');
    pushService.answer(browser.id, 410);
    await raise(tenant, 'POZO-11');
    expect(await run(tenant)).toMatchObject({ gone: 1, sent: 0 });
    expect((await rows(tenant)).map((r) => [r.channel, r.status])).toEqual([['push', 'gone']]);
    expect(await subscriptionId(tenant, browser.endpoint)).toBeUndefined();
    expect(await cursorOf(tenant)).toBe(await lastSeq(tenant));
    // The next alert does not try it again.
    const refusedBefore = pushService.refused.length;
    await raise(tenant, 'POZO-12');
    await run(tenant);
    expect(pushService.refused.length).toBe(refusedBefore);
  });
});

describe('notify: escalation', () => {
  it('after N minutes unacknowledged, an escalation reaches the escalation recipients only', async () => {
    const { tenant } = await tenantWithPeople();
    const { db } = testDb();
    await db.withTenant(tenant.id, (tx) =>
      saveNotificationSettings(tx, { actor: 'user:test' }, { escalateAfterMinutes: 15 }),
    );
    const guard = await addRecipient(tenant, { channel: 'email' });
    const supervisor = await addRecipient(tenant, { channel: 'email', escalationOnly: true });
    const supervisorSms = await addRecipient(tenant, { channel: 'sms', escalationOnly: true });
    const otherArea = await addRecipient(tenant, {
      channel: 'email',
      escalationOnly: true,
      roles: ['engineer'],
    });
    const alert = await raise(tenant, 'POZO-21');
    const seen = await raise(tenant, 'POZO-22');
    await db.withTenantClient(tenant.id, (c) =>
      c.query(`UPDATE alerts SET acknowledged_at = $2 WHERE id = $1`, [
        seen.id,
        new Date(NOON + 60_000).toISOString(),
      ]),
    );
    await run(tenant);
    await expect.poll(() => mailsTo(guard.address).length).toBe(1);
    expect(mailsTo(supervisor.address)).toHaveLength(0);

    // 14 minutes: not yet.
    expect((await runEscalation(db, tenant.id, NOON + 14 * 60_000)).escalated).toEqual([]);
    const escalation = await runEscalation(db, tenant.id, NOON + 15 * 60_000);
    // The acknowledged one is not escalated.
    expect(escalation).toMatchObject({ escalated: [alert.id], afterMinutes: 15, pending: true });
    expect((await runEscalation(db, tenant.id, NOON + 16 * 60_000)).escalated).toEqual([]);
    const [state] = await db.withTenantClient(
      tenant.id,
      async (c) =>
        (
          await c.query<{ severity: string; escalated_at: Date }>(
            `SELECT severity, escalated_at FROM alerts WHERE id = $1`,
            [alert.id],
          )
        ).rows,
    );
    expect(state).toMatchObject({
      severity: 'critical',
      escalated_at: new Date(NOON + 15 * 60_000),
    });

    const outcome = await run(tenant, NOON + 15 * 60_000);
    expect(outcome).toMatchObject({ sent: 2 });
    await expect.poll(() => mailsTo(supervisor.address).length).toBe(1);
    expect(mailsTo(supervisor.address)[0]!.subject).toMatch(
      /^\[ANH\] Escalada \(Crítica\): Presión alta en POZO-21/,
    );
    expect(mailsTo(supervisor.address)[0]!.text).toContain('Nadie la ha reconocido en 15 min');
    expect(smsTo(supervisorSms.address)).toHaveLength(1);
    expect(smsTo(supervisorSms.address)[0]!.body).toMatch(
      /^ANH Escalada \(Crítica\)\/Escalated \(Critical\): /,
    );
    // The guard, told at first, is not paged again; the other area's supervisor never.
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo(guard.address)).toHaveLength(1);
    expect(mailsTo(otherArea.address)).toHaveLength(0);
  });
});

describe('notify: wake-ups', () => {
  it('the feed listener hears each tenant’s events at commit', async () => {
    const { tenant } = await tenantWithPeople();
    const heard: string[] = [];
    const listener = startAlertFeedListener({
      url: testDb().url,
      log,
      onTenant: async (tenantId) => {
        heard.push(tenantId);
      },
    });
    try {
      await listener.ready;
      await raise(tenant, 'LISTEN-1');
      await expect.poll(() => heard).toEqual([tenant.id]);
    } finally {
      await listener.close();
    }
  });

  it('in the worker runtime, a raised alert is e-mailed with no job started by hand', async () => {
    const { tenant } = await tenantWithPeople();
    const mail = await addRecipient(tenant, { channel: 'email' });
    const prefix = `anh-notify-${randomBytes(4).toString('hex')}`;
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const context = createNotifyContext(envFor(smtp.url), log);
    const runtime = await startWorkerRuntime({
      db: testDb().db,
      redis,
      log,
      prefix,
      concurrency: 2,
      settings: { aggregateGraceMs: 0, retentionMonths: 60, partitionMonthsAhead: 2 },
      notify: context,
    });
    try {
      // Nothing is due: the runtime's first sweeps find no work for this tenant.
      await new Promise((r) => setTimeout(r, 500));
      const started = Date.now();
      await raise(tenant, 'EN-VIVO-1', { atMs: Date.now() });
      await expect.poll(() => mailsTo(mail.address).length, { timeout: 15_000 }).toBe(1);
      log.info('notify latency (raise → e-mail received)', { ms: Date.now() - started });
      expect(mailsTo(mail.address)[0]!.subject).toContain('EN-VIVO-1');
    } finally {
      await runtime.close();
      const queues = createQueues({ connection: redis, prefix });
      for (const queue of Object.values(queues)) {
        await queue.obliterate({ force: true });
        await queue.close();
      }
      await redis.quit();
    }
  });
});
