import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AppError } from '@anh/domain/errors';
import { nitCheckDigit } from '@anh/domain/nit';
import { useTestDatabase } from '../test/use-test-database';
import { withConnection } from './admin';
import { readAuditChain } from './audit-store';
import { controlAuditLog, tenants } from './schema/control';
import { auditLog, sites } from './schema/tenant';
import { randomNit, randomSuffix, seedField, seedTenant } from './seed';
import {
  deprovisionTenant,
  provisionTenant,
  verifyControlAudit,
  verifyTenantAudit,
} from './tenants';

const testDb = useTestDatabase();

function newTenantInput() {
  const suffix = randomSuffix();
  return {
    slug: `campo-${suffix}`,
    legalName: `Petrolera ${suffix} S.A.S.`,
    nit: randomNit(),
    anhOperatorCode: `ANH${suffix.toUpperCase()}`,
  };
}

async function schemaExists(url: string, schema: string): Promise<boolean> {
  return withConnection(
    url,
    async (c) =>
      (await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1,
  );
}

async function roleExists(url: string, role: string): Promise<boolean> {
  return withConnection(
    url,
    async (c) =>
      (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1,
  );
}

describe('provisionTenant', () => {
  it('creates the control row, a schema owned by its own role, the tables and the first audit entry', async () => {
    const { db, url } = testDb();
    const { tenant, created } = await provisionTenant(db, newTenantInput(), { actor: 'user:test' });
    expect(created).toBe(true);
    const owner = await withConnection(url, (c) =>
      c.query<{ owner: string }>(
        'SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1',
        [tenant.schemaName],
      ),
    );
    expect(owner.rows[0]!.owner).toBe(tenant.roleName);
    const audit = await db.withTenant(tenant.id, (tx) => readAuditChain(tx, auditLog));
    expect(audit.map((e) => e.action)).toEqual(['tenant.provisioned']);
    expect((await verifyTenantAudit(db, tenant.id)).ok).toBe(true);
  });

  it('is harmless when run twice, sequentially or at the same time', async () => {
    const { db } = testDb();
    const input = newTenantInput();
    const first = await provisionTenant(db, input, { actor: 'user:test' });
    await seedField(db, first.tenant.id, { wells: 1 });
    const again = await provisionTenant(db, input, { actor: 'user:test' });
    expect(again).toMatchObject({ created: false, tenant: { id: first.tenant.id } });
    expect(await db.withTenant(first.tenant.id, (tx) => tx.select().from(sites))).toHaveLength(1);

    const concurrent = newTenantInput();
    const results = await Promise.all(
      [1, 2, 3].map(() => provisionTenant(db, concurrent, { actor: 'user:test' })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.tenant.id)).size).toBe(1);
    const rows = await db.control.select().from(tenants).where(eq(tenants.slug, concurrent.slug));
    expect(rows).toHaveLength(1);
    const audit = await db.withTenant(rows[0]!.id, (tx) => readAuditChain(tx, auditLog));
    expect(audit.filter((e) => e.action === 'tenant.provisioned')).toHaveLength(1);
  });

  it('refuses a taken slug with other company data, and a NIT already registered', async () => {
    const { db } = testDb();
    const input = newTenantInput();
    await provisionTenant(db, input, { actor: 'user:test' });
    const slugClash = await provisionTenant(
      db,
      { ...input, legalName: 'Otra S.A.' },
      { actor: 'user:test' },
    ).catch((e: unknown) => e);
    expect(slugClash).toBeInstanceOf(AppError);
    expect((slugClash as AppError).code).toBe('CONFLICT');
    const nitClash = await provisionTenant(
      db,
      { ...newTenantInput(), nit: input.nit },
      { actor: 'user:test' },
    ).catch((e: unknown) => e);
    expect((nitClash as AppError).code).toBe('CONFLICT');
  });

  it('rejects invalid input with a VALIDATION error that names every bad field, creating nothing', async () => {
    const { db } = testDb();
    const base = '900123456';
    const wrongDigit = (nitCheckDigit(base) + 1) % 10;
    const input = { ...newTenantInput(), nit: `${base}-${wrongDigit}`, slug: 'Bad Slug!' };
    const error = await provisionTenant(db, input, { actor: 'user:test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION');
    const paths = ((error as AppError).details!.problems as Array<{ path: string }>).map(
      (p) => p.path,
    );
    expect(paths).toEqual(expect.arrayContaining(['nit', 'slug']));
    expect(await db.control.select().from(tenants).where(eq(tenants.slug, input.slug))).toEqual([]);
  });
});

describe('deprovisionTenant', () => {
  it('keeps the data by default, stops the role from logging in, and is audited', async () => {
    const { db, url } = testDb();
    const tenant = await seedTenant(db);
    await seedField(db, tenant.id, { wells: 1 });
    const result = await deprovisionTenant(db, tenant.id, { actor: 'user:admin' });
    expect(result.status).toBe('deprovisioned');
    expect(await deprovisionTenant(db, tenant.id, { actor: 'user:admin' })).toMatchObject({
      status: 'deprovisioned',
    });

    const error = await db.withTenant(tenant.id, async () => 1).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('TENANT_INACTIVE');
    const asRole = new URL(url);
    asRole.username = tenant.roleName;
    const loginError = await withConnection(asRole.toString(), async () => 'connected').catch(
      (e: pg.DatabaseError) => e.code,
    );
    expect(loginError).toBe('28000'); // role is not permitted to log in

    expect(await schemaExists(url, tenant.schemaName)).toBe(true);
    const kept = await withConnection(url, (c) =>
      c.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${tenant.schemaName}".sites`),
    );
    expect(kept.rows[0]!.n).toBe(1);
    const tenantAudit = await withConnection(url, (c) =>
      c.query<{ action: string }>(
        `SELECT action FROM "${tenant.schemaName}".audit_log ORDER BY seq`,
      ),
    );
    expect(tenantAudit.rows.map((r) => r.action)).toEqual([
      'tenant.provisioned',
      'site.created',
      'tenant.deprovisioned',
    ]);
    const controlAudit = await readAuditChain(db.control, controlAuditLog);
    expect(controlAudit.filter((e) => e.entityId === tenant.id).map((e) => e.action)).toEqual([
      'tenant.provisioned',
      'tenant.deprovisioned',
    ]);
  });

  it('drops schema and role only when told to, and records it', async () => {
    const { db, url } = testDb();
    const tenant = await seedTenant(db);
    await seedField(db, tenant.id);
    await deprovisionTenant(db, tenant.id, { actor: 'user:admin', dropData: true });
    expect(await schemaExists(url, tenant.schemaName)).toBe(false);
    expect(await roleExists(url, tenant.roleName)).toBe(false);
    await deprovisionTenant(db, tenant.id, { actor: 'user:admin', dropData: true });
    const controlAudit = await readAuditChain(db.control, controlAuditLog);
    expect(controlAudit.filter((e) => e.entityId === tenant.id).map((e) => e.action)).toEqual([
      'tenant.provisioned',
      'tenant.data_dropped',
    ]);
    expect((await verifyControlAudit(db)).ok).toBe(true);
    const reuse = await provisionTenant(
      db,
      {
        slug: tenant.slug,
        legalName: tenant.legalName,
        nit: `${tenant.nitBase}-${tenant.nitCheckDigit}`,
        anhOperatorCode: tenant.anhOperatorCode,
      },
      { actor: 'user:admin' },
    ).catch((e: unknown) => e);
    expect((reuse as AppError).code).toBe('CONFLICT');
  });

  it('ends open sessions of the tenant role', async () => {
    const { db, url } = testDb();
    const tenant = await seedTenant(db);
    const asRole = new URL(url);
    asRole.username = tenant.roleName;
    const client = new pg.Client({ connectionString: asRole.toString() });
    client.on('error', () => undefined);
    await client.connect();
    await deprovisionTenant(db, tenant.id, { actor: 'user:admin' });
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);
    await db.control.execute(sql`SELECT 1`);
  });
});
