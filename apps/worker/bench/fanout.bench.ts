/**
 * `npm run bench -w @anh/worker` (second part): live-alert fan-out. Gateways run as
 * processes of their own (bench/gateway-process.ts) on the real PostgreSQL and Redis;
 * this process holds the client sockets (socket.io-client over WebSocket, each with its
 * own token, all following one company) and raises alerts one at a time through the real
 * path: a transaction on `alerts`, the trigger's NOTIFY at commit, a gateway's claim and
 * read, the Redis adapter, every socket. Latency per delivery runs from the COMMIT
 * returning to the socket's `alert` event. JSON lines on stdout:
 *   baseline: 1 socket on 1 gateway (the path's own latency);
 *   fanout: BENCH_SOCKETS sockets on 1 gateway; then split over 2 gateways.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { raiseAlert } from '@anh/db/reports';
import { seedTenant } from '@anh/db/seed';
import { createTestDatabase, prepareTemplateDatabase } from '@anh/db/testing';
import { signLiveToken } from '@anh/domain/live-token';
import { benchEnv } from './env';

const env = benchEnv;
const tenantRoleSecret = randomBytes(32).toString('base64url');
const liveSecret = randomBytes(32).toString('base64url');
const prefix = `anh-bench-${randomBytes(4).toString('hex')}`;
await prepareTemplateDatabase(env.DATABASE_URL, 'anh_bench_fanout_template', tenantRoleSecret);
const testDb = await createTestDatabase({
  baseUrl: env.DATABASE_URL,
  template: 'anh_bench_fanout_template',
  tenantRoleSecret,
});
const { db } = testDb;
const tenant = await seedTenant(db);
const gateways: Array<{ child: ChildProcessByStdio<null, Readable, null>; port: number }> = [];

async function startGatewayProcess() {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./gateway-process.ts', import.meta.url)),
      JSON.stringify({
        databaseUrl: testDb.url,
        redisUrl: env.REDIS_URL,
        tenantRoleSecret,
        liveSecret,
        prefix,
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /\{"port":(\d+)\}/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`gateway exited (${code})`)));
  });
  const gateway = { child, port };
  gateways.push(gateway);
  return gateway;
}

interface Client {
  socket: Socket;
  received: Map<number, number>;
}

async function connectClients(ports: number[], count: number): Promise<Client[]> {
  const clients: Client[] = [];
  // In groups, so the handshakes do not all land at once.
  for (let i = 0; i < count; i += 100) {
    const group = Array.from({ length: Math.min(100, count - i) }, (_, k) => {
      const port = ports[(i + k) % ports.length]!;
      const socket = io(`http://127.0.0.1:${port}`, {
        path: '/live',
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        auth: {
          token: signLiveToken(liveSecret, {
            userId: randomUUID(),
            tenantId: tenant.id,
            role: 'operator',
            nowMs: Date.now(),
          }).token,
        },
      });
      const client: Client = { socket, received: new Map() };
      socket.on('alert', (event: { seq: number }) => client.received.set(event.seq, Date.now()));
      return new Promise<Client>((resolve, reject) => {
        socket.once('connect', () => {
          socket.emit('subscribe', {}, (reply: { ok: boolean }) =>
            reply.ok ? resolve(client) : reject(new Error('subscribe refused')),
          );
        });
        socket.once('connect_error', reject);
      });
    });
    clients.push(...(await Promise.all(group)));
  }
  return clients;
}

/** Raises `alerts` alerts one after another; latency of every delivery to every client. */
async function run(
  name: string,
  clients: Client[],
  gatewayCount: number,
  alerts: number,
  baseline?: unknown,
) {
  const committed = new Map<number, number>();
  for (let i = 0; i < alerts; i++) {
    const seq = await db.withTenantClient(tenant.id, async (client) => {
      await raiseAlert(client, {
        kind: 'bench.fanout',
        subject: randomUUID(),
        severity: 'warning',
        audience: ['operator'],
        message: `alerta de prueba ${i}`,
        data: {},
        nowMs: Date.now(),
      });
      return Number(
        (await client.query<{ seq: string }>('SELECT max(seq) AS seq FROM alert_feed')).rows[0]!
          .seq,
      );
    });
    committed.set(seq, Date.now()); // after COMMIT: the NOTIFY has left
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const expected = alerts * clients.length;
  const deadline = Date.now() + 30_000;
  const delivered = () => clients.reduce((n, c) => n + c.received.size, 0);
  while (delivered() < expected && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const latencies: number[] = [];
  for (const c of clients)
    for (const [seq, at] of c.received) {
      const sent = committed.get(seq);
      if (sent !== undefined) latencies.push(at - sent);
    }
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  const info = {
    sockets: clients.length,
    gateways: gatewayCount,
    alerts,
    deliveries: latencies.length,
    missing: expected - latencies.length,
  };
  const result = { p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1] };
  console.log(
    JSON.stringify({
      name: `${name}.p50`,
      value: result.p50,
      unit: 'ms',
      ...info,
      ...(baseline ? { baseline } : {}),
    }),
  );
  console.log(
    JSON.stringify({
      name: `${name}.p99`,
      value: result.p99,
      unit: 'ms',
      ...info,
      max: result.max,
      ...(baseline ? { baseline } : {}),
    }),
  );
  for (const c of clients) c.received.clear();
  return result;
}

try {
  const first = await startGatewayProcess();
  const one = await connectClients([first.port], 1);
  const base = await run('live.fanout_baseline_1_socket', one, 1, env.BENCH_ALERTS);
  one.forEach((c) => c.socket.disconnect());
  const baselineRef = { name: 'live.fanout_baseline_1_socket.p99', value: base.p99 };

  const many = await connectClients([first.port], env.BENCH_SOCKETS);
  await run(
    `live.fanout_${env.BENCH_SOCKETS}_sockets_1_gateway`,
    many,
    1,
    env.BENCH_ALERTS,
    baselineRef,
  );
  many.forEach((c) => c.socket.disconnect());

  const second = await startGatewayProcess();
  const split = await connectClients([first.port, second.port], env.BENCH_SOCKETS);
  await run(
    `live.fanout_${env.BENCH_SOCKETS}_sockets_2_gateways`,
    split,
    2,
    env.BENCH_ALERTS,
    baselineRef,
  );
  split.forEach((c) => c.socket.disconnect());
} finally {
  for (const g of gateways) {
    g.child.kill('SIGTERM');
    await new Promise((resolve) => g.child.once('exit', resolve));
  }
  await testDb.drop();
}
