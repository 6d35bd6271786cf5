import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorCredential, readAuditChain, tenantTables, type Tenant } from '@anh/db';
import { amendReport, saveDeliverySettings } from '@anh/db/reports';
import { seedField, seedTenant, seedUser } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { storeUpload, syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import { bogotaDayStart } from '@anh/domain/bogota-day';
import { buildTimeOf, deadlineOf } from '@anh/domain/delivery-schedule';
import { parseKeyRing } from '@anh/domain/secret-box';
import { validateDailyReport } from '@anh/domain/report-validate';
import { createLogger } from '../log';
import { processJob } from '../workers';
import { createTestFtpServer, type TestFtpServer } from '../../test/ftp-server';

/**
 * The daily submission against a real FTPS server on 127.0.0.1, with an injected clock:
 * built at 06:00, uploaded under a temporary name, renamed, verified, its receipt stored;
 * outages before and past 06:50; a repeated job; an amendment.
 */
const testDb = useTestDatabase();
const log = createLogger('error', {}, () => undefined);
const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);
let ftp: TestFtpServer;
const MIN = 60_000;

async function fieldWithDay(day: string): Promise<Tenant> {
  const { db } = testDb();
  const tenant = await seedTenant(db);
  await seedField(db, tenant.id, { wells: 1 });
  const connector = await createConnectorCredential(db, tenant.id, { name: 'PLC', actor: 'test' });
  const bindings = await tenantBindings(db, tenant.id);
  await db.withTenantClient(tenant.id, (c) =>
    c.query('UPDATE variables SET expected_per_slot = 1'),
  );
  const start = (bogotaDayStart(day) as { ok: true; ms: number }).ms;
  await storeUpload(
    db,
    tenant.id,
    syntheticBatch({
      connectorId: connector.connectorId,
      bindings,
      startMs: start + MIN,
      readingsPerVariable: 144,
      stepMs: 10 * MIN,
    }),
  );
  const ctx = { db, log, now: () => start + 3 * 86_400_000 };
  await processJob(ctx, { id: 'v', name: 'pipeline.validate', data: { tenantId: tenant.id } });
  await processJob(ctx, { id: 'a', name: 'pipeline.aggregate', data: { tenantId: tenant.id } });
  await saveDeliverySettings(
    db,
    tenant.id,
    {
      host: '127.0.0.1',
      port: ftp.port,
      tlsMode: 'explicit',
      tlsCaPem: ftp.caPem,
      remoteDir: `/${tenant.slug}`,
      username: ftp.user,
      password: ftp.password,
    },
    { ring, actor: 'user:test' },
  );
  return tenant;
}

const run = (name: string, data: Record<string, unknown>, nowMs: number) =>
  processJob({ db: testDb().db, log, ring, now: () => nowMs }, { id: '1', name, data });

async function rows<T>(tenant: Tenant, sql: string, params: unknown[] = []): Promise<T[]> {
  return testDb().db.withTenantClient(
    tenant.id,
    async (c) => (await c.query(sql, params)).rows as T[],
  );
}

beforeAll(async () => {
  ftp = await createTestFtpServer();
  await ftp.start();
});
afterAll(async () => {
  await ftp.stop();
});

describe('daily ANH submission', () => {
  it('at 06:00 builds, uploads under a temporary name, renames, verifies and keeps the receipt; a second run uploads nothing', async () => {
    const day = '2026-11-10';
    const tenant = await fieldWithDay(day);
    const at = buildTimeOf(day);
    const daily = (await run('report.daily', { tenantId: tenant.id }, at)) as {
      days: string[];
      built: Array<{ blockingErrors: number }>;
    };
    expect(daily.days).toEqual([day]);
    expect(daily.built).toHaveLength(1);
    const [report] = await rows<{
      id: string;
      file_name: string;
      content: string;
      sha256: string;
      password: string;
    }>(tenant, 'SELECT id, file_name, content, sha256 FROM reports');
    expect(validateDailyReport(JSON.parse(report!.content)).ok).toBe(true);
    const before = ftp.uploads.length;
    const outcome = await run(
      'report.deliver',
      { tenantId: tenant.id, reportId: report!.id },
      at + 2 * MIN,
    );
    expect(outcome).toMatchObject({
      outcome: 'verified',
      remotePath: `/${tenant.slug}/${report!.file_name}`,
    });
    // Stored under a temporary name first, then renamed: only the final name is left.
    expect(ftp.uploads.slice(before).map((f) => basename(f))).toEqual([
      `.${report!.file_name}.part`,
    ]);
    const dir = join(ftp.root, tenant.slug);
    expect(readdirSync(dir)).toEqual([report!.file_name]);
    expect(readFileSync(join(dir, report!.file_name), 'utf8')).toBe(report!.content);
    const [receipt] = await rows<{
      outcome: string;
      bytes: number;
      read_back_sha256: string;
      replies: Array<{ step: string }>;
    }>(tenant, 'SELECT outcome, bytes, read_back_sha256, replies FROM report_deliveries');
    expect(receipt).toMatchObject({
      outcome: 'verified',
      bytes: Buffer.byteLength(report!.content),
    });
    expect(receipt!.read_back_sha256).toHaveLength(64);
    expect(receipt!.replies.map((r) => r.step)).toEqual(['login', 'upload', 'rename', 'size']);
    // The same jobs again: nothing built, nothing uploaded.
    await run('report.daily', { tenantId: tenant.id }, at + 5 * MIN);
    expect(
      await run('report.deliver', { tenantId: tenant.id, reportId: report!.id }, at + 6 * MIN),
    ).toMatchObject({ outcome: 'already_delivered' });
    expect(ftp.uploads.length).toBe(before + 1);
    expect(await rows(tenant, 'SELECT id FROM reports')).toHaveLength(1);
    // The password is stored sealed, never in clear.
    const [settings] = await rows<{ password_sealed: string }>(
      tenant,
      'SELECT password_sealed FROM delivery_settings',
    );
    expect(settings!.password_sealed).not.toContain(ftp.password);
  });

  it('server down from 06:00 to 06:30: retried, delivered before 06:50, nobody alerted', async () => {
    const day = '2026-11-11';
    const tenant = await fieldWithDay(day);
    const at = buildTimeOf(day);
    await run('report.daily', { tenantId: tenant.id }, at);
    const [report] = await rows<{ id: string }>(tenant, 'SELECT id FROM reports');
    await ftp.stop();
    for (const minute of [0, 10, 20])
      await expect(
        run('report.deliver', { tenantId: tenant.id, reportId: report!.id }, at + minute * MIN),
      ).rejects.toThrow();
    await ftp.start();
    expect(
      await run('report.deliver', { tenantId: tenant.id, reportId: report!.id }, at + 30 * MIN),
    ).toMatchObject({ outcome: 'verified' });
    const attempts = await rows<{ outcome: string }>(
      tenant,
      'SELECT outcome FROM report_deliveries ORDER BY id',
    );
    expect(attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'failed', 'verified']);
    expect(await rows(tenant, 'SELECT * FROM alerts')).toEqual([]);
  });

  it('server down past 06:50: the admins and engineers are alerted, and it is delivered when the server returns', async () => {
    const day = '2026-11-12';
    const tenant = await fieldWithDay(day);
    const at = buildTimeOf(day);
    await run('report.daily', { tenantId: tenant.id }, at);
    const [report] = await rows<{ id: string }>(tenant, 'SELECT id FROM reports');
    await ftp.stop();
    await expect(
      run('report.deliver', { tenantId: tenant.id, reportId: report!.id }, at + 40 * MIN),
    ).rejects.toThrow();
    expect(await rows(tenant, 'SELECT * FROM alerts')).toEqual([]);
    await expect(
      run('report.deliver', { tenantId: tenant.id, reportId: report!.id }, deadlineOf(day) + MIN),
    ).rejects.toThrow();
    await expect(
      run(
        'report.deliver',
        { tenantId: tenant.id, reportId: report!.id },
        deadlineOf(day) + 5 * MIN,
      ),
    ).rejects.toThrow();
    const alerts = await rows<{
      kind: string;
      severity: string;
      audience: string[];
      resolved_at: Date | null;
      message: string;
    }>(tenant, 'SELECT kind, severity, audience, resolved_at, message FROM alerts');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: 'delivery.late',
      severity: 'critical',
      audience: ['admin', 'engineer'],
      resolved_at: null,
    });
    expect(alerts[0]!.message).toMatch(/no se ha entregado a la ANH y ya pasaron las 06:50/);
    await ftp.start();
    expect(
      await run(
        'report.deliver',
        { tenantId: tenant.id, reportId: report!.id },
        deadlineOf(day) + 40 * MIN,
      ),
    ).toMatchObject({ outcome: 'verified' });
    const [resolved] = await rows<{ resolved_at: Date | null }>(
      tenant,
      'SELECT resolved_at FROM alerts',
    );
    expect(resolved!.resolved_at).not.toBeNull();
  });

  it('never overwrites another content under the same name', async () => {
    const day = '2026-11-13';
    const tenant = await fieldWithDay(day);
    await run('report.daily', { tenantId: tenant.id }, buildTimeOf(day));
    const [report] = await rows<{ id: string; file_name: string }>(
      tenant,
      'SELECT id, file_name FROM reports',
    );
    const dir = join(ftp.root, tenant.slug);
    if (!existsSync(dir)) (await import('node:fs')).mkdirSync(dir);
    writeFileSync(join(dir, report!.file_name), '{"not":"ours"}');
    await expect(
      run('report.deliver', { tenantId: tenant.id, reportId: report!.id }, buildTimeOf(day) + MIN),
    ).rejects.toThrow(/already exists on the server with other content/);
    expect(readFileSync(join(dir, report!.file_name), 'utf8')).toBe('{"not":"ours"}');
    const alerts = await rows<{ kind: string }>(tenant, 'SELECT kind FROM alerts');
    expect(alerts.map((a) => a.kind)).toEqual(['delivery.name_conflict']);
  });

  it('an amendment is a new version under a new name, with its reason, audited; the delivered one is immutable', async () => {
    const day = '2026-11-14';
    const tenant = await fieldWithDay(day);
    const engineer = await seedUser(testDb().db);
    const at = buildTimeOf(day);
    await run('report.daily', { tenantId: tenant.id }, at);
    const [v1] = await rows<{ id: string; site_id: string; file_name: string; sha256: string }>(
      tenant,
      'SELECT id, site_id, file_name, sha256 FROM reports',
    );
    await run('report.deliver', { tenantId: tenant.id, reportId: v1!.id }, at + MIN);
    const amended = await amendReport(testDb().db, tenant.id, {
      day,
      siteId: v1!.site_id,
      reason: 'Aforo manual del tanque corrige el nivel de las 14:00',
      userId: engineer.id,
      nowMs: at + 3 * 3600_000,
    });
    expect(amended).toMatchObject({ version: 2 });
    expect(amended.fileName).not.toBe(v1!.file_name);
    expect(
      await run(
        'report.deliver',
        { tenantId: tenant.id, reportId: amended.id },
        at + 3 * 3600_000 + MIN,
      ),
    ).toMatchObject({ outcome: 'verified' });
    const [v2] = await rows<{ previous_sha256: string; amendment_reason: string }>(
      tenant,
      'SELECT previous_sha256, amendment_reason FROM reports WHERE version = 2',
    );
    expect(v2!.previous_sha256).toBe(v1!.sha256);
    expect(v2!.amendment_reason).toMatch(/Aforo manual/);
    const audit = await testDb().db.withTenant(tenant.id, (tx) =>
      readAuditChain(tx, tenantTables.auditLog),
    );
    expect(audit.map((e) => e.action)).toContain('report.amended');
    expect(readdirSync(join(ftp.root, tenant.slug)).sort()).toEqual(
      [v1!.file_name, amended.fileName].sort(),
    );
    await expect(
      rows(tenant, `UPDATE reports SET content = '{}' WHERE id = $1`, [v1!.id]),
    ).rejects.toThrow(/immutable/);
  });
});
