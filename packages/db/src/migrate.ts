import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { AppError } from '@anh/domain/errors';
import type { MigrationSource } from './migration-files';
import { CONTROL_MIGRATIONS, TENANT_MIGRATIONS } from './migrations.generated';
import { quoteIdent, quoteLiteral } from './names';
import { tenantRolePassword, scramSha256Verifier } from './scram';

/**
 * Two levels of migrations, one mechanism. Control migrations run once per database;
 * tenant migrations run inside every tenant schema, as that tenant's role, so the
 * tenant owns what they create. Everything happens under one session-level advisory
 * lock, so two processes migrating at once simply take turns; each level applies its
 * pending files in one transaction, so a failure leaves the previous state intact.
 */
const MIGRATION_LOCK_KEY = 0x414e485f4d4947n; // "ANH_MIG"

export async function withMigrationLock<T>(client: ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
  try {
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
  }
}

interface PreparedMigration {
  tag: string;
  hash: string;
  statements: string[];
}

function prepare(source: MigrationSource, level: 'control' | 'tenant'): PreparedMigration {
  let sqlText = source.sql;
  if (level === 'tenant') {
    // drizzle-kit qualifies foreign-key targets with "public"; tenant files must stay
    // schema-relative so the search_path decides where they land.
    sqlText = sqlText.replaceAll('"public".', '');
    if (/"(public|control)"\s*\./.test(sqlText)) {
      throw new AppError('INTEGRITY', `tenant migration ${source.tag} names a fixed schema`);
    }
  }
  const statements = sqlText
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return {
    tag: source.tag,
    hash: createHash('sha256').update(source.sql).digest('hex'),
    statements,
  };
}

const CONTROL = CONTROL_MIGRATIONS.map((m) => prepare(m, 'control'));
const TENANT = TENANT_MIGRATIONS.map((m) => prepare(m, 'tenant'));

/** Applies what `applied` lacks; refuses if an applied migration was edited afterwards. */
async function applyPending(
  client: ClientBase,
  migrations: readonly PreparedMigration[],
  trackingTable: string,
  where: string,
): Promise<string[]> {
  const { rows } = await client.query<{ tag: string; hash: string }>(
    `SELECT tag, hash FROM ${trackingTable}`,
  );
  const applied = new Map(rows.map((r) => [r.tag, r.hash]));
  const done: string[] = [];
  for (const migration of migrations) {
    const appliedHash = applied.get(migration.tag);
    if (appliedHash !== undefined) {
      if (appliedHash !== migration.hash) {
        throw new AppError(
          'INTEGRITY',
          `migration ${migration.tag} in ${where} was changed after it was applied`,
        );
      }
      continue;
    }
    for (const statement of migration.statements) await client.query(statement);
    await client.query(`INSERT INTO ${trackingTable} (tag, hash) VALUES ($1, $2)`, [
      migration.tag,
      migration.hash,
    ]);
    done.push(migration.tag);
  }
  return done;
}

async function inTransaction<T>(client: ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

export async function applyControlMigrations(client: ClientBase): Promise<string[]> {
  return inTransaction(client, async () => {
    await client.query('CREATE SCHEMA IF NOT EXISTS anh_migrations');
    await client.query(
      `CREATE TABLE IF NOT EXISTS anh_migrations.control (
         tag text PRIMARY KEY, hash char(64) NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    return applyPending(client, CONTROL, 'anh_migrations.control', 'the control schema');
  });
}

export interface TenantPgNames {
  schemaName: string;
  roleName: string;
}

/**
 * Brings one tenant schema up to date. Must run inside a transaction; switches to the
 * tenant's role for the rest of that transaction.
 */
export async function applyTenantMigrationsInTransaction(
  client: ClientBase,
  names: TenantPgNames,
): Promise<string[]> {
  await client.query(`SET LOCAL ROLE ${quoteIdent(names.roleName)}`);
  await client.query(`SET LOCAL search_path TO ${quoteIdent(names.schemaName)}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS _migrations (
       tag text PRIMARY KEY, hash char(64) NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  return applyPending(client, TENANT, '_migrations', `schema ${names.schemaName}`);
}

/**
 * Creates (or repairs) a tenant's role and schema. Idempotent. Runs inside the caller's
 * transaction: PostgreSQL role and schema creation are transactional.
 */
export async function ensureTenantRoleAndSchema(
  client: ClientBase,
  names: TenantPgNames,
  tenantRoleSecret: string,
): Promise<void> {
  const role = quoteIdent(names.roleName);
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [names.roleName]);
  if (exists.rowCount === 0) {
    // NOINHERIT and no membership in any other role: the tenant's session can never
    // SET ROLE to anything but itself.
    await client.query(
      `CREATE ROLE ${role} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION CONNECTION LIMIT 20`,
    );
  }
  await setTenantRolePassword(client, names.roleName, tenantRoleSecret);
  const { rows } = await client.query<{ db: string; is_super: boolean }>(
    'SELECT current_database() AS db, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_super',
  );
  const { db, is_super: isSuper } = rows[0]!;
  await client.query(`GRANT CONNECT ON DATABASE ${quoteIdent(db)} TO ${role}`);
  // A non-superuser platform role must be a member to create a schema owned by the tenant.
  if (!isSuper) await client.query(`GRANT ${role} TO CURRENT_USER`);
  await client.query(
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(names.schemaName)} AUTHORIZATION ${role}`,
  );
  await client.query(`ALTER ROLE ${role} SET search_path TO ${quoteIdent(names.schemaName)}`);
}

export async function setTenantRolePassword(
  client: ClientBase,
  roleName: string,
  tenantRoleSecret: string,
): Promise<void> {
  const verifier = scramSha256Verifier(tenantRolePassword(tenantRoleSecret, roleName));
  await client.query(`ALTER ROLE ${quoteIdent(roleName)} PASSWORD ${quoteLiteral(verifier)}`);
}

/**
 * Takes away what PUBLIC gets by default, so tenant roles see nothing but their own
 * schema: no connect to the database unless granted, nothing in `public` or `control`,
 * and (when the platform role may do it) no catalog views or functions that list other
 * schemas' tables or reveal their sizes and row counts.
 */
export async function hardenDatabase(client: ClientBase): Promise<{ catalogHardened: boolean }> {
  const { rows } = await client.query<{ db: string; is_super: boolean }>(
    'SELECT current_database() AS db, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_super',
  );
  const { db, is_super: isSuper } = rows[0]!;
  await client.query(`REVOKE ALL ON DATABASE ${quoteIdent(db)} FROM PUBLIC`);
  await client.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
  await client.query('REVOKE ALL ON SCHEMA control FROM PUBLIC');
  await client.query('REVOKE ALL ON SCHEMA anh_migrations FROM PUBLIC');
  if (!isSuper) return { catalogHardened: false };
  await client.query(`
    DO $$
    DECLARE r record;
    BEGIN
      FOR r IN
        SELECT c.oid::regclass AS rel FROM pg_class c
        WHERE c.relnamespace = 'pg_catalog'::regnamespace
          AND c.relname IN (
            'pg_class', 'pg_namespace', 'pg_tables', 'pg_indexes', 'pg_views', 'pg_matviews',
            'pg_sequences', 'pg_sequence', 'pg_attribute', 'pg_attrdef', 'pg_constraint',
            'pg_trigger', 'pg_description', 'pg_depend', 'pg_policy', 'pg_policies', 'pg_rewrite',
            'pg_type', 'pg_index', 'pg_inherits', 'pg_proc', 'pg_stats', 'pg_stats_ext',
            'pg_stat_all_tables', 'pg_stat_user_tables', 'pg_stat_sys_tables',
            'pg_stat_xact_all_tables', 'pg_stat_xact_user_tables',
            'pg_statio_all_tables', 'pg_statio_user_tables',
            'pg_stat_all_indexes', 'pg_stat_user_indexes',
            'pg_statio_all_indexes', 'pg_statio_user_indexes',
            'pg_statio_all_sequences', 'pg_statio_user_sequences',
            'pg_stat_user_functions', 'pg_stat_xact_user_functions', 'pg_locks')
      LOOP
        EXECUTE format('REVOKE SELECT ON %s FROM PUBLIC', r.rel);
      END LOOP;
      FOR r IN
        SELECT p.oid::regprocedure AS fn FROM pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND (p.proname LIKE 'pg\\_stat\\_get\\_%'
               OR p.proname IN ('pg_relation_size', 'pg_total_relation_size', 'pg_table_size',
                                'pg_indexes_size', 'pg_relation_filenode', 'pg_relation_filepath',
                                'pg_get_tabledef', 'pg_get_indexdef', 'pg_get_constraintdef',
                                'pg_get_triggerdef', 'pg_get_viewdef', 'pg_get_ruledef'))
      LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', r.fn);
      END LOOP;
    END
    $$`);
  return { catalogHardened: true };
}

export interface MigrationSummary {
  control: string[];
  tenants: Array<{ tenantId: string; applied: string[] }>;
  catalogHardened: boolean;
}

/**
 * `npm run db:migrate`: the control schema, then every tenant whose schema still exists.
 * Also re-derives tenant role passwords, so rotating TENANT_ROLE_SECRET takes effect here.
 */
export async function migrateAll(
  client: ClientBase,
  tenantRoleSecret: string,
): Promise<MigrationSummary> {
  return withMigrationLock(client, async () => {
    const control = await applyControlMigrations(client);
    const { catalogHardened } = await hardenDatabase(client);
    const { rows: tenants } = await client.query<{
      id: string;
      schema_name: string;
      role_name: string;
    }>(
      `SELECT t.id, t.schema_name, t.role_name FROM control.tenants t
       WHERE EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = t.schema_name)
       ORDER BY t.created_at, t.id`,
    );
    const summary: MigrationSummary = { control, tenants: [], catalogHardened };
    for (const tenant of tenants) {
      const names = { schemaName: tenant.schema_name, roleName: tenant.role_name };
      const applied = await inTransaction(client, async () => {
        await ensureTenantRoleAndSchema(client, names, tenantRoleSecret);
        return applyTenantMigrationsInTransaction(client, names);
      });
      summary.tenants.push({ tenantId: tenant.id, applied });
    }
    return summary;
  });
}

export { inTransaction };
