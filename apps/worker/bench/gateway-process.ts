/**
 * One live-alert gateway as a process of its own, for the fan-out benchmark (so the
 * benchmark's thousand client sockets do not share its event loop). Settings come as one
 * JSON argument; prints `{"port": N}` on stdout once listening; SIGTERM closes it.
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import { createDatabase } from '@anh/db';
import { startGateway } from '../src/gateway/gateway';
import { createLogger } from '../src/log';

const settings = z
  .object({
    databaseUrl: z.string(),
    redisUrl: z.string(),
    tenantRoleSecret: z.string(),
    liveSecret: z.string(),
    prefix: z.string(),
  })
  .parse(JSON.parse(process.argv[2] ?? '{}'));
const db = createDatabase({
  url: settings.databaseUrl,
  tenantRoleSecret: settings.tenantRoleSecret,
  applicationName: 'anh-bench-gateway',
});
const pub = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
const sub = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
const gateway = await startGateway({
  db,
  pub,
  sub,
  redis: pub,
  secret: settings.liveSecret,
  host: '127.0.0.1',
  port: 0,
  allowedOrigins: [],
  prefix: settings.prefix,
  log: createLogger('warn', { service: 'bench-gateway' }),
});
process.stdout.write(`${JSON.stringify({ port: gateway.port })}\n`);
process.on('SIGTERM', () => {
  void (async () => {
    await gateway.close();
    await pub.quit();
    await sub.quit();
    await db.close();
    process.exit(0);
  })();
});
