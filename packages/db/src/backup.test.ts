import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildTimeOf } from '@anh/domain/delivery-schedule';
import { isAppError } from '@anh/domain/errors';
import { parseKeyRing } from '@anh/domain/secret-box';
import { HaCluster } from '../../../scripts/ha/cluster';
import { useTestDatabase } from '../test/use-test-database';
import { withConnection } from './admin';
import {
  backupTenant,
  openArchive,
  readArchivePart,
  restoreTenant,
  writeManifest,
  type BackupResult,
} from './backup';
import { createDatabase } from './client';
import { createConnectorCredential } from './connectors';
import { inviteMember } from './members';
import { verifyReportChains } from './report-chain';
import { amendReport, buildDayReports, loadDeliveryTarget, saveDeliverySettings } from './reports';
import { seedMembership, seedTenant, seedUser, type User } from './seed';
import { seedProductionHistory } from './seed-history';
import { createEmptyTestDatabase, dropTestDatabase } from './testing';
import { anchorTenantAudit, verifyTenantAudit, type Tenant } from './tenants';

/**
 * Backup and restore of one tenant on real PostgreSQL: two tenants in the usual test
 * database; one backed up; the archive restored into a brand-new database of another
 * cluster (a throwaway one, scripts/ha/init-primary.sh, password authentication on), where
 * the tenant role must log in with that target's own TENANT_ROLE_SECRET.
 */
const testDb = useTestDatabase();
const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);
const NOW = Date.UTC(2026, 10, 27, 20, 37, 12);
const DAYS = ['2026-11-25', '2026-11-26'];
let acme: Tenant;
let rival: Tenant;
let engineer: User;
let rivalAdmin: User;
let acmeSite: string;
let work: string;
let cluster: HaCluster;
let backup: BackupResult;
const targetSecret = randomBytes(32).toString('base64url');
const extraDatabases: string[] = [];

async function failure(promise: Promise<unknown>): Promise<{ code: string; reason: unknown }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return { code: error.code, reason: error.details?.reason };
}

/** The SQL text of a custom-format dump, as pg_restore would run it. */
function dumpToSql(dump: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/pg_restore', ['--file=-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
    child.stdin.end(dump);
  });
}

async function tableCounts(url: string, schema: string): Promise<Record<string, number>> {
  return withConnection(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind = 'r'`,
      [schema],
    );
    const counts: Record<string, number> = {};
    for (const { name } of rows) {
      const r = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${schema}"."${name}"`,
      );
      counts[name] = Number(r.rows[0]!.n);
    }
    return counts;
  });
}

async function copyArchive(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(backup.dir, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  const { db } = testDb();
  work = await mkdtemp(join(tmpdir(), 'anh-backup-test-'));
  // The target cluster starts while the source is seeded (it takes seconds).
  const clusterReady = (async () => {
    cluster = await HaCluster.create();
    await cluster.initPrimary('restore');
  })();

  acme = await seedTenant(db);
  rival = await seedTenant(db);
  engineer = await seedUser(db, { name: 'Ingeniera Acme' });
  rivalAdmin = await seedUser(db, { name: 'Admin Rival' });
  await seedMembership(db, acme.id, engineer.id, 'engineer');
  await seedMembership(db, rival.id, rivalAdmin.id, 'admin');
  // Someone who invited a person and has since left: not in the archive.
  const departed = await seedUser(db);
  await seedMembership(db, acme.id, departed.id, 'admin');
  await inviteMember(db, acme.id, {
    email: 'nuevo@example.com',
    role: 'operator',
    invitedBy: departed.id,
    nowMs: Date.now(),
  });
  await withConnection(testDb().url, (c) =>
    c.query('DELETE FROM control.memberships WHERE user_id = $1', [departed.id]),
  );
  await createConnectorCredential(db, acme.id, {
    name: 'Acme RTU',
    createdBy: engineer.id,
    actor: 'test',
  });
  await createConnectorCredential(db, rival.id, { name: 'Rival RTU', actor: 'test' });
  await saveDeliverySettings(
    db,
    acme.id,
    { host: 'ftp.anh.example', username: 'acme', password: 'ftp-secret-acme' },
    { ring, actor: 'test' },
  );

  const history = await seedProductionHistory(db, acme.id, {
    wells: 2,
    days: 2,
    nowMs: NOW,
    seed: 3,
    siteCode: 'ACME-1',
  });
  acmeSite = history.siteId;
  await seedProductionHistory(db, rival.id, {
    wells: 1,
    days: 1,
    nowMs: NOW,
    seed: 4,
    siteCode: 'RIVAL-9',
  });
  for (const day of DAYS) await buildDayReports(db, acme.id, day, { nowMs: buildTimeOf(day) });
  await amendReport(db, acme.id, {
    day: DAYS[1]!,
    siteId: acmeSite,
    reason: 'Corrección de la boleta de fiscalización 4411',
    userId: engineer.id,
    nowMs: buildTimeOf(DAYS[1]!) + 3_600_000,
  });
  await buildDayReports(db, rival.id, DAYS[1]!, { nowMs: buildTimeOf(DAYS[1]!) });
  expect(await anchorTenantAudit(db, acme.id)).not.toBeNull();
  await clusterReady;
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
  for (const name of extraDatabases) await dropTestDatabase(inject('databaseBaseUrl'), name);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('backup', () => {
  it('writes a sealed archive of one tenant and nothing of another', async () => {
    backup = await backupTenant(
      { databaseUrl: testDb().url, tenant: acme.slug, outDir: join(work, 'acme') },
      ring,
    );
    console.log(`backup: ${backup.bytes} bytes in ${backup.durationMs} ms`);
    const { manifest } = backup;
    expect(manifest.tenant).toMatchObject({ id: acme.id, slug: acme.slug, status: 'active' });
    expect(manifest.sealing.keyId).toBe('k1');
    expect(manifest.counts.tenant.reports).toBe(3);
    expect(manifest.counts.control).toMatchObject({
      tenants: 1,
      users: 1,
      memberships: 1,
      connector_credentials: 1,
      invitations: 1,
      audit_anchors: 1,
    });
    expect(manifest.migrations.tenant.length).toBeGreaterThan(10);
    expect((await readdir(backup.dir)).sort()).toEqual([
      'control.json.sealed',
      'manifest.json',
      'manifest.seal',
      'schema.pgdump.sealed',
    ]);

    // At rest, nothing is readable but the manifest, and the manifest holds no secret.
    const sealedControl = await readFile(join(backup.dir, 'control.json.sealed'));
    const sealedSchema = await readFile(join(backup.dir, 'schema.pgdump.sealed'));
    for (const sealed of [sealedControl, sealedSchema]) {
      expect(sealed.includes('PGDMP')).toBe(false);
      expect(sealed.includes(acme.slug)).toBe(false);
      expect(sealed.includes(engineer.email)).toBe(false);
    }
    const manifestText = await readFile(join(backup.dir, 'manifest.json'), 'utf8');
    for (const secret of [engineer.email, 'password_hash', 'ftp-secret-acme'])
      expect(manifestText).not.toContain(secret);

    // Opened: the tenant's rows, and not one of the other tenant's.
    const archive = await openArchive(backup.dir, ring);
    const control = (await readArchivePart(archive, 'control')).toString('utf8');
    const sql = await dumpToSql(await readArchivePart(archive, 'schema'));
    expect(control).toContain(acme.id);
    expect(control).toContain(engineer.email);
    expect(control).toContain('password_hash');
    expect(sql).toContain(acme.schemaName);
    expect(sql).toContain('ACME-1');
    for (const text of [control, sql]) {
      expect(text).not.toContain(rival.id);
      expect(text).not.toContain(rival.slug);
      expect(text).not.toContain(rival.schemaName);
      expect(text).not.toContain(rivalAdmin.email);
      expect(text).not.toContain('RIVAL-9');
      expect(text).not.toContain('ftp-secret-acme');
    }
  });
});

describe('restore refuses', () => {
  it('a part changed on disk, a changed manifest, a wrong key', async () => {
    const url = cluster.url('restore', 'anh_refused');
    const options = (dir: string) => ({
      databaseUrl: url,
      archiveDir: dir,
      tenantRoleSecret: targetSecret,
    });

    const flipped = await copyArchive('flipped');
    const part = join(flipped, 'schema.pgdump.sealed');
    const bytes = await readFile(part);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(part, bytes);
    expect(await failure(restoreTenant(options(flipped), ring))).toEqual({
      code: 'INTEGRITY',
      reason: 'tampered',
    });

    const edited = await copyArchive('edited');
    const manifestPath = join(edited, 'manifest.json');
    const text = await readFile(manifestPath, 'utf8');
    await writeFile(manifestPath, text.replace('"reports": 3', '"reports": 4'));
    expect(await failure(restoreTenant(options(edited), ring))).toEqual({
      code: 'INTEGRITY',
      reason: 'tampered',
    });

    const sameIdOtherKey = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);
    const otherId = parseKeyRing(`k2:${randomBytes(32).toString('base64')}`);
    for (const wrong of [sameIdOtherKey, otherId]) {
      expect(await failure(restoreTenant(options(backup.dir), wrong))).toEqual({
        code: 'INTEGRITY',
        reason: 'wrong_key',
      });
    }
    // A rotated ring that still holds the backup's key opens it.
    const rotated = parseKeyRing(
      `k9:${randomBytes(32).toString('base64')},k1:${ring.keys.get('k1')!.toString('base64')}`,
    );
    expect((await openArchive(backup.dir, rotated)).manifest.backupId).toBe(
      backup.manifest.backupId,
    );

    // None of these reached the target: its database was not even created.
    const databases = await withConnection(cluster.url('restore', 'postgres'), async (c) =>
      (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map(
        (r) => r.datname,
      ),
    );
    expect(databases).not.toContain('anh_refused');
  });

  it('a backup made by newer code, and invalid options', async () => {
    const newer = await copyArchive('newer');
    const { manifest } = await openArchive(newer, ring);
    manifest.migrations.tenant.push({ tag: '9999_from_the_future', hash: 'a'.repeat(64) });
    await writeManifest(newer, manifest, ring);
    const options = {
      databaseUrl: cluster.url('restore', 'anh_newer'),
      archiveDir: newer,
      tenantRoleSecret: targetSecret,
    };
    expect(await failure(restoreTenant(options, ring))).toEqual({
      code: 'CONFLICT',
      reason: 'newer_migrations',
    });
    expect(
      (
        await failure(
          restoreTenant({ ...options, archiveDir: backup.dir, tenantRoleSecret: 'short' }, ring),
        )
      ).code,
    ).toBe('VALIDATION');
  });

  it('a target whose checks fail, leaving nothing behind', async () => {
    // Counts that do not match what pg_restore writes (re-sealed, so only the check catches it).
    const wrong = await copyArchive('wrong-counts');
    const { manifest } = await openArchive(wrong, ring);
    manifest.counts.tenant.reports = 4;
    await writeManifest(wrong, manifest, ring);
    const url = cluster.url('restore', 'anh_checks');
    expect(
      await failure(
        restoreTenant(
          { databaseUrl: url, archiveDir: wrong, tenantRoleSecret: targetSecret },
          ring,
        ),
      ),
    ).toEqual({ code: 'INTEGRITY', reason: 'count_mismatch' });
    await withConnection(url, async (client) => {
      const left = await client.query(
        `SELECT (SELECT count(*) FROM control.tenants) AS tenants,
                (SELECT count(*) FROM pg_namespace WHERE nspname = $1) AS schemas,
                (SELECT count(*) FROM pg_roles WHERE rolname = $2) AS roles,
                (SELECT count(*) FROM control.users) AS users`,
        [acme.schemaName, acme.roleName],
      );
      expect(left.rows[0]).toEqual({ tenants: '0', schemas: '0', roles: '0', users: '0' });
    });
  });

  it('a tenant whose role exists in the cluster (here: the source cluster itself)', async () => {
    const target = await createEmptyTestDatabase(inject('databaseBaseUrl'));
    extraDatabases.push(target.name);
    expect(
      await failure(
        restoreTenant(
          { databaseUrl: target.url, archiveDir: backup.dir, tenantRoleSecret: targetSecret },
          ring,
        ),
      ),
    ).toEqual({ code: 'CONFLICT', reason: 'role_exists' });
  });
});

describe('restore', () => {
  it('restores into a brand-new database, verified, with the target secret', async () => {
    const url = cluster.url('restore', 'anh_restored');
    const result = await restoreTenant(
      { databaseUrl: url, archiveDir: backup.dir, tenantRoleSecret: targetSecret },
      ring,
    );
    console.log(`restore: ${JSON.stringify(result)}`);
    expect(result).toMatchObject({
      tenantId: acme.id,
      slug: acme.slug,
      users: { created: 1, alreadyThere: 0 },
      referencesCleared: 1,
      migrationsApplied: [],
      reports: { reports: 3, sites: 1 },
      audit: { anchors: 1 },
    });

    // Row counts: equal table by table, but the audit log, which has the restore on top.
    const source = await tableCounts(testDb().url, acme.schemaName);
    const restored = await tableCounts(url, acme.schemaName);
    expect(restored).toEqual({ ...source, audit_log: source.audit_log! + 1 });
    expect(result.audit.entries).toBe(source.audit_log! + 1);

    // Through the app, on the target, with the target's secret: chains verify, the same
    // reports (heads) as the source, the sealed delivery password opens with the key ring.
    const target = createDatabase({ url, tenantRoleSecret: targetSecret });
    try {
      const audit = await verifyTenantAudit(target, acme.id);
      expect(audit).toMatchObject({ ok: true, problems: [] });
      const chains = await target.withTenantClient(acme.id, verifyReportChains);
      const sourceChains = await testDb().db.withTenantClient(acme.id, verifyReportChains);
      expect(chains.ok).toBe(true);
      expect(chains.sites).toEqual(sourceChains.sites);
      const delivery = await target.withTenantClient(acme.id, (c) =>
        loadDeliveryTarget(c, acme.id, ring),
      );
      expect(delivery?.password).toBe('ftp-secret-acme');
      const last = await target.withTenantClient(acme.id, async (c) => {
        const { rows } = await c.query<{ action: string }>(
          'SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1',
        );
        return rows[0]!.action;
      });
      expect(last).toBe('tenant.restored');
    } finally {
      await target.close();
    }

    // The source's secret does not open the restored tenant: its password is the target's.
    const withSourceSecret = createDatabase({ url, tenantRoleSecret: inject('tenantRoleSecret') });
    try {
      await expect(
        withSourceSecret.withTenantClient(acme.id, (c) => c.query('SELECT 1')),
      ).rejects.toThrow(/password authentication failed/);
    } finally {
      await withSourceSecret.close();
    }

    // Nothing of the other tenant arrived; the control rows are the tenant's own.
    await withConnection(url, async (client) => {
      const { rows } = await client.query(
        `SELECT (SELECT array_agg(id::text) FROM control.tenants) AS tenants,
                (SELECT array_agg(email ORDER BY email) FROM control.users) AS users,
                (SELECT count(*) FROM control.connector_credentials) AS connectors,
                (SELECT invited_by FROM control.invitations) AS invited_by,
                (SELECT array_agg(nspname::text) FROM pg_namespace WHERE nspname LIKE 't\\_%') AS schemas,
                (SELECT array_agg(rolname::text) FROM pg_roles WHERE rolname LIKE 'anh\\_t\\_%') AS roles,
                (SELECT action FROM control.audit_log ORDER BY seq DESC LIMIT 1) AS platform_event`,
      );
      expect(rows[0]).toEqual({
        tenants: [acme.id],
        users: [engineer.email],
        connectors: '1',
        invited_by: null,
        schemas: [acme.schemaName],
        roles: [acme.roleName],
        platform_event: 'tenant.restored',
      });
    });

    // Restoring it again over itself is refused.
    expect(
      await failure(
        restoreTenant(
          { databaseUrl: url, archiveDir: backup.dir, tenantRoleSecret: targetSecret },
          ring,
        ),
      ),
    ).toEqual({ code: 'CONFLICT', reason: 'tenant_exists' });
  });
});
