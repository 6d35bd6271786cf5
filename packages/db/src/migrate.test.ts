import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { AppError } from '@anh/domain/errors';
import { useTestDatabase } from '../test/use-test-database';
import { withConnection } from './admin';
import { createDatabase } from './client';
import { migrateAll } from './migrate';
import {
  BUNDLE_PATH,
  MIGRATIONS_ROOT,
  readMigrationFolder,
  renderMigrationBundle,
} from './migration-files';
import { seedTenant } from './seed';
import { createEmptyTestDatabase, dropTestDatabase } from './testing';

const testDb = useTestDatabase();
const emptyDatabases: string[] = [];
afterAll(async () => {
  for (const name of emptyDatabases) await dropTestDatabase(inject('databaseBaseUrl'), name);
});

describe('migrateAll', () => {
  it('migrates an empty database when run concurrently, each migration applied once', async () => {
    const { name, url } = await createEmptyTestDatabase(inject('databaseBaseUrl'));
    emptyDatabases.push(name);
    const secret = inject('tenantRoleSecret');
    const summaries = await Promise.all(
      [1, 2, 3].map(() => withConnection(url, (client) => migrateAll(client, secret))),
    );
    const appliedBy = summaries.map((s) => s.control.length);
    expect(appliedBy.sort()).toEqual([
      0,
      0,
      readMigrationFolder(join(MIGRATIONS_ROOT, 'control')).length,
    ]);
    const tracked = await withConnection(url, (c) =>
      c.query('SELECT tag FROM anh_migrations.control'),
    );
    expect(tracked.rowCount).toBe(readMigrationFolder(join(MIGRATIONS_ROOT, 'control')).length);
  });

  it('is a no-op the second time, for the control schema and every tenant', async () => {
    const { db, url } = testDb();
    const tenants = [await seedTenant(db), await seedTenant(db)];
    const summary = await withConnection(url, (c) => migrateAll(c, inject('tenantRoleSecret')));
    expect(summary.control).toEqual([]);
    const ours = summary.tenants.filter((t) => tenants.some((x) => x.id === t.tenantId));
    expect(ours).toHaveLength(2);
    expect(ours.every((t) => t.applied.length === 0)).toBe(true);
  });

  it('brings a tenant schema that is behind up to date, as the tenant role', async () => {
    const { db, url } = testDb();
    const tenant = await seedTenant(db);
    const schema = `"${tenant.schemaName}"`;
    // Simulate a tenant provisioned before migration 0001 existed.
    await withConnection(url, async (c) => {
      await c.query(`DROP TRIGGER audit_log_no_update_delete ON ${schema}.audit_log`);
      await c.query(`DROP TRIGGER audit_log_no_truncate ON ${schema}.audit_log`);
      await c.query(`DROP FUNCTION ${schema}.audit_log_append_only()`);
      await c.query(`DELETE FROM ${schema}._migrations WHERE tag = '0001_audit_append_only'`);
    });
    const summary = await withConnection(url, (c) => migrateAll(c, inject('tenantRoleSecret')));
    expect(summary.tenants.find((t) => t.tenantId === tenant.id)?.applied).toEqual([
      '0001_audit_append_only',
    ]);
    const owner = await withConnection(url, (c) =>
      c.query<{ owner: string }>(
        `SELECT pg_get_userbyid(proowner) AS owner FROM pg_proc WHERE proname = 'audit_log_append_only' AND pronamespace = $1::regnamespace`,
        [tenant.schemaName],
      ),
    );
    expect(owner.rows[0]!.owner).toBe(tenant.roleName);
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    const { url } = testDb();
    await withConnection(url, (c) =>
      c.query(`UPDATE anh_migrations.control SET hash = repeat('0', 64) WHERE tag = '0000_init'`),
    );
    const error = await withConnection(url, (c) => migrateAll(c, inject('tenantRoleSecret'))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INTEGRITY');
    const { rows } = await withConnection(url, async (c) => {
      const original = readMigrationFolder(join(MIGRATIONS_ROOT, 'control'))[0]!;
      const { createHash } = await import('node:crypto');
      await c.query(`UPDATE anh_migrations.control SET hash = $1 WHERE tag = '0000_init'`, [
        createHash('sha256').update(original.sql).digest('hex'),
      ]);
      return c.query('SELECT 1');
    });
    expect(rows).toHaveLength(1);
  });

  it('creates tenant tables inside the tenant schema only', async () => {
    const { db, url } = testDb();
    const tenant = await seedTenant(db);
    const { rows } = await withConnection(url, (c) =>
      c.query<{ schema: string }>(
        `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'measurement_points'`,
      ),
    );
    expect(rows.map((r) => r.schema)).toContain(tenant.schemaName);
    expect(rows.map((r) => r.schema)).not.toContain('public');
    // The tenant's own connection works right after provisioning.
    const fresh = createDatabase({ url, tenantRoleSecret: inject('tenantRoleSecret') });
    await expect(fresh.withTenant(tenant.id, async () => 'ok')).resolves.toBe('ok');
    await fresh.close();
  });
});

describe('migration bundle', () => {
  it('matches the SQL files drizzle-kit wrote (run `npm run generate -w @anh/db` if not)', () => {
    const expected = renderMigrationBundle(
      readMigrationFolder(join(MIGRATIONS_ROOT, 'control')),
      readMigrationFolder(join(MIGRATIONS_ROOT, 'tenant')),
    );
    expect(readFileSync(BUNDLE_PATH, 'utf8')).toBe(expected);
  });
});
