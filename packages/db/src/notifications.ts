import { and, eq, isNull, sql } from 'drizzle-orm';
import type pg from 'pg';
import { AppError, validationError } from '@anh/domain/errors';
import {
  escalationCutoffMs,
  notificationSettingsSchema,
  pushSubscriptionSchema,
  type NotificationSettings,
  type NotificationStatus,
  type NotifyChannel,
  type Severity,
} from '@anh/domain/notify';
import type { MemberRole } from '@anh/domain/tenancy';
import { appendTenantAudit } from './audit-store';
import type { Database, TenantTx } from './client';
import { memberships, tenants, users } from './schema/control';
import { notificationSettings, pushSubscriptions } from './schema/tenant';

/**
 * The notification dispatcher's storage (tenant tables of migration 0012): recipients and
 * push subscriptions, the `notifications` log whose unique key (alert, event, channel,
 * recipient) makes every message a one-time claim, the dispatcher's cursor over
 * `alert_feed`, escalation, and the tenant's settings. Worker functions take the raw
 * client of `withTenantClient`; web functions the `TenantTx` of `withTenant`. Both are
 * tenant-scoped: nothing here can name another tenant's schema.
 */

/** The dispatcher's cursor over alert_feed in `feed_cursors`. */
export const NOTIFY_CURSOR = 'notify';

/**
 * A claimed message being sent is stored as `failed` with this error until its outcome is
 * recorded (the status CHECK has no "sending"): if the run dies mid-send, the row reads
 * as a failure and is retried once its wait is over (at-least-once, never lost).
 */
export const IN_FLIGHT = 'sending: no outcome recorded yet';

// --- recipients and subscriptions -----------------------------------------------------

export interface RecipientRow {
  id: string;
  name: string;
  channel: 'email' | 'sms';
  address: string;
  minSeverity: Severity;
  quietFromHour: number | null;
  quietToHour: number | null;
  enabled: boolean;
  roles: string[];
  escalationOnly: boolean;
}

/** Every recipient (the rules skip disabled ones, so a decision can say why). */
export async function listNotifyRecipients(client: pg.ClientBase): Promise<RecipientRow[]> {
  const { rows } = await client.query<RecipientRow>(
    `SELECT id, name, channel, address, min_severity AS "minSeverity",
            quiet_from_hour AS "quietFromHour", quiet_to_hour AS "quietToHour", enabled, roles,
            escalation_only AS "escalationOnly"
       FROM alert_recipients ORDER BY created_at, id`,
  );
  return rows;
}

export interface PushSubscriptionRow {
  id: string;
  userId: string;
  role: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  failures: number;
}

/** Subscriptions whose stored role is one of `roles` (all when `roles` is omitted). */
export async function listPushSubscriptions(
  client: pg.ClientBase,
  roles?: readonly string[],
): Promise<PushSubscriptionRow[]> {
  const { rows } = await client.query<PushSubscriptionRow>(
    `SELECT id, user_id AS "userId", role, endpoint, p256dh, auth, failures
       FROM push_subscriptions
      WHERE $1::text[] IS NULL OR role = ANY($1::text[])
      ORDER BY created_at, id`,
    [roles ?? null],
  );
  return rows;
}

/**
 * The tenant's members now, user id → role (control schema, platform connection): a push
 * subscription is sent with its owner's current role, and not at all once the person has
 * left the company or was disabled.
 */
export async function currentMemberRoles(
  db: Database,
  tenantId: string,
): Promise<Map<string, MemberRole>> {
  const rows = await db.control
    .select({ userId: memberships.userId, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.tenantId, tenantId), isNull(users.disabledAt)));
  return new Map(rows.map((r) => [r.userId, r.role]));
}

/** The company's name and slug, for texts and links. */
export async function tenantIdentity(
  db: Database,
  tenantId: string,
): Promise<{ slug: string; legalName: string } | null> {
  const [row] = await db.control
    .select({ slug: tenants.slug, legalName: tenants.legalName })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  return row ?? null;
}

/** A push subscription answered: its failures are forgotten. */
export async function markPushSuccess(
  client: pg.ClientBase,
  id: string,
  nowMs: number,
): Promise<void> {
  await client.query(
    `UPDATE push_subscriptions SET last_success_at = $2, failures = 0 WHERE id = $1`,
    [id, new Date(nowMs).toISOString()],
  );
}

/** A push service refused or did not answer: counted (the count shows a dying device). */
export async function countPushFailure(client: pg.ClientBase, id: string): Promise<number> {
  const { rows } = await client.query<{ failures: number }>(
    `UPDATE push_subscriptions SET failures = failures + 1 WHERE id = $1 RETURNING failures`,
    [id],
  );
  return rows[0]?.failures ?? 0;
}

/** The push service says the subscription is gone (404/410): it is deleted. */
export async function deleteGonePushSubscription(client: pg.ClientBase, id: string): Promise<void> {
  await client.query(`DELETE FROM push_subscriptions WHERE id = $1`, [id]);
}

// --- push subscriptions from the web app (TenantTx) --------------------------------------

export interface SavePushSubscriptionInput {
  userId: string;
  role: MemberRole;
  subscription: unknown;
  userAgent: string | null;
}

/**
 * Saves a browser's subscription for the signed-in member (upsert by endpoint: a browser
 * re-subscribing, or another person signing in on the same phone, takes it over).
 */
export async function savePushSubscription(
  tx: TenantTx,
  input: SavePushSubscriptionInput,
): Promise<{ id: string }> {
  const parsed = pushSubscriptionSchema.safeParse(input.subscription);
  if (!parsed.success) throw validationError('Push subscription', parsed.error.issues);
  const { endpoint, keys } = parsed.data;
  const values = {
    userId: input.userId,
    role: input.role,
    endpoint,
    p256dh: keys.p256dh,
    auth: keys.auth,
    userAgent: input.userAgent?.slice(0, 400) ?? null,
  };
  const [row] = await tx
    .insert(pushSubscriptions)
    .values(values)
    .onConflictDoUpdate({
      target: pushSubscriptions.endpoint,
      set: { ...values, failures: 0, createdAt: sql`now()` },
    })
    .returning({ id: pushSubscriptions.id });
  return { id: row!.id };
}

/** Removes the member's own subscription for `endpoint`; true when there was one. */
export async function deletePushSubscription(
  tx: TenantTx,
  userId: string,
  endpoint: string,
): Promise<boolean> {
  const removed = await tx
    .delete(pushSubscriptions)
    .where(and(eq(pushSubscriptions.endpoint, endpoint), eq(pushSubscriptions.userId, userId)))
    .returning({ id: pushSubscriptions.id });
  return removed.length > 0;
}

// --- the notification log: one claim per message -----------------------------------------

export interface NotificationKey {
  alertId: string;
  event: 'raised' | 'escalated';
  channel: NotifyChannel;
  recipientId: string;
}

export interface NotificationRow extends NotificationKey {
  id: string;
  status: NotificationStatus;
  attempts: number;
  atMs: number;
  error: string | null;
}

/** Every message recorded about one alert (all events, channels and recipients). */
export async function notificationsOfAlert(
  client: pg.ClientBase,
  alertId: string,
): Promise<NotificationRow[]> {
  const { rows } = await client.query<Omit<NotificationRow, 'atMs'> & { at: Date }>(
    `SELECT id, alert_id AS "alertId", event, channel, recipient_id AS "recipientId", status,
            attempts, at, error
       FROM notifications WHERE alert_id = $1`,
    [alertId],
  );
  return rows.map(({ at, ...row }) => ({ ...row, atMs: at.getTime() }));
}

/**
 * Claims one message: inserts its row unless one exists (INSERT … ON CONFLICT DO NOTHING).
 * Only the caller that gets an id back may send it; `quiet` records a message held back.
 * Commit it (its own transaction) before sending, so a concurrent run sees the claim.
 */
export async function claimNotification(
  client: pg.ClientBase,
  key: NotificationKey,
  as: 'sending' | 'quiet',
  nowMs: number,
): Promise<string | null> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO notifications (alert_id, event, channel, recipient_id, status, attempts, error, at)
     VALUES ($1, $2, $3, $4, $5, 1, $6, $7)
     ON CONFLICT ON CONSTRAINT notifications_once_key DO NOTHING
     RETURNING id`,
    [
      key.alertId,
      key.event,
      key.channel,
      key.recipientId,
      as === 'quiet' ? 'quiet' : 'failed',
      as === 'quiet' ? null : IN_FLIGHT,
      new Date(nowMs).toISOString(),
    ],
  );
  return rows[0]?.id ?? null;
}

/**
 * Claims the next attempt of a failed message: only if it is still as the caller saw it
 * (same attempts, same time), so of two runs that both saw it due, one sends.
 */
export async function claimRetry(
  client: pg.ClientBase,
  row: Pick<NotificationRow, 'id' | 'attempts' | 'atMs'>,
  nowMs: number,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE notifications SET attempts = attempts + 1, error = $4, at = $5
      WHERE id = $1 AND status = 'failed' AND attempts = $2 AND at = $3`,
    [
      row.id,
      row.attempts,
      new Date(row.atMs).toISOString(),
      IN_FLIGHT,
      new Date(nowMs).toISOString(),
    ],
  );
  return rowCount === 1;
}

/** A failed message that now falls in quiet hours is held back instead of retried. */
export async function holdBackFailed(
  client: pg.ClientBase,
  row: Pick<NotificationRow, 'id' | 'attempts' | 'atMs'>,
  nowMs: number,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE notifications SET status = 'quiet', error = NULL, at = $4
      WHERE id = $1 AND status = 'failed' AND attempts = $2 AND at = $3`,
    [row.id, row.attempts, new Date(row.atMs).toISOString(), new Date(nowMs).toISOString()],
  );
  return rowCount === 1;
}

export type SendOutcome =
  | { status: 'sent'; providerId: string | null }
  | { status: 'failed'; error: string }
  | { status: 'gone'; error: string };

/** Records what happened to a claimed message (errors kept short: no payloads, no secrets). */
export async function recordNotificationOutcome(
  client: pg.ClientBase,
  id: string,
  outcome: SendOutcome,
  nowMs: number,
): Promise<void> {
  await client.query(
    `UPDATE notifications SET status = $2, error = $3, provider_id = $4, at = $5 WHERE id = $1`,
    [
      id,
      outcome.status,
      outcome.status === 'sent' ? null : outcome.error.slice(0, 500),
      outcome.status === 'sent' ? outcome.providerId : null,
      new Date(nowMs).toISOString(),
    ],
  );
}

// --- the cursor -----------------------------------------------------------------------------

export async function readFeedCursor(client: pg.ClientBase, name = NOTIFY_CURSOR): Promise<number> {
  const { rows } = await client.query<{ last_seq: string }>(
    `SELECT last_seq FROM feed_cursors WHERE name = $1`,
    [name],
  );
  return Number(rows[0]?.last_seq ?? 0);
}

/** Moves the cursor forward to `seq` (never back: two runs may finish in any order). */
export async function advanceFeedCursor(
  client: pg.ClientBase,
  seq: number,
  name = NOTIFY_CURSOR,
): Promise<void> {
  await client.query(
    `INSERT INTO feed_cursors (name, last_seq, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (name) DO UPDATE SET last_seq = greatest(feed_cursors.last_seq, excluded.last_seq),
                                      updated_at = now()`,
    [name, seq],
  );
}

/**
 * Whether the dispatcher has anything to look at: feed events past its cursor (held back
 * by a message still waiting to be retried, or never seen because a wake-up was lost).
 */
export async function notifyWorkPending(
  client: pg.ClientBase,
  name = NOTIFY_CURSOR,
): Promise<boolean> {
  const { rows } = await client.query<{ pending: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM alert_feed
        WHERE seq > coalesce((SELECT last_seq FROM feed_cursors WHERE name = $1), 0)
     ) AS pending`,
    [name],
  );
  return rows[0]?.pending === true;
}

// --- escalation -----------------------------------------------------------------------------

export async function escalateAfterMinutes(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ minutes: number }>(
    `SELECT escalate_after_minutes AS minutes FROM notification_settings WHERE id`,
  );
  return rows[0]?.minutes ?? 30;
}

/**
 * Escalates every overdue alert (isDueForEscalation, in SQL): severity critical and
 * escalated_at set, which makes the feed trigger write the `escalated` event the
 * dispatcher sends. The conditions are in the UPDATE itself, so an acknowledgement
 * committed meanwhile wins and an alert is escalated once.
 */
export async function escalateOverdueAlerts(
  client: pg.ClientBase,
  nowMs: number,
): Promise<{ escalated: string[]; afterMinutes: number }> {
  const afterMinutes = await escalateAfterMinutes(client);
  const { rows } = await client.query<{ id: string }>(
    `UPDATE alerts SET severity = 'critical', escalated_at = $2
      WHERE acknowledged_at IS NULL AND resolved_at IS NULL AND escalated_at IS NULL
        AND severity <> 'info' AND raised_at <= $1
      RETURNING id`,
    [
      new Date(escalationCutoffMs(nowMs, afterMinutes)).toISOString(),
      new Date(nowMs).toISOString(),
    ],
  );
  return { escalated: rows.map((r) => r.id), afterMinutes };
}

// --- settings (web app, audited) -------------------------------------------------------------

export async function getNotificationSettings(tx: TenantTx): Promise<NotificationSettings> {
  const [row] = await tx
    .select({ escalateAfterMinutes: notificationSettings.escalateAfterMinutes })
    .from(notificationSettings);
  return { escalateAfterMinutes: row?.escalateAfterMinutes ?? 30 };
}

/** Saves the tenant's notification settings with its audit entry (before and after). */
export async function saveNotificationSettings(
  tx: TenantTx,
  who: { actor: string },
  input: NotificationSettings,
): Promise<NotificationSettings> {
  const parsed = notificationSettingsSchema.safeParse(input);
  if (!parsed.success) throw validationError('Notification settings', parsed.error.issues);
  const [before] = await tx
    .select({ escalateAfterMinutes: notificationSettings.escalateAfterMinutes })
    .from(notificationSettings)
    .for('update');
  const [after] = await tx
    .insert(notificationSettings)
    .values({ id: true, escalateAfterMinutes: parsed.data.escalateAfterMinutes })
    .onConflictDoUpdate({
      target: notificationSettings.id,
      set: { escalateAfterMinutes: parsed.data.escalateAfterMinutes, updatedAt: sql`now()` },
    })
    .returning({ escalateAfterMinutes: notificationSettings.escalateAfterMinutes });
  if (!after) throw new AppError('INTERNAL', 'notification settings not saved');
  await appendTenantAudit(tx, {
    actor: who.actor,
    action: 'notification_settings.updated',
    entity: 'notification_settings',
    entityId: null,
    data: { before: before ?? null, after },
  });
  return after;
}
