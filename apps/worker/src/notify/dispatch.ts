import type { Database } from '@anh/db';
import { readAlertFeed, type AlertFeedEvent } from '@anh/db/alert-feed';
import {
  advanceFeedCursor,
  claimNotification,
  claimRetry,
  countPushFailure,
  currentMemberRoles,
  deleteGonePushSubscription,
  escalateAfterMinutes,
  holdBackFailed,
  listNotifyRecipients,
  listPushSubscriptions,
  markPushSuccess,
  notificationsOfAlert,
  readFeedCursor,
  recordNotificationOutcome,
  tenantIdentity,
  type NotificationKey,
  type NotificationRow,
  type PushSubscriptionRow,
  type RecipientRow,
  type SendOutcome,
} from '@anh/db/notifications';
import {
  MAX_SEND_ATTEMPTS,
  NOTIFYING_EVENTS,
  alertsLink,
  decideForPush,
  decideForRecipient,
  emailText,
  pushPayload,
  retryDelayMs,
  retryState,
  smsText,
  type Decision,
  type NotifyChannel,
  type TextContext,
} from '@anh/domain/notify';
import type { Logger } from '../log';
import type { NotifyContext, SendResult } from './channels';

/**
 * The notify job for one tenant: walks `alert_feed` from its cursor and sends what the
 * rules (@anh/domain/notify) decide, by e-mail, SMS and Web Push.
 *
 * Exactly once, as far as a network allows: every message is first claimed by inserting
 * its row (unique per alert, event, channel and recipient) in its own committed
 * transaction, and only the run that inserted it sends. A failed message is retried by
 * later runs after 1, 2, 4, 8 minutes, then kept as failed. The cursor moves only past
 * events whose every message is settled, so an event waiting for a retry is read again;
 * events after it are still sent on time (their claims make re-reading harmless).
 */
export interface NotifyOutcome {
  events: number;
  sent: number;
  failed: number;
  quiet: number;
  gone: number;
  cursor: number;
  /** When a message waiting for a retry becomes due (epoch ms), if any. */
  nextRetryAtMs: number | null;
}

const PAGE = 200;
/** Messages of one event sent at once (a slow SMTP server does not hold the others). */
const PARALLEL = 4;

interface Target {
  key: NotificationKey;
  decision: Decision;
  send: () => Promise<SendResult>;
  /** After the attempt: what the channel learnt about the address. */
  after?: (result: SendResult) => Promise<void>;
}

async function mapLimit<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  // Thunks run by a fixed number of lanes: no promise is created before it is awaited.
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

export async function runNotify(
  db: Database,
  tenantId: string,
  options: { notify: NotifyContext; nowMs: () => number; log: Logger },
): Promise<NotifyOutcome> {
  const { channels } = options.notify;
  const log = options.log.child({ tenantId });
  const outcome: NotifyOutcome = {
    events: 0,
    sent: 0,
    failed: 0,
    quiet: 0,
    gone: 0,
    cursor: 0,
    nextRetryAtMs: null,
  };
  const identity = await tenantIdentity(db, tenantId);
  if (!identity) return outcome;
  const setup = await db.withTenantClient(tenantId, async (client) => ({
    cursor: await readFeedCursor(client),
    recipients: await listNotifyRecipients(client),
    subscriptions: channels.push ? await listPushSubscriptions(client) : [],
    escalateAfterMinutes: await escalateAfterMinutes(client),
  }));
  outcome.cursor = setup.cursor;
  const recipients = setup.recipients.filter((r) => channels[r.channel] !== null);
  const roles = channels.push ? await currentMemberRoles(db, tenantId) : new Map<string, string>();
  const link = alertsLink(options.notify.appUrl, identity.slug);

  const withClient = <T>(work: Parameters<typeof db.withTenantClient<T>>[1]) =>
    db.withTenantClient(tenantId, work);

  /** Records a send's result; true when the message needs nothing more. */
  async function record(
    target: Target,
    id: string,
    attempts: number,
    result: SendResult,
  ): Promise<boolean> {
    const recorded: SendOutcome = result.ok
      ? { status: 'sent', providerId: result.providerId }
      : result.gone
        ? { status: 'gone', error: result.error }
        : { status: 'failed', error: result.error };
    const at = options.nowMs();
    await withClient((client) => recordNotificationOutcome(client, id, recorded, at));
    outcome[recorded.status === 'sent' ? 'sent' : recorded.status === 'gone' ? 'gone' : 'failed']++;
    if (recorded.status === 'failed') {
      // Ids only: addresses are personal data, and errors are already secret-free.
      log.warn('notification not sent', {
        alertId: target.key.alertId,
        channel: target.key.channel,
        recipientId: target.key.recipientId,
        attempts,
        error: recorded.error,
      });
      if (attempts < MAX_SEND_ATTEMPTS) noteRetry(at + retryDelayMs(attempts));
      return attempts >= MAX_SEND_ATTEMPTS;
    }
    return true;
  }

  function noteRetry(atMs: number) {
    outcome.nextRetryAtMs =
      outcome.nextRetryAtMs === null ? atMs : Math.min(outcome.nextRetryAtMs, atMs);
  }

  /** One message: claim, send, record. Returns whether it is settled. */
  async function handle(target: Target, existing: NotificationRow | undefined): Promise<boolean> {
    const { decision } = target;
    if (decision.action === 'skip') return true;
    const now = options.nowMs();
    if (!existing) {
      if (decision.action === 'quiet') {
        const id = await withClient((c) => claimNotification(c, target.key, 'quiet', now));
        if (id) outcome.quiet++;
        return id !== null;
      }
      const id = await withClient((c) => claimNotification(c, target.key, 'sending', now));
      // Another run holds it: settled when that run records it (we read it again later).
      if (!id) return false;
      const result = await target.send();
      await target.after?.(result);
      return record(target, id, 1, result);
    }
    const state = retryState(existing, now);
    if (state === 'settled') return true;
    if (state === 'waiting') {
      noteRetry(existing.atMs + retryDelayMs(existing.attempts));
      return false;
    }
    if (decision.action === 'quiet') {
      if (await withClient((c) => holdBackFailed(c, existing, now))) outcome.quiet++;
      return true;
    }
    if (!(await withClient((c) => claimRetry(c, existing, now)))) return false;
    const result = await target.send();
    await target.after?.(result);
    return record(target, existing.id, existing.attempts + 1, result);
  }

  function targetsOf(event: AlertFeedEvent, rows: NotificationRow[]): Target[] {
    if (event.event !== 'raised' && event.event !== 'escalated') return [];
    const kind = event.event;
    const toldOfRaise = (channel: NotifyChannel, recipientId: string) =>
      rows.some(
        (r) =>
          r.event === 'raised' &&
          r.channel === channel &&
          r.recipientId === recipientId &&
          r.status === 'sent',
      );
    const text: TextContext = {
      event: kind,
      alert: event.alert,
      tenantName: identity!.legalName,
      link,
      escalateAfterMinutes: setup.escalateAfterMinutes,
    };
    const key = (channel: NotifyChannel, recipientId: string): NotificationKey => ({
      alertId: event.alert.id,
      event: kind,
      channel,
      recipientId,
    });
    const byRecipient = recipients.map((r: RecipientRow): Target => ({
      key: key(r.channel, r.id),
      decision: decideForRecipient({
        event: kind,
        alert: event.alert,
        recipient: r,
        nowMs: options.nowMs(),
        toldOfRaise: toldOfRaise(r.channel, r.id),
      }),
      send: () =>
        r.channel === 'email'
          ? channels.email!.send(r.address, emailText(text))
          : channels.sms!.send(r.address, smsText(text)),
    }));
    const byPush = setup.subscriptions.map((s: PushSubscriptionRow): Target => {
      // The member's role now; someone who left the company hears nothing more.
      const role = roles.get(s.userId);
      return {
        key: key('push', s.id),
        decision: role
          ? decideForPush({
              event: kind,
              alert: event.alert,
              role,
              toldOfRaise: toldOfRaise('push', s.id),
            })
          : { action: 'skip', reason: 'role' },
        send: () =>
          channels.push!.send(s, pushPayload(text), {
            severity: event.alert.severity,
            topic: event.alert.id.replaceAll('-', ''),
          }),
        after: (result) =>
          withClient(async (client) => {
            if (result.ok) await markPushSuccess(client, s.id, options.nowMs());
            else if (result.gone) await deleteGonePushSubscription(client, s.id);
            else await countPushFailure(client, s.id);
          }),
      };
    });
    return [...byRecipient, ...byPush];
  }

  let after = setup.cursor;
  let settledUpTo = setup.cursor;
  let blocked = false;
  for (;;) {
    const events = await withClient((client) => readAlertFeed(client, after, PAGE));
    if (events.length === 0) break;
    for (const event of events) {
      outcome.events++;
      let settled = true;
      if (NOTIFYING_EVENTS.includes(event.event)) {
        const rows = await withClient((client) => notificationsOfAlert(client, event.alert.id));
        const mine = (k: NotificationKey) =>
          rows.find(
            (r) =>
              r.event === k.event && r.channel === k.channel && r.recipientId === k.recipientId,
          );
        const results = await mapLimit(targetsOf(event, rows), PARALLEL, (target) =>
          handle(target, mine(target.key)).catch((error: unknown) => {
            // A database hiccup on one message: left unsettled, retried by the next run.
            log.error('notification step failed', { alertId: event.alert.id, error });
            return false;
          }),
        );
        settled = results.every(Boolean);
      }
      if (!settled) blocked = true;
      if (!blocked) settledUpTo = event.seq;
    }
    after = events[events.length - 1]!.seq;
    if (events.length < PAGE) break;
  }
  if (settledUpTo > setup.cursor) {
    await withClient((client) => advanceFeedCursor(client, settledUpTo));
    outcome.cursor = settledUpTo;
  }
  return outcome;
}
