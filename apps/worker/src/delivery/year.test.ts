import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { amendReport, saveDeliverySettings } from '@anh/db/reports';
import { seedField, seedTenant, seedUser } from '@anh/db/seed';
import { ensurePartitionsFor } from '@anh/db/telemetry';
import { useTestDatabase } from '@anh/db/test-helpers';
import { bogotaDayStart } from '@anh/domain/bogota-day';
import { buildTimeOf, daysBetween, deadlineOf } from '@anh/domain/delivery-schedule';
import { validateDailyReport } from '@anh/domain/report-validate';
import { parseKeyRing } from '@anh/domain/secret-box';
import { createLogger } from '../log';
import { processJob } from '../workers';
import { createTestFtpServer, type TestFtpServer } from '../../test/ftp-server';

/**
 * A simulated year of daily submissions on a simulated clock, with faults: the FTP server
 * down before and past 06:50, the worker down three days, late data and its amendment, a
 * damaged upload. At the end: 365 reports, each delivered exactly once (one amended
 * explicitly), every file on the server equal to what was signed, and the hash chain whole.
 * A worker that died between the rename and its record is covered too (day 150).
 * Plain FTP here for speed; FTPS is exercised by delivery.test.ts.
 */
const testDb = useTestDatabase();
const log = createLogger('error', {}, () => undefined);
const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);
const MIN = 60_000;
const DAYS = daysBetween('2025-01-01', '2025-12-31');
let ftp: TestFtpServer;
let tenant: Tenant;

const run = (name: string, data: Record<string, unknown>, nowMs: number) =>
  processJob({ db: testDb().db, log, ring, now: () => nowMs }, { id: '1', name, data });

async function rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return testDb().db.withTenantClient(
    tenant.id,
    async (c) => (await c.query(sql, params)).rows as T[],
  );
}

beforeAll(async () => {
  const { db } = testDb();
  ftp = await createTestFtpServer();
  await ftp.start();
  tenant = await seedTenant(db);
  await seedField(db, tenant.id, { wells: 1 });
  const first = (bogotaDayStart(DAYS[0]!) as { ok: true; ms: number }).ms;
  await ensurePartitionsFor(db, tenant.id, { first, last: first + 366 * 86_400_000 });
  // A year of complete slots, counters rising, for every variable.
  await db.withTenantClient(tenant.id, (client) =>
    client.query(
      `INSERT INTO slots (variable_id, slot_start, count, mean, min, max, first, last, completeness, flag, delta, inner_delta)
       SELECT v.id, $1::timestamptz + k * interval '10 minutes', 10, 50 + k % 7, 45, 55,
              1000 + k * 10, 1000 + k * 10 + 9, 1, 'G', 10, 9
       FROM variables v, generate_series(0, 365 * 144 - 1) AS k`,
      [new Date(first).toISOString()],
    ),
  );
  await saveDeliverySettings(
    db,
    tenant.id,
    {
      host: '127.0.0.1',
      port: ftp.port,
      tlsMode: 'none',
      remoteDir: '/anh',
      username: ftp.user,
      password: ftp.password,
    },
    { ring, actor: 'user:test' },
  );
}, 120_000);
afterAll(async () => {
  await ftp.stop();
});

describe('a simulated year', () => {
  it('ends with 365 reports, each delivered exactly once or amended explicitly, and the chain verifies', async () => {
    const engineer = await seedUser(testDb().db);
    const workerDown = new Set(DAYS.slice(200, 203));
    const lateDataDay = DAYS[249]!;
    let amendmentId: string | null = null;

    /** Delivers whatever is pending, retrying every 10 simulated minutes while the server allows. */
    async function deliverPending(fromMs: number, serverUpFrom: number): Promise<void> {
      const pending = await rows<{ id: string }>(
        'SELECT id FROM reports WHERE delivered_at IS NULL ORDER BY day, version',
      );
      for (const { id } of pending) {
        for (let t = fromMs; ; t += 10 * MIN) {
          if (t >= serverUpFrom && !ftpRunning) {
            await ftp.start();
            ftpRunning = true;
          }
          const outcome = await run(
            'report.deliver',
            { tenantId: tenant.id, reportId: id },
            t,
          ).catch(() => null);
          if (outcome) break;
          if (t > fromMs + 2 * 86_400_000) throw new Error(`report ${id} never delivered`);
        }
      }
    }

    let ftpRunning = true;
    for (const [i, day] of DAYS.entries()) {
      const at = buildTimeOf(day);
      if (workerDown.has(day)) continue; // nothing runs; the next run catches up in order
      let serverUpFrom = at;
      if (i === 10) serverUpFrom = at + 30 * MIN; // down 06:00–06:30
      if (i === 100) serverUpFrom = at + 3 * 60 * MIN; // down 06:00–09:00: past 06:50
      if (serverUpFrom > at) {
        await ftp.stop();
        ftpRunning = false;
      }
      if (i === 300) ftp.corruptNextUpload();
      await run('report.daily', { tenantId: tenant.id }, at);
      if (i === 150) {
        // The worker died after the rename and before recording it: the file is there, the
        // database does not know. The next attempt finds the same bytes and records them.
        const [report] = await rows<{ file_name: string; content: string }>(
          'SELECT file_name, content FROM reports WHERE day = $1',
          [day],
        );
        mkdirSync(join(ftp.root, 'anh'), { recursive: true });
        writeFileSync(join(ftp.root, 'anh', report!.file_name), report!.content);
      }
      await deliverPending(at, serverUpFrom);
      if (day === DAYS[250]) {
        // Late data for yesterday arrived after its report went: an engineer amends it.
        const [report] = await rows<{ site_id: string }>(
          'SELECT site_id FROM reports WHERE day = $1',
          [lateDataDay],
        );
        await rows(
          `UPDATE slots SET mean = mean + 1, revision = revision + 1
           WHERE slot_start >= $1 AND slot_start < $1::timestamptz + interval '1 hour'`,
          [new Date((bogotaDayStart(lateDataDay) as { ok: true; ms: number }).ms).toISOString()],
        );
        const amended = await amendReport(testDb().db, tenant.id, {
          day: lateDataDay,
          siteId: report!.site_id,
          reason: 'Datos tardíos del separador cambiaron la primera hora',
          userId: engineer.id,
          nowMs: at + 4 * 60 * MIN,
        });
        amendmentId = amended.id;
        await deliverPending(at + 4 * 60 * MIN + MIN, 0);
      }
    }

    const reports = await rows<{
      id: string;
      day: string;
      version: number;
      content: string;
      sha256: string;
      previous_sha256: string | null;
      file_name: string;
      delivered_at: Date | null;
    }>(
      `SELECT id, to_char(day, 'YYYY-MM-DD') AS day, version, content, sha256, previous_sha256, file_name, delivered_at
       FROM reports ORDER BY chain_seq`,
    );
    const firsts = reports.filter((r) => r.version === 1);
    expect(firsts.map((r) => r.day)).toEqual(DAYS);
    expect(reports.filter((r) => r.version > 1).map((r) => r.id)).toEqual([amendmentId]);
    expect(reports.every((r) => r.delivered_at !== null)).toBe(true);
    // Exactly one successful delivery per report, and the server holds exactly those files.
    const verified = await rows<{ report_id: string; n: string }>(
      `SELECT report_id, count(*) AS n FROM report_deliveries WHERE outcome IN ('verified', 'already_there') GROUP BY report_id`,
    );
    expect(verified).toHaveLength(reports.length);
    expect(verified.every((v) => Number(v.n) === 1)).toBe(true);
    const onServer = readdirSync(join(ftp.root, 'anh')).sort();
    expect(onServer).toEqual(reports.map((r) => r.file_name).sort());
    for (const r of reports)
      expect(readFileSync(join(ftp.root, 'anh', r.file_name), 'utf8')).toBe(r.content);
    // The chain: each report names the one built before it, and each hash covers its content.
    reports.forEach((r, k) => {
      expect(r.previous_sha256).toBe(k === 0 ? null : reports[k - 1]!.sha256);
      expect(validateDailyReport(JSON.parse(r.content)).ok).toBe(true);
    });
    // The faults left their traces: one late alert (resolved), a failed attempt for the damaged upload.
    const alerts = await rows<{ kind: string; subject: string; resolved_at: Date | null }>(
      'SELECT kind, subject, resolved_at FROM alerts',
    );
    expect(alerts.map((a) => a.kind)).toEqual(['delivery.late']);
    expect(alerts[0]!.subject.startsWith(DAYS[100]!)).toBe(true);
    expect(alerts[0]!.resolved_at).not.toBeNull();
    const day300 = reports.find((r) => r.day === DAYS[300])!;
    const attempts300 = await rows<{ outcome: string; error: string | null }>(
      'SELECT outcome, error FROM report_deliveries WHERE report_id = $1 ORDER BY id',
      [day300.id],
    );
    expect(attempts300.map((a) => a.outcome)).toEqual(['failed', 'verified']);
    expect(attempts300[0]!.error).toMatch(/server reports \d+ bytes, expected \d+/);
    const day150 = reports.find((r) => r.day === DAYS[150])!;
    const attempts150 = await rows<{ outcome: string }>(
      'SELECT outcome FROM report_deliveries WHERE report_id = $1',
      [day150.id],
    );
    expect(attempts150.map((a) => a.outcome)).toEqual(['already_there']);
    // The three days the worker was down were built the next morning, in order.
    const caughtUp = reports.filter((r) => workerDown.has(r.day) || r.day === DAYS[203]);
    expect(new Set(caughtUp.map((r) => r.delivered_at!.getTime())).size).toBe(1);
    expect(deadlineOf(DAYS[202]!)).toBeLessThan(caughtUp[0]!.delivered_at!.getTime());
  }, 600_000);
});
