import type pg from 'pg';
import { tenantIdOfSchema } from './names';

/**
 * The alert feed (tenant table `alert_feed`, written by a trigger on `alerts`, migration
 * 0012): every alert raised, escalated, acknowledged or resolved, in order, with a NOTIFY
 * on ALERT_FEED_CHANNEL carrying `<tenant schema>:<seq>` at commit.
 */
export const ALERT_FEED_CHANNEL = 'anh_alert_feed';

export type AlertFeedEventKind = 'raised' | 'escalated' | 'acknowledged' | 'resolved';

export interface AlertFeedEvent {
  seq: number;
  event: AlertFeedEventKind;
  at: string;
  alert: {
    id: string;
    kind: string;
    subject: string;
    severity: 'info' | 'warning' | 'critical';
    audience: string[];
    message: string;
    siteId: string | null;
    raisedAt: string;
    acknowledgedAt: string | null;
    acknowledgeComment: string | null;
    resolvedAt: string | null;
    occurrences: number;
  };
}

/** `<schema>:<seq>` → tenant id and seq; null for anything else (never trusted blindly). */
export function parseFeedNotification(
  payload: string | undefined,
): { tenantId: string; seq: number } | null {
  const match = /^(t_[0-9a-f]{32}):(\d{1,15})$/.exec(payload ?? '');
  if (!match) return null;
  const tenantId = tenantIdOfSchema(match[1]!);
  return tenantId ? { tenantId, seq: Number(match[2]) } : null;
}

/**
 * Events after `afterSeq` (exclusive), oldest first, at most `limit`; each with the alert
 * as it is NOW (a raised event read late shows the alert already acknowledged, if it is).
 * Through a tenant-scoped client.
 */
export async function readAlertFeed(
  client: pg.ClientBase,
  afterSeq: number,
  limit = 500,
): Promise<AlertFeedEvent[]> {
  const { rows } = await client.query<{
    seq: string;
    event: AlertFeedEventKind;
    at: Date;
    id: string;
    kind: string;
    subject: string;
    severity: 'info' | 'warning' | 'critical';
    audience: string[];
    message: string;
    site_id: string | null;
    raised_at: Date;
    acknowledged_at: Date | null;
    acknowledge_comment: string | null;
    resolved_at: Date | null;
    occurrences: number;
  }>(
    `SELECT f.seq, f.event, f.at, a.id, a.kind, a.subject, a.severity, a.audience, a.message,
            a.site_id, a.raised_at, a.acknowledged_at, a.acknowledge_comment, a.resolved_at,
            a.occurrences
       FROM alert_feed f JOIN alerts a ON a.id = f.alert_id
      WHERE f.seq > $1
      ORDER BY f.seq
      LIMIT $2`,
    [afterSeq, limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    event: r.event,
    at: r.at.toISOString(),
    alert: {
      id: r.id,
      kind: r.kind,
      subject: r.subject,
      severity: r.severity,
      audience: r.audience,
      message: r.message,
      siteId: r.site_id,
      raisedAt: r.raised_at.toISOString(),
      acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
      acknowledgeComment: r.acknowledge_comment,
      resolvedAt: r.resolved_at?.toISOString() ?? null,
      occurrences: r.occurrences,
    },
  }));
}

/** The newest seq (0 when the feed is empty): where a new listener starts. */
export async function lastAlertFeedSeq(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ seq: string | null }>(
    'SELECT max(seq) AS seq FROM alert_feed',
  );
  return Number(rows[0]?.seq ?? 0);
}
