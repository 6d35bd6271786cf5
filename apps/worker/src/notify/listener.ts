import pg from 'pg';
import { ALERT_FEED_CHANNEL, parseFeedNotification } from '@anh/db/alert-feed';
import type { Logger } from '../log';

/**
 * LISTENs on the alert feed's channel (one connection per worker process, platform
 * role: NOTIFY reaches every listener of the database) and hands each tenant that wrote
 * an event to `onTenant`. A NOTIFY is a hint, not a record: if the connection drops, it
 * reconnects with backoff and calls `onReconnect` so a sweep catches what was missed.
 */
export interface AlertFeedListener {
  /** Resolves once the first LISTEN is in place. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function startAlertFeedListener(options: {
  url: string;
  log: Logger;
  onTenant: (tenantId: string) => Promise<void>;
  onReconnect?: () => Promise<void>;
  /** First reconnection delay (doubles up to 30 s). */
  retryMs?: number;
}): AlertFeedListener {
  const { log } = options;
  let client: pg.Client | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = options.retryMs ?? 1000;
  let connectedOnce = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const hand = (tenantId: string) =>
    options
      .onTenant(tenantId)
      .catch((error: unknown) => log.warn('could not wake the notify job', { tenantId, error }));

  async function connect(): Promise<void> {
    const next = new pg.Client({
      connectionString: options.url,
      application_name: 'anh-worker:feed',
    });
    // Each connection fails once: its 'error' and 'end' both lead here.
    let failed = false;
    const fail = (error?: unknown) => {
      if (failed) return;
      failed = true;
      if (error) log.warn('alert feed listener lost its connection', { error });
      if (client === next) client = null;
      void next.end().catch(() => undefined);
      scheduleReconnect();
    };
    next.on('notification', (message) => {
      if (message.channel !== ALERT_FEED_CHANNEL) return;
      const parsed = parseFeedNotification(message.payload);
      if (parsed) void hand(parsed.tenantId);
    });
    next.on('error', fail);
    next.on('end', () => fail());
    try {
      await next.connect();
      await next.query(`LISTEN ${ALERT_FEED_CHANNEL}`);
    } catch (error) {
      fail(error);
      return;
    }
    if (closed || failed) {
      failed = true;
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    delay = options.retryMs ?? 1000;
    if (connectedOnce) {
      log.info('alert feed listener reconnected');
      await options
        .onReconnect?.()
        .catch((error: unknown) => log.warn('could not queue the catch-up sweep', { error }));
    }
    connectedOnce = true;
    markReady();
  }

  function scheduleReconnect(): void {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    delay = Math.min(delay * 2, 30_000);
  }

  void connect();
  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      const current = client;
      client = null;
      await current?.end().catch(() => undefined);
    },
  };
}
