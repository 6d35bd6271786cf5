import { describe, expect, it } from 'vitest';
import {
  MAX_SEND_ATTEMPTS,
  SMS_MAX_CHARS,
  alertsLink,
  bilingual,
  bogotaHour,
  decideForPush,
  decideForRecipient,
  emailText,
  escalationCutoffMs,
  inQuietHours,
  isDueForEscalation,
  pushEndpointSchema,
  pushPayload,
  pushSubscriptionSchema,
  retryDelayMs,
  retryState,
  smsText,
  notificationSettingsSchema,
  type AlertFacts,
  type RecipientFacts,
} from './index';

/** An instant at hour `h` (and minute `m`) Bogotá time, 2026-11-27. */
const bogota = (h: number, m = 0) => Date.UTC(2026, 10, 27, h + 5, m);

const alert = (over: Partial<AlertFacts> = {}): AlertFacts => ({
  severity: 'warning',
  audience: ['operator'],
  acknowledgedAt: null,
  resolvedAt: null,
  ...over,
});
const recipient = (over: Partial<RecipientFacts> = {}): RecipientFacts => ({
  enabled: true,
  minSeverity: 'warning',
  quietFromHour: null,
  quietToHour: null,
  roles: ['operator'],
  escalationOnly: false,
  ...over,
});
const decide = (
  over: {
    event?: 'raised' | 'escalated' | 'acknowledged' | 'resolved';
    alert?: Partial<AlertFacts>;
    recipient?: Partial<RecipientFacts>;
    nowMs?: number;
    toldOfRaise?: boolean;
  } = {},
) =>
  decideForRecipient({
    event: over.event ?? 'raised',
    alert: alert(over.alert),
    recipient: recipient(over.recipient),
    nowMs: over.nowMs ?? bogota(12),
    toldOfRaise: over.toldOfRaise ?? false,
  });

describe('quiet hours (America/Bogota)', () => {
  it('reads the hour in Bogotá, UTC−5 all year', () => {
    expect(bogotaHour(Date.UTC(2026, 10, 27, 4, 59))).toBe(23);
    expect(bogotaHour(Date.UTC(2026, 10, 27, 5, 0))).toBe(0);
    expect(bogotaHour(Date.UTC(2026, 5, 1, 17, 30))).toBe(12); // June: no daylight saving
  });

  it('a same-day range includes its start hour and excludes its end hour', () => {
    expect(inQuietHours(13, 15, bogota(12, 59))).toBe(false);
    expect(inQuietHours(13, 15, bogota(13, 0))).toBe(true);
    expect(inQuietHours(13, 15, bogota(14, 59))).toBe(true);
    expect(inQuietHours(13, 15, bogota(15, 0))).toBe(false);
  });

  it('a range that wraps midnight (22 → 6) covers the late evening and the early morning', () => {
    expect(inQuietHours(22, 6, bogota(21, 59))).toBe(false);
    expect(inQuietHours(22, 6, bogota(22, 0))).toBe(true);
    expect(inQuietHours(22, 6, bogota(23, 59))).toBe(true);
    expect(inQuietHours(22, 6, bogota(0, 0))).toBe(true);
    expect(inQuietHours(22, 6, bogota(5, 59))).toBe(true);
    expect(inQuietHours(22, 6, bogota(6, 0))).toBe(false);
    expect(inQuietHours(22, 6, bogota(12, 0))).toBe(false);
  });

  it('ranges touching midnight, and equal or missing ends', () => {
    expect(inQuietHours(0, 6, bogota(0, 0))).toBe(true);
    expect(inQuietHours(0, 6, bogota(23, 0))).toBe(false);
    expect(inQuietHours(20, 0, bogota(23, 59))).toBe(true);
    expect(inQuietHours(20, 0, bogota(0, 0))).toBe(false);
    expect(inQuietHours(23, 0, bogota(23, 30))).toBe(true);
    // Equal ends are no quiet hours at all (the forms refuse them); none set, none.
    expect(inQuietHours(7, 7, bogota(7, 30))).toBe(false);
    expect(inQuietHours(null, null, bogota(3))).toBe(false);
  });

  it('a warning in quiet hours is held back; a critical one passes', () => {
    const quiet = { quietFromHour: 22, quietToHour: 6 };
    expect(decide({ recipient: quiet, nowMs: bogota(2) })).toEqual({ action: 'quiet' });
    expect(decide({ recipient: quiet, nowMs: bogota(2), alert: { severity: 'critical' } })).toEqual(
      { action: 'send' },
    );
    expect(decide({ recipient: quiet, nowMs: bogota(9) })).toEqual({ action: 'send' });
  });
});

describe('who hears of a feed event (e-mail and SMS recipients)', () => {
  it('only raised and escalated events are sent', () => {
    expect(decide({ event: 'raised' })).toEqual({ action: 'send' });
    expect(decide({ event: 'acknowledged' })).toEqual({ action: 'skip', reason: 'not_news' });
    expect(decide({ event: 'resolved' })).toEqual({ action: 'skip', reason: 'not_news' });
  });

  it('roles: a recipient hears the alerts whose audience has one of its roles', () => {
    expect(decide({ recipient: { roles: ['engineer', 'operator'] } }).action).toBe('send');
    expect(decide({ recipient: { roles: ['engineer'] } })).toEqual({
      action: 'skip',
      reason: 'role',
    });
    expect(decide({ recipient: { roles: [] } }).action).toBe('skip');
  });

  it('minimum severity', () => {
    expect(decide({ alert: { severity: 'info' } })).toEqual({ action: 'skip', reason: 'severity' });
    expect(decide({ recipient: { minSeverity: 'critical' } }).action).toBe('skip');
    expect(decide({ recipient: { minSeverity: 'info' }, alert: { severity: 'info' } }).action).toBe(
      'send',
    );
  });

  it('a disabled recipient hears nothing, even a critical escalation', () => {
    expect(
      decide({
        event: 'escalated',
        recipient: { enabled: false, escalationOnly: true },
        alert: { severity: 'critical' },
      }),
    ).toEqual({ action: 'skip', reason: 'disabled' });
  });

  it('escalation-only recipients get escalations and nothing else', () => {
    const supervisor = { escalationOnly: true };
    expect(decide({ recipient: supervisor, alert: { severity: 'critical' } })).toEqual({
      action: 'skip',
      reason: 'escalation_only',
    });
    expect(
      decide({ event: 'escalated', recipient: supervisor, alert: { severity: 'critical' } }),
    ).toEqual({ action: 'send' });
    // Even when something about the raise was already sent to that address.
    expect(
      decide({
        event: 'escalated',
        recipient: supervisor,
        alert: { severity: 'critical' },
        toldOfRaise: true,
      }).action,
    ).toBe('send');
  });

  it('an escalation reaches other recipients only if the first message did not', () => {
    const escalated = { event: 'escalated' as const, alert: { severity: 'critical' as const } };
    expect(decide({ ...escalated, toldOfRaise: true })).toEqual({
      action: 'skip',
      reason: 'already_told',
    });
    // Held back by quiet hours, or below their minimum at first: now it is critical.
    expect(decide({ ...escalated, toldOfRaise: false, nowMs: bogota(3) }).action).toBe('send');
    expect(
      decide({ ...escalated, toldOfRaise: false, recipient: { minSeverity: 'critical' } }).action,
    ).toBe('send');
  });

  it('an acknowledged or resolved alert is not sent any more (read late, or retried)', () => {
    expect(decide({ alert: { acknowledgedAt: '2026-11-27T12:00:00Z' } })).toEqual({
      action: 'skip',
      reason: 'stale',
    });
    expect(decide({ event: 'escalated', alert: { resolvedAt: '2026-11-27T12:00:00Z' } })).toEqual({
      action: 'skip',
      reason: 'stale',
    });
  });
});

describe('who hears of a feed event (Web Push subscriptions)', () => {
  const push = (over: Parameters<typeof decideForPush>[0]) => decideForPush(over);
  it('by the role the member had when subscribing; warnings and up', () => {
    expect(push({ event: 'raised', alert: alert(), role: 'operator', toldOfRaise: false })).toEqual(
      { action: 'send' },
    );
    expect(push({ event: 'raised', alert: alert(), role: 'auditor', toldOfRaise: false })).toEqual({
      action: 'skip',
      reason: 'role',
    });
    expect(
      push({
        event: 'raised',
        alert: alert({ severity: 'info' }),
        role: 'operator',
        toldOfRaise: false,
      }),
    ).toEqual({ action: 'skip', reason: 'severity' });
  });

  it('no quiet hours; an escalation only to phones that missed the first message', () => {
    const critical = alert({ severity: 'critical' });
    expect(
      push({ event: 'escalated', alert: critical, role: 'operator', toldOfRaise: true }),
    ).toEqual({ action: 'skip', reason: 'already_told' });
    expect(
      push({ event: 'escalated', alert: critical, role: 'operator', toldOfRaise: false }).action,
    ).toBe('send');
    expect(
      push({ event: 'resolved', alert: critical, role: 'operator', toldOfRaise: false }).action,
    ).toBe('skip');
  });
});

describe('escalation', () => {
  const now = bogota(12);
  const facts = {
    severity: 'warning' as const,
    raisedAtMs: now - 30 * 60_000,
    acknowledgedAt: null,
    resolvedAt: null,
    escalatedAt: null,
  };
  it('is due once N minutes have passed, not a millisecond before', () => {
    expect(isDueForEscalation(facts, now, 30)).toBe(true);
    expect(isDueForEscalation({ ...facts, raisedAtMs: now - 30 * 60_000 + 1 }, now, 30)).toBe(
      false,
    );
    expect(escalationCutoffMs(now, 30)).toBe(now - 1_800_000);
  });

  it('never for an acknowledged, resolved, already escalated or informative alert', () => {
    expect(isDueForEscalation({ ...facts, acknowledgedAt: 'x' }, now, 30)).toBe(false);
    expect(isDueForEscalation({ ...facts, resolvedAt: 'x' }, now, 30)).toBe(false);
    expect(isDueForEscalation({ ...facts, escalatedAt: 'x' }, now, 30)).toBe(false);
    expect(isDueForEscalation({ ...facts, severity: 'info' }, now, 30)).toBe(false);
    // A critical one nobody took in hand is escalated too (its escalation recipients hear).
    expect(isDueForEscalation({ ...facts, severity: 'critical' }, now, 30)).toBe(true);
  });

  it('settings: 1 minute to 7 days', () => {
    expect(notificationSettingsSchema.safeParse({ escalateAfterMinutes: 30 }).success).toBe(true);
    expect(notificationSettingsSchema.safeParse({ escalateAfterMinutes: 0 }).success).toBe(false);
    expect(notificationSettingsSchema.safeParse({ escalateAfterMinutes: 10_081 }).success).toBe(
      false,
    );
    expect(notificationSettingsSchema.safeParse({ escalateAfterMinutes: 1.5 }).success).toBe(false);
  });
});

describe('retries', () => {
  it('waits 1, 2, 4, 8 minutes between attempts, at most 15', () => {
    expect([1, 2, 3, 4, 5, 9].map(retryDelayMs)).toEqual([
      60_000, 120_000, 240_000, 480_000, 900_000, 900_000,
    ]);
  });

  it('a failed message is retried when its wait is over, until the last attempt', () => {
    const at = bogota(12);
    const failed = { status: 'failed' as const, attempts: 1, atMs: at };
    expect(retryState(failed, at + 59_999)).toBe('waiting');
    expect(retryState(failed, at + 60_000)).toBe('retry');
    expect(retryState({ ...failed, attempts: 2 }, at + 60_000)).toBe('waiting');
    expect(retryState({ ...failed, attempts: MAX_SEND_ATTEMPTS }, at + 3_600_000)).toBe('settled');
    for (const status of ['sent', 'quiet', 'gone'] as const)
      expect(retryState({ status, attempts: 1, atMs: at }, at)).toBe('settled');
  });
});

describe('texts', () => {
  const ctx = {
    event: 'raised' as const,
    alert: {
      id: '6f1c1c9e-0000-4000-8000-000000000001',
      severity: 'critical' as const,
      message:
        'Presión de cabeza fuera de rango en POZO-7 / Wellhead pressure out of range at POZO-7',
      raisedAt: '2026-11-27T12:05:00.000Z',
    },
    tenantName: 'Petróleos del Llano S.A.S.',
    link: alertsLink('https://app.example.co/', 'llano'),
  };

  it('links to the company’s alerts page', () => {
    expect(ctx.link).toBe('https://app.example.co/t/llano/alertas');
    expect(bilingual('solo español')).toEqual({ es: 'solo español', en: 'solo español' });
  });

  it('e-mail: subject and body in Spanish first, then English, with the link', () => {
    const mail = emailText(ctx);
    expect(mail.subject).toBe(
      '[ANH] Crítica: Presión de cabeza fuera de rango en POZO-7 / Critical: Wellhead pressure out of range at POZO-7',
    );
    expect(mail.text.indexOf('Presión de cabeza')).toBeLessThan(
      mail.text.indexOf('Wellhead pressure'),
    );
    expect(mail.text).toContain('Levantada: 2026-11-27 07:05 (hora de Colombia)');
    expect(mail.text).toContain('Raised: 2026-11-27 07:05 (Colombia time)');
    expect(mail.text).toContain('Véala y reconózcala en: https://app.example.co/t/llano/alertas');
    expect(mail.text).toContain('Petróleos del Llano S.A.S.');
    const escalated = emailText({ ...ctx, event: 'escalated', escalateAfterMinutes: 30 });
    expect(escalated.subject).toMatch(
      /^\[ANH\] Escalada \(Crítica\): .* \/ Escalated \(Critical\)/,
    );
    expect(escalated.text).toContain('Nadie la ha reconocido en 30 min');
    expect(escalated.text).toContain('Nobody acknowledged it within 30 min');
  });

  it('SMS: severity, message and link within 320 characters, the link never cut', () => {
    expect(smsText(ctx)).toBe(
      'ANH Crítica/Critical: Presión de cabeza fuera de rango en POZO-7 / Wellhead pressure out of range at POZO-7 https://app.example.co/t/llano/alertas',
    );
    const long = {
      ...ctx,
      alert: {
        ...ctx.alert,
        message: `${'Palabra '.repeat(80)}final / ${'Word '.repeat(80)}end`,
      },
    };
    for (const event of ['raised', 'escalated'] as const) {
      const sms = smsText({ ...long, event });
      expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
      expect(sms.endsWith(' https://app.example.co/t/llano/alertas')).toBe(true);
      expect(sms).toContain('Palabra');
      expect(sms).toContain('…');
    }
    // A link too long to leave room: still at most 320.
    const huge = smsText({ ...ctx, link: `https://x.co/${'a'.repeat(400)}` });
    expect(huge.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
  });

  it('push payload: the five fields the service worker reads', () => {
    expect(pushPayload(ctx)).toEqual({
      title: 'Crítica / Critical · Petróleos del Llano S.A.S.',
      body: 'Presión de cabeza fuera de rango en POZO-7\nWellhead pressure out of range at POZO-7',
      url: 'https://app.example.co/t/llano/alertas',
      tag: 'alert-6f1c1c9e-0000-4000-8000-000000000001',
      severity: 'critical',
    });
  });
});

describe('push subscription input', () => {
  const keys = {
    p256dh: `B${'A'.repeat(86)}`,
    auth: 'A'.repeat(22),
  };
  it('https endpoints, or http only on 127.0.0.1', () => {
    expect(pushEndpointSchema.safeParse('https://fcm.googleapis.com/fcm/send/abc').success).toBe(
      true,
    );
    expect(pushEndpointSchema.safeParse('http://127.0.0.1:9000/push/1').success).toBe(true);
    expect(pushEndpointSchema.safeParse('http://localhost:9000/push/1').success).toBe(false);
    expect(pushEndpointSchema.safeParse('http://10.0.0.1/push').success).toBe(false);
    expect(pushEndpointSchema.safeParse('https://user:pw@push.example.com/x').success).toBe(false);
    expect(pushEndpointSchema.safeParse('javascript:alert(1)').success).toBe(false);
    expect(pushEndpointSchema.safeParse('not a url').success).toBe(false);
  });

  it('keys: a 65-byte P-256 point and a 16-byte secret, base64url', () => {
    const endpoint = 'https://push.example.com/x';
    expect(pushSubscriptionSchema.safeParse({ endpoint, keys }).success).toBe(true);
    expect(
      pushSubscriptionSchema.safeParse({ endpoint, keys: { ...keys, auth: 'A'.repeat(21) } })
        .success,
    ).toBe(false);
    expect(
      pushSubscriptionSchema.safeParse({ endpoint, keys: { ...keys, p256dh: 'not+base64/url' } })
        .success,
    ).toBe(false);
  });
});
