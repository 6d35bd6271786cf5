import { createServer, type Server as HttpServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import type { Database } from '@anh/db';
import {
  ALERT_FEED_CHANNEL,
  lastAlertFeedSeq,
  parseFeedNotification,
  readAlertFeed,
  type AlertFeedEvent,
} from '@anh/db/alert-feed';
import { isAppError } from '@anh/domain/errors';
import { verifyLiveToken, type LiveTokenClaims } from '@anh/domain/live-token';
import type { Logger } from '../log';

/**
 * The live-alert gateway: socket.io for phones and browsers, several gateways at once.
 *
 * - A browser connects with a one-minute token from the web app (`live.connect`), then
 *   subscribes to its whole company or to some sites, giving the last feed seq it saw.
 * - Rooms: `t:<tenant>` (everything), `t:<tenant>:s:<site>` (one site) and
 *   `t:<tenant>:general` (alerts about no site, for those who follow sites).
 * - Alerts come from PostgreSQL: the trigger on `alerts` writes `alert_feed` and NOTIFYs
 *   at commit. Every gateway LISTENs; the first to claim an event in Redis (SET NX) reads
 *   it and emits it to its rooms, and the Redis adapter carries it to the sockets of every
 *   gateway: each event leaves once, whichever gateways are up.
 * - On (re)subscribe, what the socket missed since its last seq is read from the feed and
 *   sent first: a phone that slept or lost coverage misses nothing (the client drops a
 *   seq it has already seen, so an event caught up and relayed at once shows once).
 */
export interface GatewayOptions {
  db: Database;
  /** Two connections of their own: one publishes, one subscribes (the adapter's rule). */
  pub: Redis;
  sub: Redis;
  /** Claims of relayed events (SET NX); may be `pub`. */
  redis: Redis;
  secret: string;
  host: string;
  port: number;
  allowedOrigins: string[];
  /** Key prefix in Redis (the queues' prefix, so two installations never mix). */
  prefix: string;
  log: Logger;
  now?: () => number;
}

export interface Gateway {
  port: number;
  io: Server;
  stats: GatewayStats;
  close(): Promise<void>;
}

export interface GatewayStats {
  connections: number;
  relayed: number;
  caughtUp: number;
  refused: number;
}

interface SocketData {
  claims: LiveTokenClaims;
}

const subscribeSchema = z
  .object({
    /** Follow only these sites (and the alerts about no site); absent or empty: all. */
    sites: z.array(z.uuid()).max(100).optional(),
    /** The last feed seq this client has seen; absent: start from now. */
    lastSeq: z.number().int().min(0).optional(),
  })
  .strict();

export type SubscribeRequest = z.infer<typeof subscribeSchema>;
export type SubscribeReply =
  { ok: true; lastSeq: number; caughtUp: number } | { ok: false; error: string };

/** The event a client receives (`alert`): one feed entry of its company. */
export type LiveAlertEvent = AlertFeedEvent & { tenantId: string };

const CATCH_UP_LIMIT = 500;
const tenantRoom = (tenantId: string) => `t:${tenantId}`;
const siteRoom = (tenantId: string, siteId: string) => `t:${tenantId}:s:${siteId}`;
const generalRoom = (tenantId: string) => `t:${tenantId}:general`;

function roomsOf(tenantId: string, siteId: string | null): string[] {
  return [tenantRoom(tenantId), siteId ? siteRoom(tenantId, siteId) : generalRoom(tenantId)];
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const now = options.now ?? Date.now;
  const { db, log } = options;
  const stats: GatewayStats = { connections: 0, relayed: 0, caughtUp: 0, refused: 0 };
  const http: HttpServer = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  const io = new Server<
    Record<string, never>,
    { alert: (event: LiveAlertEvent) => void },
    Record<string, never>,
    SocketData
  >(http, {
    path: '/live',
    cors: { origin: options.allowedOrigins, credentials: false },
    // Phones on field networks: notice a dead link within ~45 s, not minutes.
    pingInterval: 20_000,
    pingTimeout: 25_000,
    maxHttpBufferSize: 16 * 1024,
    adapter: createAdapter(options.pub, options.sub, { key: `${options.prefix}:live` }),
  });

  io.use((socket, next) => {
    try {
      socket.data.claims = verifyLiveToken(
        options.secret,
        (socket.handshake.auth as { token?: unknown } | undefined)?.token,
        now(),
      );
      next();
    } catch (error) {
      stats.refused++;
      next(new Error(isAppError(error) ? error.message : 'unauthorized'));
    }
  });

  io.on('connection', (socket) => {
    stats.connections++;
    socket.on('disconnect', () => stats.connections--);
    socket.on('subscribe', (raw: unknown, reply: unknown) => {
      const answer = typeof reply === 'function' ? (reply as (r: SubscribeReply) => void) : null;
      const request = subscribeSchema.safeParse(raw ?? {});
      if (!request.success) {
        answer?.({ ok: false, error: 'invalid subscribe request' });
        return;
      }
      subscribe(socket, request.data).then(
        (result) => answer?.(result),
        (error: unknown) => {
          log.warn('live subscribe failed', { error });
          answer?.({ ok: false, error: 'unavailable' });
        },
      );
    });
  });

  async function subscribe(
    socket: Socket<
      Record<string, never>,
      { alert: (event: LiveAlertEvent) => void },
      Record<string, never>,
      SocketData
    >,
    request: SubscribeRequest,
  ): Promise<SubscribeReply> {
    const tenantId = socket.data.claims.tid;
    const sites = request.sites?.length ? new Set(request.sites) : null;
    for (const room of socket.rooms) if (room !== socket.id) await socket.leave(room);
    // Join first, then read what was missed: an event committed in between arrives both
    // ways and the client keeps the first.
    await socket.join(
      sites
        ? [generalRoom(tenantId), ...[...sites].map((s) => siteRoom(tenantId, s))]
        : [tenantRoom(tenantId)],
    );
    if (request.lastSeq === undefined) {
      const lastSeq = await db.withTenantClient(tenantId, lastAlertFeedSeq);
      return { ok: true, lastSeq, caughtUp: 0 };
    }
    let after = request.lastSeq;
    let caughtUp = 0;
    for (;;) {
      const events = await db.withTenantClient(tenantId, (c) =>
        readAlertFeed(c, after, CATCH_UP_LIMIT),
      );
      for (const event of events) {
        if (sites && event.alert.siteId !== null && !sites.has(event.alert.siteId)) continue;
        socket.emit('alert', { ...event, tenantId });
        caughtUp++;
      }
      if (events.length > 0) after = events[events.length - 1]!.seq;
      if (events.length < CATCH_UP_LIMIT) break;
    }
    stats.caughtUp += caughtUp;
    return { ok: true, lastSeq: after, caughtUp };
  }

  // Relay: NOTIFY → claim → read → emit through the adapter.
  const relayQueue = new Map<string, Promise<void>>();
  async function relay(tenantId: string, seq: number): Promise<void> {
    const claimed = await options.redis.set(
      `${options.prefix}:live:relayed:${tenantId}:${seq}`,
      '1',
      'EX',
      300,
      'NX',
    );
    if (claimed !== 'OK') return; // another gateway has it
    const [event] = await db.withTenantClient(tenantId, (c) => readAlertFeed(c, seq - 1, 1));
    if (!event || event.seq !== seq) return;
    io.to(roomsOf(tenantId, event.alert.siteId)).emit('alert', { ...event, tenantId });
    stats.relayed++;
  }

  const listener = startListener(db.config.url, log, (payload) => {
    const parsed = parseFeedNotification(payload);
    if (!parsed) {
      log.warn('live: ignored a notification of unknown shape', { payload });
      return;
    }
    // In commit order per company (PostgreSQL delivers notifications in that order).
    const previous = relayQueue.get(parsed.tenantId) ?? Promise.resolve();
    const next = previous
      .then(() => relay(parsed.tenantId, parsed.seq))
      .catch((error: unknown) =>
        log.warn('live relay failed', { error, tenantId: parsed.tenantId, seq: parsed.seq }),
      )
      .finally(() => {
        if (relayQueue.get(parsed.tenantId) === next) relayQueue.delete(parsed.tenantId);
      });
    relayQueue.set(parsed.tenantId, next);
  });

  await listener.ready;
  http.listen(options.port, options.host);
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  log.info('live gateway listening', { url: `http://${options.host}:${port}/live` });

  return {
    port,
    io: io as unknown as Server,
    stats,
    async close() {
      await listener.close();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
      });
    },
  };
}

/**
 * One LISTEN connection, re-opened with backoff when it drops. Notifications sent while
 * it was down are not replayed here: phones catch up from their last seq when they
 * resubscribe, which the client does on every reconnection.
 */
function startListener(
  url: string,
  log: Logger,
  onNotification: (payload: string | undefined) => void,
): { ready: Promise<void>; close(): Promise<void> } {
  let client: pg.Client | null = null;
  let closed = false;
  let delay = 500;
  let timer: NodeJS.Timeout | null = null;

  const open = async () => {
    const next = new pg.Client({ connectionString: url, application_name: 'anh-live-gateway' });
    next.on('notification', (n) => {
      if (n.channel === ALERT_FEED_CHANNEL) onNotification(n.payload);
    });
    next.on('error', (error) => {
      log.warn('live: LISTEN connection lost', { error });
      retry(next);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${ALERT_FEED_CHANNEL}`);
      if (closed) {
        await next.end();
        return;
      }
      client = next;
      delay = 500;
    } catch (error) {
      log.warn('live: LISTEN connection failed', { error });
      retry(next);
    }
  };
  const retry = (failed: pg.Client) => {
    failed.end().catch(() => undefined);
    if (client === failed) client = null;
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void open();
    }, delay);
    delay = Math.min(delay * 2, 15_000);
  };
  return {
    // The first connection (or its first failure: retries go on in the background).
    ready: open(),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
