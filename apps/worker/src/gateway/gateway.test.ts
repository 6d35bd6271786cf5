import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { raiseAlert, resolveAlert } from '@anh/db/reports';
import { seedField, seedTenant } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { signLiveToken } from '@anh/domain/live-token';
import { createLogger } from '../log';
import { startGateway, type Gateway, type LiveAlertEvent, type SubscribeReply } from './gateway';

/**
 * Two gateways on one Redis, phones (socket.io clients) on either: each feed event reaches
 * every socket that follows it exactly once, never another company's, and a phone that
 * was away catches up from its last seq.
 */
const testDb = useTestDatabase();
const SECRET = randomBytes(32).toString('base64url');
const prefix = `anh-test-${randomBytes(4).toString('hex')}`;
const log = createLogger('error', {}, () => undefined);
const redisConnections: Redis[] = [];
const gateways: Gateway[] = [];
const sockets: Socket[] = [];
let acme: Tenant;
let rival: Tenant;
let siteA: string;
let siteB: string;
let pointA: string;
const NOW = Date.UTC(2026, 10, 27, 15);

function redis(): Redis {
  const r = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  redisConnections.push(r);
  return r;
}

async function gateway(): Promise<Gateway> {
  const pub = redis();
  const g = await startGateway({
    db: testDb().db,
    pub,
    sub: redis(),
    redis: pub,
    secret: SECRET,
    host: '127.0.0.1',
    port: 0,
    allowedOrigins: ['http://127.0.0.1'],
    prefix,
    log,
  });
  gateways.push(g);
  return g;
}

interface Phone {
  socket: Socket;
  seen: LiveAlertEvent[];
  subscribe(request: { sites?: string[]; lastSeq?: number }): Promise<SubscribeReply>;
}

async function phone(g: Gateway, tenantId: string, token?: string): Promise<Phone> {
  const socket = connect(`http://127.0.0.1:${g.port}`, {
    path: '/live',
    transports: ['websocket'],
    reconnection: false,
    auth: {
      token:
        token ??
        signLiveToken(SECRET, {
          userId: randomUUID(),
          tenantId,
          role: 'operator',
          nowMs: Date.now(),
        }).token,
    },
  });
  sockets.push(socket);
  const seen: LiveAlertEvent[] = [];
  socket.on('alert', (event: LiveAlertEvent) => seen.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(error));
  });
  return {
    socket,
    seen,
    subscribe: (request) =>
      socket.timeout(10_000).emitWithAck('subscribe', request) as Promise<SubscribeReply>,
  };
}

const raise = (tenantId: string, subject: string, data: Record<string, unknown>) =>
  testDb().db.withTenantClient(tenantId, (client) =>
    raiseAlert(client, {
      kind: 'test.live',
      subject,
      severity: 'warning',
      audience: ['operator'],
      message: `alerta ${subject}`,
      data,
      nowMs: NOW,
    }),
  );

/** What a phone shows: each seq once (the client drops repeats), in seq order. */
const subjects = (p: Phone) =>
  [...new Map(p.seen.map((e) => [e.seq, e])).values()]
    .sort((x, y) => x.seq - y.seq)
    .map((e) => `${e.alert.subject}:${e.event}`);

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  const a = await seedField(db, acme.id, { siteCode: 'EST-A', wells: 1 });
  const b = await seedField(db, acme.id, { siteCode: 'EST-B', wells: 1 });
  await seedField(db, rival.id, { siteCode: 'EST-R', wells: 1 });
  siteA = a.siteId;
  siteB = b.siteId;
  pointA = a.pointIds[0]!;
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  for (const g of gateways) await g.close();
  for (const r of redisConnections) await r.quit();
});

describe('live-alert gateway', () => {
  it('refuses a connection without a valid token', async () => {
    const g = await gateway();
    const forged = signLiveToken('x'.repeat(40), {
      userId: randomUUID(),
      tenantId: acme.id,
      role: 'admin',
      nowMs: Date.now(),
    }).token;
    await expect(phone(g, acme.id, forged)).rejects.toThrow(/invalid live token/);
    const expired = signLiveToken(SECRET, {
      userId: randomUUID(),
      tenantId: acme.id,
      role: 'admin',
      nowMs: Date.now() - 120_000,
    }).token;
    await expect(phone(g, acme.id, expired)).rejects.toThrow(/expired/);
    const ok = await phone(g, acme.id);
    expect(await ok.subscribe({ sites: ['not-a-uuid'] })).toEqual({
      ok: false,
      error: 'invalid subscribe request',
    });
    ok.socket.disconnect();
  });

  it('relays each event once to the sockets that follow it, on either gateway, never across companies', async () => {
    const g1 = gateways[0] ?? (await gateway());
    const g2 = await gateway();
    const whole = await phone(g1, acme.id); // the whole company, on gateway 1
    const onlyA = await phone(g2, acme.id); // site A (and alerts about no site), on gateway 2
    const wholeToo = await phone(g2, acme.id); // the whole company, on gateway 2
    const other = await phone(g1, rival.id);
    const start = await whole.subscribe({});
    if (!start.ok) throw new Error(start.error);
    expect(await onlyA.subscribe({ sites: [siteA] })).toMatchObject({ ok: true, caughtUp: 0 });
    expect(await wholeToo.subscribe({})).toMatchObject({ ok: true });
    expect(await other.subscribe({})).toMatchObject({ ok: true });

    await raise(acme.id, 'pozo-a', { pointId: pointA });
    await raise(acme.id, 'estacion-b', { siteId: siteB });
    await raise(acme.id, 'entrega', { day: '2026-11-26' });
    await raise(rival.id, 'rival', { site: 'EST-R' });
    await testDb().db.withTenantClient(acme.id, (c) =>
      resolveAlert(c, 'test.live', 'pozo-a', NOW + 60_000),
    );

    const everything = ['pozo-a:raised', 'estacion-b:raised', 'entrega:raised', 'pozo-a:resolved'];
    await expect.poll(() => subjects(whole), { timeout: 10_000 }).toEqual(everything);
    await expect.poll(() => subjects(wholeToo), { timeout: 10_000 }).toEqual(everything);
    await expect
      .poll(() => subjects(onlyA), { timeout: 10_000 })
      .toEqual(['pozo-a:raised', 'entrega:raised', 'pozo-a:resolved']);
    await expect.poll(() => subjects(other), { timeout: 10_000 }).toEqual(['rival:raised']);
    // Nothing late or doubled: wait a little longer and count again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(whole.seen).toHaveLength(4);
    expect(onlyA.seen).toHaveLength(3);
    expect(other.seen).toHaveLength(1);
    expect(whole.seen.every((e) => e.tenantId === acme.id)).toBe(true);
    // Relays from two gateways may arrive in either order: look the event up by subject.
    expect(whole.seen.find((e) => e.alert.subject === 'pozo-a')!.alert.siteId).toBe(siteA);
    // Each event was sent by one gateway only (the other saw the claim).
    expect(gateways.reduce((n, g) => n + g.stats.relayed, 0)).toBe(5);
    expect(Math.min(...whole.seen.map((e) => e.seq))).toBeGreaterThan(start.lastSeq);
    for (const p of [whole, onlyA, wholeToo, other]) p.socket.disconnect();
  });

  it('a phone that was away gets what it missed, in order, then live events', async () => {
    const g = gateways[1] ?? (await gateway());
    const first = await phone(g, acme.id);
    const { lastSeq } = (await first.subscribe({ sites: [siteA] })) as { lastSeq: number };
    first.socket.disconnect();

    await raise(acme.id, 'mientras-a', { pointId: pointA });
    await raise(acme.id, 'mientras-b', { siteId: siteB }); // not its site
    await raise(acme.id, 'mientras-general', { day: '2026-11-27' });

    const back = await phone(g, acme.id);
    expect(await back.subscribe({ sites: [siteA], lastSeq })).toMatchObject({
      ok: true,
      caughtUp: 2,
    });
    // Caught up (some may also arrive relayed, a moment late: shown once).
    await expect
      .poll(() => subjects(back), { timeout: 10_000 })
      .toEqual(['mientras-a:raised', 'mientras-general:raised']);
    await raise(acme.id, 'despues', { pointId: pointA });
    await expect
      .poll(() => subjects(back), { timeout: 10_000 })
      .toEqual(['mientras-a:raised', 'mientras-general:raised', 'despues:raised']);
    back.socket.disconnect();
  });
});
