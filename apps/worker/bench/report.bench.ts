/**
 * `npm run bench -w @anh/worker`: from the 06:00 trigger to a verified upload, for a
 * tenant with 50 wells (about 330 variables, a full day of 10-minute slots each): the
 * report.daily job (build, pre-submission validation, immutable store) then the
 * report.deliver job (FTPS upload under a temporary name, rename, size and read-back
 * check, receipt) against a real FTPS server on 127.0.0.1. JSON lines on stdout.
 */
import { randomBytes } from 'node:crypto';
import { saveDeliverySettings } from '@anh/db/reports';
import { seedField, seedTenant } from '@anh/db/seed';
import { ensurePartitionsFor } from '@anh/db/telemetry';
import { createTestDatabase, prepareTemplateDatabase } from '@anh/db/testing';
import { bogotaDayStart } from '@anh/domain/bogota-day';
import { buildTimeOf } from '@anh/domain/delivery-schedule';
import { parseKeyRing } from '@anh/domain/secret-box';
import { createLogger } from '../src/log';
import { processJob } from '../src/workers';
import { createTestFtpServer } from '../test/ftp-server';
import { benchEnv } from './env';

const env = benchEnv;
const secret = randomBytes(32).toString('base64url');
await prepareTemplateDatabase(env.DATABASE_URL, 'anh_bench_report_template', secret);
const testDb = await createTestDatabase({
  baseUrl: env.DATABASE_URL,
  template: 'anh_bench_report_template',
  tenantRoleSecret: secret,
});
const { db } = testDb;
const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);
const ftp = await createTestFtpServer();
await ftp.start();

const DAY = '2026-11-20';
const start = (bogotaDayStart(DAY) as { ok: true; ms: number }).ms;
const tenant = await seedTenant(db);
await seedField(db, tenant.id, { wells: 50 });
await ensurePartitionsFor(db, tenant.id, { first: start, last: start + 86_400_000 });
const variables = await db.withTenantClient(tenant.id, async (client) => {
  // A full day: every variable, 144 slots, counters rising.
  await client.query(
    `INSERT INTO slots (variable_id, slot_start, count, mean, min, max, first, last, completeness, flag, delta, inner_delta)
     SELECT v.id, $1::timestamptz + k * interval '10 minutes', 10, 50 + k % 7, 45, 55,
            1000 + k * 10, 1000 + k * 10 + 9, 1, 'G', 10, 9
     FROM variables v, generate_series(0, 143) AS k`,
    [new Date(start).toISOString()],
  );
  return Number(
    (await client.query<{ n: string }>('SELECT count(*) AS n FROM variables')).rows[0]!.n,
  );
});
await saveDeliverySettings(
  db,
  tenant.id,
  {
    host: '127.0.0.1',
    port: ftp.port,
    tlsMode: 'explicit',
    tlsCaPem: ftp.caPem,
    remoteDir: '/anh',
    username: ftp.user,
    password: ftp.password,
  },
  { ring, actor: 'bench' },
);

const log = createLogger('error', {}, () => undefined);
const ctx = { db, log, ring, now: () => buildTimeOf(DAY) };
const t0 = performance.now();
await processJob(ctx, { id: 'daily', name: 'report.daily', data: { tenantId: tenant.id } });
const built = performance.now();
const report = await db.withTenantClient(
  tenant.id,
  async (client) =>
    (
      await client.query<{ id: string; bytes: number }>(
        'SELECT id, length(content) AS bytes FROM reports',
      )
    ).rows[0]!,
);
const outcome = (await processJob(ctx, {
  id: 'deliver',
  name: 'report.deliver',
  data: { tenantId: tenant.id, reportId: report.id },
})) as { outcome: string };
const done = performance.now();
if (outcome.outcome !== 'verified') throw new Error(`delivery ended ${outcome.outcome}`);
console.log(
  JSON.stringify({
    name: 'report.trigger_to_verified_upload',
    value: Math.round(done - t0),
    unit: 'ms',
    wells: 50,
    variables,
    slots: variables * 144,
    reportBytes: report.bytes,
    buildAndValidateMs: Math.round(built - t0),
    uploadAndVerifyMs: Math.round(done - built),
    target: { name: 'design target (generation alone)', value: 30_000, unit: 'ms' },
  }),
);
await ftp.stop();
await testDb.drop();
