import { BOGOTA_OFFSET_MS } from '../aggregation/bogota-day';

/**
 * Who hears of an alert-feed event, decided without I/O: the dispatcher (apps/worker
 * src/notify/) reads the recipients, the push subscriptions and what was already sent,
 * asks here, and records the answer. One function per kind of target.
 */
export type Severity = 'info' | 'warning' | 'critical';
export type FeedEvent = 'raised' | 'escalated' | 'acknowledged' | 'resolved';
export type NotifyChannel = 'email' | 'sms' | 'push';

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Only these feed events are news to send; acknowledged and resolved are seen in the app. */
export const NOTIFYING_EVENTS: readonly FeedEvent[] = ['raised', 'escalated'];

/** A phone gets warnings and criticals: an informative alert is not worth waking it. */
export const PUSH_MIN_SEVERITY: Severity = 'warning';

export interface AlertFacts {
  severity: Severity;
  /** Roles that must hear of it. */
  audience: readonly string[];
  acknowledgedAt: string | null;
  resolvedAt: string | null;
}

export interface RecipientFacts {
  enabled: boolean;
  minSeverity: Severity;
  /** Bogotá hours; both null, or both set. */
  quietFromHour: number | null;
  quietToHour: number | null;
  /** Roles whose alerts this recipient hears. */
  roles: readonly string[];
  escalationOnly: boolean;
}

export type SkipReason =
  'not_news' | 'stale' | 'disabled' | 'role' | 'escalation_only' | 'already_told' | 'severity';

export type Decision =
  { action: 'send' } | { action: 'quiet' } | { action: 'skip'; reason: SkipReason };

const send: Decision = { action: 'send' };
const skip = (reason: SkipReason): Decision => ({ action: 'skip', reason });

export function severityAtLeast(severity: Severity, minimum: Severity): boolean {
  return RANK[severity] >= RANK[minimum];
}

/** The hour of the day (0–23) in Bogotá (UTC−5 all year) at an instant. */
export function bogotaHour(epochMs: number): number {
  return new Date(epochMs + BOGOTA_OFFSET_MS).getUTCHours();
}

/**
 * Whether `epochMs` falls in the quiet hours [from, to) in Bogotá time. A range whose
 * start is after its end wraps midnight (22 → 6 is 22:00–05:59). Equal ends, or none,
 * mean no quiet hours: when unsure, an alert goes out (the forms refuse equal ends).
 */
export function inQuietHours(from: number | null, to: number | null, epochMs: number): boolean {
  if (from === null || to === null || from === to) return false;
  const hour = bogotaHour(epochMs);
  return from < to ? hour >= from && hour < to : hour >= from || hour < to;
}

/** What every target shares: only news, and only about an alert nobody has taken in hand. */
function commonChecks(event: FeedEvent, alert: AlertFacts): Decision | null {
  if (!NOTIFYING_EVENTS.includes(event)) return skip('not_news');
  // Read late (a worker that was down, a retry), the alert is as it is now: once someone
  // acknowledged or it resolved, telling people is noise.
  if (alert.acknowledgedAt !== null || alert.resolvedAt !== null) return skip('stale');
  return null;
}

/**
 * An e-mail or SMS recipient and one feed event.
 *
 * - Roles: the recipient hears an alert when one of its roles is in the alert's audience.
 * - Escalation-only recipients (a supervisor) get escalations and nothing else.
 * - An escalation reaches the other recipients only when they were not already told of
 *   the alert being raised (`toldOfRaise`): held back by quiet hours or by a minimum
 *   severity the alert has now reached. Whoever got the first message is not paged twice.
 * - Minimum severity, then quiet hours: only a critical alert passes them.
 */
export function decideForRecipient(input: {
  event: FeedEvent;
  alert: AlertFacts;
  recipient: RecipientFacts;
  nowMs: number;
  /** A message about this alert being raised already went to this recipient on this channel. */
  toldOfRaise: boolean;
}): Decision {
  const { event, alert, recipient } = input;
  const common = commonChecks(event, alert);
  if (common) return common;
  if (!recipient.enabled) return skip('disabled');
  if (!recipient.roles.some((role) => alert.audience.includes(role))) return skip('role');
  if (event === 'raised' && recipient.escalationOnly) return skip('escalation_only');
  if (event === 'escalated' && !recipient.escalationOnly && input.toldOfRaise)
    return skip('already_told');
  if (!severityAtLeast(alert.severity, recipient.minSeverity)) return skip('severity');
  if (
    alert.severity !== 'critical' &&
    inQuietHours(recipient.quietFromHour, recipient.quietToHour, input.nowMs)
  )
    return { action: 'quiet' };
  return send;
}

/**
 * A Web Push subscription (a phone or browser of a member) and one feed event: by the
 * role the member had when subscribing. No quiet hours here: the phone's own do-not-disturb
 * decides, and a phone is told of an escalation only if it missed the first message.
 */
export function decideForPush(input: {
  event: FeedEvent;
  alert: AlertFacts;
  role: string;
  toldOfRaise: boolean;
}): Decision {
  const common = commonChecks(input.event, input.alert);
  if (common) return common;
  if (!input.alert.audience.includes(input.role)) return skip('role');
  if (input.event === 'escalated' && input.toldOfRaise) return skip('already_told');
  if (!severityAtLeast(input.alert.severity, PUSH_MIN_SEVERITY)) return skip('severity');
  return send;
}

// --- escalation -------------------------------------------------------------------------

export interface EscalationFacts {
  severity: Severity;
  raisedAtMs: number;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  escalatedAt: string | null;
}

/** Alerts raised at or before this instant are overdue (when the other conditions hold). */
export function escalationCutoffMs(nowMs: number, escalateAfterMinutes: number): number {
  return nowMs - escalateAfterMinutes * 60_000;
}

/**
 * An alert is escalated once: still unacknowledged and unresolved, not escalated yet,
 * and raised at least N minutes ago. Informative alerts are never escalated: nobody is
 * expected to act on them.
 */
export function isDueForEscalation(
  alert: EscalationFacts,
  nowMs: number,
  escalateAfterMinutes: number,
): boolean {
  return (
    alert.severity !== 'info' &&
    alert.acknowledgedAt === null &&
    alert.resolvedAt === null &&
    alert.escalatedAt === null &&
    alert.raisedAtMs <= escalationCutoffMs(nowMs, escalateAfterMinutes)
  );
}

// --- retries ----------------------------------------------------------------------------

/** A message is tried this many times in all, then kept as failed. */
export const MAX_SEND_ATTEMPTS = 5;
const FIRST_RETRY_MS = 60_000;
const LONGEST_WAIT_MS = 15 * 60_000;

/**
 * How long after attempt number `attempts` (1 = the first) the next one may start:
 * 1, 2, 4, 8 minutes (at most 15). Also how long a claimed message belongs to the run
 * that claimed it: a run that died mid-send leaves it to be retried after this wait.
 */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), LONGEST_WAIT_MS);
}

export type NotificationStatus = 'sent' | 'failed' | 'quiet' | 'gone';

/**
 * Where a recorded message stands: `settled` (sent, held by quiet hours, the subscription
 * gone, or failed for the last time), `retry` (failed and its wait is over), or `waiting`
 * (failed, or being sent by another run, and not yet due).
 */
export function retryState(
  row: { status: NotificationStatus; attempts: number; atMs: number },
  nowMs: number,
): 'settled' | 'retry' | 'waiting' {
  if (row.status !== 'failed') return 'settled';
  if (row.attempts >= MAX_SEND_ATTEMPTS) return 'settled';
  return nowMs >= row.atMs + retryDelayMs(row.attempts) ? 'retry' : 'waiting';
}
