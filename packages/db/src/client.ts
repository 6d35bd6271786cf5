import { eq, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { AppError } from '@anh/domain/errors';
import type { TenantStatus } from '@anh/domain/tenancy';
import * as controlSchema from './schema/control';
import * as tenantSchema from './schema/tenant';
import { quoteIdent, tenantIdSchema } from './names';
import { tenantRolePassword } from './scram';

export type ControlDb = NodePgDatabase<typeof controlSchema>;
export type TenantDb = NodePgDatabase<typeof tenantSchema>;
/** The handle tenant code gets: a transaction, as the tenant's role, in the tenant's schema. */
export type TenantTx = Parameters<Parameters<TenantDb['transaction']>[0]>[0];

export interface DatabaseConfig {
  /** The platform's connection (control schema, provisioning, migrations). */
  url: string;
  /** Secret from which each tenant role's password is derived (never stored). */
  tenantRoleSecret: string;
  /** Connections per tenant pool; a tenant pool is opened on first use. */
  tenantPoolMax?: number;
  controlPoolMax?: number;
  applicationName?: string;
}

export interface WithTenantOptions {
  /** Suspended tenants are read-only in spirit; callers that only read may pass true. */
  allowSuspended?: boolean;
}

interface TenantPool {
  pool: pg.Pool;
  db: TenantDb;
}

export interface Database {
  readonly config: Readonly<DatabaseConfig>;
  /** Platform connection pool. Never hand it, or `control`, to code acting for a tenant. */
  readonly controlPool: pg.Pool;
  readonly control: ControlDb;
  /**
   * Runs `work` in one transaction as the tenant's own PostgreSQL role, whose only
   * privileges are on its own schema. Commits when `work` resolves, rolls back when it
   * throws. Even hand-written SQL inside cannot reach another tenant: PostgreSQL refuses.
   */
  withTenant<T>(
    tenantId: string,
    work: (tx: TenantTx) => Promise<T>,
    options?: WithTenantOptions,
  ): Promise<T>;
  /**
   * The same guarantee as withTenant, with the raw `pg` client of the transaction: for
   * bulk paths (COPY, array parameters) where a query builder only costs time.
   */
  withTenantClient<T>(
    tenantId: string,
    work: (client: pg.PoolClient) => Promise<T>,
    options?: WithTenantOptions,
  ): Promise<T>;
  /** Closes a tenant's pool (after deprovisioning, or to pick up a new password). */
  evictTenant(tenantId: string): Promise<void>;
  close(): Promise<void>;
}

function silenceIdleErrors(pool: pg.Pool): pg.Pool {
  // An idle client that loses its server emits 'error' on the pool; without a listener
  // Node would crash the process. The next checkout opens a fresh connection instead.
  pool.on('error', () => undefined);
  // A CHECKED-OUT client whose server goes away (a failover, a restart mid-COPY) emits
  // 'error' on itself: without a listener that too ends the process. The query in flight
  // still rejects, so the caller sees the failure; the broken client is not reused.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export function createDatabase(config: DatabaseConfig): Database {
  const applicationName = config.applicationName ?? 'anh';
  const controlPool = silenceIdleErrors(
    new pg.Pool({
      connectionString: config.url,
      max: config.controlPoolMax ?? 10,
      application_name: `${applicationName}:control`,
    }),
  );
  const control = drizzle({ client: controlPool, schema: controlSchema });
  const tenantPools = new Map<string, TenantPool>();

  function tenantPool(tenantId: string, roleName: string): TenantPool {
    let entry = tenantPools.get(tenantId);
    if (!entry) {
      const url = new URL(config.url);
      url.username = roleName;
      url.password = tenantRolePassword(config.tenantRoleSecret, roleName);
      const pool = silenceIdleErrors(
        new pg.Pool({
          connectionString: url.toString(),
          max: config.tenantPoolMax ?? 4,
          idleTimeoutMillis: 30_000,
          application_name: `${applicationName}:tenant`,
        }),
      );
      entry = { pool, db: drizzle({ client: pool, schema: tenantSchema }) };
      tenantPools.set(tenantId, entry);
    }
    return entry;
  }

  async function openTenant(
    tenantId: string,
    options: WithTenantOptions,
  ): Promise<{ entry: TenantPool; schemaName: string }> {
    if (!tenantIdSchema.safeParse(tenantId).success) {
      throw new AppError('NOT_FOUND', 'Tenant not found', { details: { tenantId } });
    }
    const [tenant] = await control
      .select({
        status: controlSchema.tenants.status,
        schemaName: controlSchema.tenants.schemaName,
        roleName: controlSchema.tenants.roleName,
      })
      .from(controlSchema.tenants)
      .where(eq(controlSchema.tenants.id, tenantId));
    if (!tenant) throw new AppError('NOT_FOUND', 'Tenant not found', { details: { tenantId } });
    const allowed: TenantStatus[] = options.allowSuspended ? ['active', 'suspended'] : ['active'];
    if (!allowed.includes(tenant.status)) {
      throw new AppError('TENANT_INACTIVE', `Tenant is ${tenant.status}`, {
        details: { tenantId, status: tenant.status },
      });
    }
    return { entry: tenantPool(tenantId, tenant.roleName), schemaName: tenant.schemaName };
  }

  // The role's default search_path is already its schema; setting it per transaction
  // keeps the guarantee even if earlier work on the connection changed it.
  const searchPath = (schemaName: string) => `SET LOCAL search_path TO ${quoteIdent(schemaName)}`;

  async function withTenant<T>(
    tenantId: string,
    work: (tx: TenantTx) => Promise<T>,
    options: WithTenantOptions = {},
  ): Promise<T> {
    const { entry, schemaName } = await openTenant(tenantId, options);
    return entry.db.transaction(async (tx) => {
      await tx.execute(sql.raw(searchPath(schemaName)));
      return work(tx);
    });
  }

  async function withTenantClient<T>(
    tenantId: string,
    work: (client: pg.PoolClient) => Promise<T>,
    options: WithTenantOptions = {},
  ): Promise<T> {
    const { entry, schemaName } = await openTenant(tenantId, options);
    const client = await entry.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query(searchPath(schemaName));
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is unusable: destroy it rather than return it to the pool.
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async function evictTenant(tenantId: string): Promise<void> {
    const entry = tenantPools.get(tenantId);
    tenantPools.delete(tenantId);
    await entry?.pool.end();
  }

  async function close(): Promise<void> {
    const pools = [...tenantPools.values()].map((entry) => entry.pool.end());
    tenantPools.clear();
    await Promise.all([...pools, controlPool.end()]);
  }

  return { config, controlPool, control, withTenant, withTenantClient, evictTenant, close };
}
