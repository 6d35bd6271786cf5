/**
 * `npx tsx deploy/scaling/report-bench.ts [sites] [wellsPerSite]` (default 25 × 20 = the
 * 500-well tenant of docs/SCALING.md): the 06:00 run for one tenant, the way
 * apps/worker/bench/report.bench.ts measures 50 wells on one site — report.daily (every
 * site's report built, validated and stored), then report.deliver for each report to a
 * real FTPS server on 127.0.0.1. Its own databases, dropped at the end. One JSON line.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { saveDeliverySettings } from '@anh/db/reports';
import { seedField, seedTenant } from '@anh/db/seed';
import { ensurePartitionsFor } from '@anh/db/telemetry';
import { createTestDatabase, prepareTemplateDatabase } from '@anh/db/testing';
import { bogotaDayStart } from '@anh/domain/bogota-day';
import { buildTimeOf } from '@anh/domain/delivery-schedule';
import { parseKeyRing } from '@anh/domain/secret-box';
import { createLogger } from '../../apps/worker/src/log';
import { processJob } from '../../apps/worker/src/workers';
import { createTestFtpServer } from '../../apps/worker/test/ftp-server';

const sites = Number(process.argv[2] ?? 25);
const wellsPerSite = Number(process.argv[3] ?? 20);
const databaseUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
const secret = randomBytes(32).toString('base64url');
await prepareTemplateDatabase(databaseUrl, 'anh_scaling_report_template', secret);
const testDb = await createTestDatabase({
  baseUrl: databaseUrl,
  template: 'anh_scaling_report_template',
  tenantRoleSecret: secret,
});
const { db } = testDb;
const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);
const ftp = await createTestFtpServer();
await ftp.start();
try {
  const DAY = '2026-11-20';
  const start = (bogotaDayStart(DAY) as { ok: true; ms: number }).ms;
  const tenant = await seedTenant(db);
  for (let s = 0; s < sites; s++)
    await seedField(db, tenant.id, { wells: wellsPerSite, siteCode: `SITE-${s + 1}` });
  await ensurePartitionsFor(db, tenant.id, { first: start, last: start + 86_400_000 });
  const variables = await db.withTenantClient(tenant.id, async (client) => {
    // A full day for every variable, as report.bench.ts writes it.
    await client.query(
      `INSERT INTO slots (variable_id, slot_start, count, mean, min, max, first, last, completeness, flag, delta, inner_delta)
       SELECT v.id, $1::timestamptz + k * interval '10 minutes', 10, 50 + k % 7, 45, 55,
              1000 + k * 10, 1000 + k * 10 + 9, 1, 'G', 10, 9
       FROM variables v, generate_series(0, 143) AS k`,
      [new Date(start).toISOString()],
    );
    await client.query('ANALYZE slots');
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
  const reports = await db.withTenantClient(
    tenant.id,
    async (client) =>
      (
        await client.query<{ id: string; bytes: number }>(
          'SELECT id, length(content) AS bytes FROM reports',
        )
      ).rows,
  );
  for (const report of reports) {
    const outcome = (await processJob(ctx, {
      id: `deliver-${report.id}`,
      name: 'report.deliver',
      data: { tenantId: tenant.id, reportId: report.id },
    })) as { outcome: string };
    if (outcome.outcome !== 'verified') throw new Error(`delivery ended ${outcome.outcome}`);
  }
  const done = performance.now();
  console.log(
    JSON.stringify({
      name: 'report.tenant_trigger_to_verified_uploads',
      value: Math.round(done - t0),
      unit: 'ms',
      sites,
      wells: sites * wellsPerSite,
      variables,
      slots: variables * 144,
      reports: reports.length,
      reportBytes: reports.reduce((sum, r) => sum + r.bytes, 0),
      buildAndValidateMs: Math.round(built - t0),
      uploadAndVerifyMs: Math.round(done - built),
    }),
  );
} finally {
  await ftp.stop();
  await testDb.drop();
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS anh_scaling_report_template WITH (FORCE)');
  await admin.end();
}
