import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { verifyAuditChain, type AuditVerification } from '@anh/domain/audit';
import { AppError, validationError } from '@anh/domain/errors';
import { newTenantSchema, type NewTenantInput } from '@anh/domain/tenancy';
import { appendControlAudit, appendTenantAudit, readAuditChain } from './audit-store';
import type { Database } from './client';
import {
  applyTenantMigrationsInTransaction,
  ensureTenantRoleAndSchema,
  inTransaction,
  withMigrationLock,
} from './migrate';
import { quoteIdent, tenantRoleName, tenantSchemaName } from './names';
import * as controlSchema from './schema/control';
import { auditLog as tenantAuditLog } from './schema/tenant';

export type Tenant = typeof controlSchema.tenants.$inferSelect;

async function withPlatformClient<T>(
  db: Database,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await db.controlPool.connect();
  try {
    return await work(client);
  } finally {
    client.release();
  }
}

function sameCompany(tenant: Tenant, input: ReturnType<typeof newTenantSchema.parse>): boolean {
  return (
    tenant.nitBase === input.nit.base &&
    tenant.nitCheckDigit === input.nit.checkDigit &&
    tenant.anhOperatorCode === input.anhOperatorCode &&
    tenant.legalName === input.legalName
  );
}

/**
 * Creates a tenant: its control row, its PostgreSQL role and schema, its tables, and the
 * first entries of its audit trail, all in one transaction. Provisioning the same tenant
 * again (same slug and company data) returns it unchanged and repairs anything missing;
 * the same slug with different company data is a CONFLICT.
 */
export async function provisionTenant(
  db: Database,
  input: NewTenantInput,
  options: { actor: string },
): Promise<{ tenant: Tenant; created: boolean }> {
  const parsed = newTenantSchema.safeParse(input);
  if (!parsed.success) throw validationError('Tenant', parsed.error.issues);
  const data = parsed.data;

  return withPlatformClient(db, (client) =>
    withMigrationLock(client, () =>
      inTransaction(client, async () => {
        const platform = drizzle({ client, schema: controlSchema });
        const [existing] = await platform
          .select()
          .from(controlSchema.tenants)
          .where(eq(controlSchema.tenants.slug, data.slug));
        if (existing) {
          if (existing.status === 'deprovisioned' || !sameCompany(existing, data)) {
            throw new AppError('CONFLICT', `Tenant slug "${data.slug}" is already taken`, {
              details: { slug: data.slug },
            });
          }
          const names = { schemaName: existing.schemaName, roleName: existing.roleName };
          await ensureTenantRoleAndSchema(client, names, db.config.tenantRoleSecret);
          await applyTenantMigrationsInTransaction(client, names);
          return { tenant: existing, created: false };
        }

        const clash = await platform
          .select({ slug: controlSchema.tenants.slug })
          .from(controlSchema.tenants)
          .where(eq(controlSchema.tenants.nitBase, data.nit.base));
        if (clash.length > 0) {
          throw new AppError('CONFLICT', 'A tenant with this NIT already exists', {
            details: { nit: data.nit.base },
          });
        }
        const id = randomUUID();
        const names = { schemaName: tenantSchemaName(id), roleName: tenantRoleName(id) };
        const [tenant] = await platform
          .insert(controlSchema.tenants)
          .values({
            id,
            slug: data.slug,
            legalName: data.legalName,
            nitBase: data.nit.base,
            nitCheckDigit: data.nit.checkDigit,
            anhOperatorCode: data.anhOperatorCode,
            status: 'active',
            ...names,
          })
          .returning();
        const summary = {
          slug: data.slug,
          legalName: data.legalName,
          anhOperatorCode: data.anhOperatorCode,
        };
        await appendControlAudit(platform, {
          actor: options.actor,
          action: 'tenant.provisioned',
          entity: 'tenant',
          entityId: id,
          data: summary,
        });
        await ensureTenantRoleAndSchema(client, names, db.config.tenantRoleSecret);
        await applyTenantMigrationsInTransaction(client, names);
        // Still inside the transaction, now as the tenant role in its schema.
        await appendTenantAudit(drizzle({ client }), {
          actor: options.actor,
          action: 'tenant.provisioned',
          entity: 'tenant',
          entityId: id,
          data: summary,
        });
        return { tenant: tenant!, created: true };
      }),
    ),
  );
}

/**
 * Takes a tenant out of service: its role can no longer log in and its open sessions
 * are ended. Data stays unless `dropData` is set, in which case the schema and the role
 * are dropped for good. Both paths are recorded in the control audit log (which outlives
 * the tenant's own). Calling it again is harmless.
 */
export async function deprovisionTenant(
  db: Database,
  tenantId: string,
  options: { actor: string; dropData?: boolean },
): Promise<Tenant> {
  const [tenant] = await db.control
    .select()
    .from(controlSchema.tenants)
    .where(eq(controlSchema.tenants.id, tenantId));
  if (!tenant) throw new AppError('NOT_FOUND', 'Tenant not found', { details: { tenantId } });
  const role = quoteIdent(tenant.roleName);

  const updated = await withPlatformClient(db, (client) =>
    withMigrationLock(client, async () => {
      const schemaExists =
        (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [tenant.schemaName]))
          .rowCount === 1;
      const roleExists =
        (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [tenant.roleName]))
          .rowCount === 1;
      const dropData = options.dropData === true;
      if (tenant.status === 'deprovisioned' && (!dropData || (!schemaExists && !roleExists))) {
        return tenant;
      }

      if (roleExists) await client.query(`ALTER ROLE ${role} NOLOGIN`);
      await client.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1',
        [tenant.roleName],
      );

      return inTransaction(client, async () => {
        const platform = drizzle({ client, schema: controlSchema });
        if (schemaExists && tenant.status !== 'deprovisioned') {
          await client.query(`SET LOCAL ROLE ${role}`);
          await client.query(`SET LOCAL search_path TO ${quoteIdent(tenant.schemaName)}`);
          await appendTenantAudit(drizzle({ client }), {
            actor: options.actor,
            action: 'tenant.deprovisioned',
            entity: 'tenant',
            entityId: tenant.id,
            data: { dropData },
          });
          await client.query('RESET ROLE');
        }
        if (dropData) {
          if (schemaExists)
            await client.query(`DROP SCHEMA ${quoteIdent(tenant.schemaName)} CASCADE`);
          if (roleExists) {
            await client.query(`DROP OWNED BY ${role}`);
            await client.query(`DROP ROLE ${role}`);
          }
        }
        const [row] = await platform
          .update(controlSchema.tenants)
          .set({
            status: 'deprovisioned',
            deprovisionedAt: tenant.deprovisionedAt ?? new Date(),
            updatedAt: new Date(),
          })
          .where(eq(controlSchema.tenants.id, tenant.id))
          .returning();
        await appendControlAudit(platform, {
          actor: options.actor,
          action: dropData ? 'tenant.data_dropped' : 'tenant.deprovisioned',
          entity: 'tenant',
          entityId: tenant.id,
          data: { slug: tenant.slug },
        });
        return row!;
      });
    }),
  );
  await db.evictTenant(tenant.id);
  return updated;
}

/**
 * Records the current head of a tenant's audit chain in the control schema, where the
 * tenant role cannot reach it. Later verifications check every anchor is still there.
 */
export async function anchorTenantAudit(
  db: Database,
  tenantId: string,
): Promise<{ seq: number; hash: string } | null> {
  const [head] = await db.withTenant(
    tenantId,
    (tx) =>
      tx
        .select({ seq: tenantAuditLog.seq, hash: tenantAuditLog.hash })
        .from(tenantAuditLog)
        .orderBy(desc(tenantAuditLog.seq))
        .limit(1),
    { allowSuspended: true },
  );
  if (!head) return null;
  await db.control
    .insert(controlSchema.auditAnchors)
    .values({ tenantId, seq: head.seq, hash: head.hash })
    .onConflictDoNothing();
  return head;
}

export async function verifyTenantAudit(
  db: Database,
  tenantId: string,
): Promise<AuditVerification> {
  const entries = await db.withTenant(tenantId, (tx) => readAuditChain(tx, tenantAuditLog), {
    allowSuspended: true,
  });
  const anchors = await db.control
    .select({ seq: controlSchema.auditAnchors.seq, hash: controlSchema.auditAnchors.hash })
    .from(controlSchema.auditAnchors)
    .where(and(eq(controlSchema.auditAnchors.tenantId, tenantId)));
  return verifyAuditChain(entries, anchors);
}

export async function verifyControlAudit(db: Database): Promise<AuditVerification> {
  const entries = await readAuditChain(db.control, controlSchema.controlAuditLog);
  return verifyAuditChain(entries);
}
