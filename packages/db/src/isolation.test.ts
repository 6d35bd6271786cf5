import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@anh/domain/errors';
import { useTestDatabase } from '../test/use-test-database';
import { seedField, seedTenant } from './seed';
import type { Tenant } from './tenants';
import { sites } from './schema/tenant';
import type { TenantTx } from './client';

/**
 * Tenant isolation is enforced by PostgreSQL, not by query discipline: inside
 * withTenant(A) every way of naming tenant B's data or escaping A's role must fail.
 */
const testDb = useTestDatabase();
let a: Tenant;
let b: Tenant;
let bSiteId: string;

beforeAll(async () => {
  const { db } = testDb();
  a = await seedTenant(db);
  b = await seedTenant(db);
  await seedField(db, a.id, { wells: 2 });
  bSiteId = (await seedField(db, b.id, { wells: 2 })).siteId;
});

/** Runs raw SQL as tenant A and returns the PostgreSQL error code it fails with. */
async function failureCodeAsA(...statements: string[]): Promise<string> {
  const { db } = testDb();
  try {
    await db.withTenant(a.id, async (tx: TenantTx) => {
      for (const statement of statements) await tx.execute(sql.raw(statement));
    });
  } catch (error) {
    // drizzle wraps the driver error; PostgreSQL's SQLSTATE is on its cause.
    const failure = error as { code?: string; cause?: { code?: string } };
    return failure.cause?.code ?? failure.code ?? `no code: ${String(error)}`;
  }
  return 'succeeded';
}

const B = () => `"${b.schemaName}"`;

describe('withTenant', () => {
  it('reads and writes its own schema', async () => {
    const { db } = testDb();
    const own = await db.withTenant(a.id, (tx) => tx.select().from(sites));
    expect(own).toHaveLength(1);
    const who = await db.withTenant(a.id, (tx) =>
      tx.execute<{ user: string; schema: string }>(
        sql`SELECT current_user AS user, current_schema() AS schema`,
      ),
    );
    expect(who.rows[0]).toEqual({ user: a.roleName, schema: a.schemaName });
  });

  it("cannot find tenant B's rows through typed queries", async () => {
    const { db } = testDb();
    const rows = await db.withTenant(a.id, (tx) =>
      tx
        .select()
        .from(sites)
        .where(sql`id = ${bSiteId}`),
    );
    expect(rows).toEqual([]);
  });

  it("refuses SQL that names tenant B's schema: read, write, create", async () => {
    expect(await failureCodeAsA(`SELECT * FROM ${B()}.sites`)).toBe('42501');
    expect(await failureCodeAsA(`SELECT count(*) FROM ${B()}.audit_log`)).toBe('42501');
    expect(
      await failureCodeAsA(
        `INSERT INTO ${B()}.sites (code, name, field_name) VALUES ('X', 'x', 'x')`,
      ),
    ).toBe('42501');
    expect(await failureCodeAsA(`UPDATE ${B()}.sites SET name = 'pwned'`)).toBe('42501');
    expect(await failureCodeAsA(`DELETE FROM ${B()}.variables`)).toBe('42501');
    expect(await failureCodeAsA(`CREATE TABLE ${B()}.intruder (id int)`)).toBe('42501');
    expect(await failureCodeAsA(`DROP TABLE ${B()}.sites`)).toBe('42501');
  });

  it('cannot escape its role with SET ROLE, RESET ROLE or SET SESSION AUTHORIZATION', async () => {
    expect(await failureCodeAsA(`SET ROLE "${b.roleName}"`)).toBe('42501');
    expect(await failureCodeAsA('SET ROLE postgres')).toBe('42501');
    expect(await failureCodeAsA('SET SESSION AUTHORIZATION postgres')).toBe('42501');
    // RESET ROLE succeeds but leaves the session as tenant A: still no way into B.
    expect(await failureCodeAsA('RESET ROLE', `SELECT * FROM ${B()}.sites`)).toBe('42501');
    expect(await failureCodeAsA('SET ROLE NONE', `SELECT * FROM ${B()}.sites`)).toBe('42501');
    const { db } = testDb();
    const after = await db.withTenant(a.id, async (tx) => {
      await tx.execute(sql`RESET ROLE`);
      return tx.execute<{ user: string }>(sql`SELECT current_user AS user`);
    });
    expect(after.rows[0]!.user).toBe(a.roleName);
  });

  it("cannot reach B's tables by changing search_path", async () => {
    const code = await failureCodeAsA(`SET search_path TO ${B()}`, 'SELECT * FROM sites');
    // A schema without USAGE is skipped in the search_path: "sites" does not resolve.
    expect(['42501', '42P01']).toContain(code);
    expect(
      await failureCodeAsA(`SET search_path TO ${B()}, public`, 'SELECT * FROM sites'),
    ).not.toBe('succeeded');
  });

  it("cannot list B's tables through the catalogs or measure them", async () => {
    const schema = b.schemaName;
    expect(
      await failureCodeAsA(
        `SELECT relname FROM pg_class WHERE relnamespace = '${schema}'::regnamespace`,
      ),
    ).toBe('42501');
    expect(
      await failureCodeAsA(`SELECT tablename FROM pg_tables WHERE schemaname = '${schema}'`),
    ).toBe('42501');
    expect(await failureCodeAsA(`SELECT nspname FROM pg_namespace`)).toBe('42501');
    expect(await failureCodeAsA(`SELECT relname, n_live_tup FROM pg_stat_user_tables`)).toBe(
      '42501',
    );
    expect(await failureCodeAsA(`SELECT pg_total_relation_size('${schema}.sites')`)).toBe('42501');
    const { db } = testDb();
    // information_schema filters by privilege; with the catalogs closed it refuses outright.
    const listed = await db
      .withTenant(a.id, (tx) =>
        tx.execute(
          sql`SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema}`,
        ),
      )
      .then((r) => r.rows.length)
      .catch(() => 0);
    expect(listed).toBe(0);
  });

  it('has no access to the control schema', async () => {
    expect(await failureCodeAsA('SELECT * FROM control.tenants')).toBe('42501');
    expect(await failureCodeAsA('SELECT * FROM control.users')).toBe('42501');
    expect(await failureCodeAsA("UPDATE control.memberships SET role = 'admin'")).toBe('42501');
  });

  it('keeps its guarantees on a pooled connection after session-level changes', async () => {
    const { db } = testDb();
    await db.withTenant(a.id, async (tx) => {
      await tx.execute(sql`SET SESSION search_path TO public`);
    });
    const own = await db.withTenant(a.id, (tx) => tx.select().from(sites));
    expect(own).toHaveLength(1);
  });

  it('rolls back everything when the work throws', async () => {
    const { db } = testDb();
    await expect(
      db.withTenant(a.id, async (tx) => {
        await tx.insert(sites).values({ code: 'ROLLBACK-ME', name: 'x', fieldName: 'x' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const own = await db.withTenant(a.id, (tx) => tx.select().from(sites));
    expect(own.map((s) => s.code)).not.toContain('ROLLBACK-ME');
  });

  it('answers NOT_FOUND for unknown or malformed tenant ids', async () => {
    const { db } = testDb();
    for (const id of [
      '00000000-0000-4000-8000-000000000000',
      'not-a-uuid',
      "'; DROP SCHEMA control; --",
    ]) {
      const error = await db.withTenant(id, async () => 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('NOT_FOUND');
    }
  });
});
