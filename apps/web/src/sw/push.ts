/**
 * What a Web Push message carries (the server side sends `{title, body, url, tag,
 * severity}` as JSON) and the notification the service worker shows for it. Pure, so the
 * rules are tested without a browser; anything malformed still shows something sensible
 * rather than nothing (a silent push is what browsers penalise).
 */
export type Severity = 'critical' | 'warning' | 'info';

export interface PushPayload {
  title: string;
  body: string;
  /** Where a tap on the notification leads: a path of this app (never another origin). */
  url: string;
  tag: string | null;
  severity: Severity;
}

const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];
const MAX_TITLE = 120;
const MAX_BODY = 500;

function str(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null;
}

/** Only a same-origin path is followed; anything else opens the app's start page. */
export function safePath(url: unknown, origin: string): string {
  if (typeof url !== 'string' || url === '') return '/';
  try {
    const parsed = new URL(url, origin);
    return parsed.origin === origin ? `${parsed.pathname}${parsed.search}${parsed.hash}` : '/';
  } catch {
    return '/';
  }
}

/** The message's JSON (already parsed, or text that should be JSON) → a payload to show. */
export function parsePushPayload(data: unknown, origin: string): PushPayload {
  let value = data;
  if (typeof data === 'string') {
    try {
      value = JSON.parse(data) as unknown;
    } catch {
      value = { body: data };
    }
  }
  const record = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const severity = SEVERITIES.includes(record.severity as Severity)
    ? (record.severity as Severity)
    : 'info';
  return {
    title: str(record.title, MAX_TITLE) ?? 'ANH Smart Reporter',
    body: str(record.body, MAX_BODY) ?? '',
    url: safePath(record.url, origin),
    tag: str(record.tag, 200),
    severity,
  };
}

/** Options for `registration.showNotification` (critical ones stay until touched). */
export function notificationOptions(payload: PushPayload) {
  return {
    body: payload.body,
    icon: '/icons/icon-192.png',
    badge: '/icons/badge-96.png',
    // A tag replaces the earlier notification of the same alert instead of stacking;
    // renotify makes the phone ring again for the update.
    ...(payload.tag ? { tag: payload.tag, renotify: true } : {}),
    requireInteraction: payload.severity === 'critical',
    data: { url: payload.url, severity: payload.severity },
  };
}
