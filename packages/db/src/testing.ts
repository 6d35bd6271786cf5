import { randomBytes } from 'node:crypto';
import { createDatabase, type Database } from './client';
import { maintenanceUrl, withConnection } from './admin';
import { migrateAll } from './migrate';
import { quoteIdent } from './names';

/**
 * Test databases: one migrated template, copied per test file with
 * `CREATE DATABASE … TEMPLATE`, dropped (with the tenant roles it created) afterwards.
 * Tenant roles are cluster-wide, so each file's tenants get fresh random ids and the
 * roles are removed with the database that used them.
 */
export const TEMPLATE_DATABASE = 'anh_test_template';
const TEST_DATABASE_PREFIX = 'anh_test_';

function urlFor(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Drops a test database and every tenant role it provisioned. */
export async function dropTestDatabase(baseUrl: string, database: string): Promise<void> {
  let roles: string[] = [];
  try {
    roles = await withConnection(urlFor(baseUrl, database), async (client) => {
      const { rows } = await client.query<{ role_name: string }>(
        `SELECT role_name FROM control.tenants`,
      );
      return rows.map((r) => r.role_name);
    });
  } catch {
    // No control schema yet (or no database): no roles to drop.
  }
  await withConnection(maintenanceUrl(baseUrl).maintenance, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    for (const role of roles) await client.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
  });
}

export async function prepareTemplateDatabase(
  baseUrl: string,
  template: string,
  tenantRoleSecret: string,
): Promise<void> {
  await withConnection(maintenanceUrl(baseUrl).maintenance, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(template)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${quoteIdent(template)}`);
  });
  await withConnection(urlFor(baseUrl, template), (client) => migrateAll(client, tenantRoleSecret));
}

export interface TestDatabase {
  name: string;
  url: string;
  db: Database;
  /** Closes the pools, drops the database and its tenant roles. */
  drop(): Promise<void>;
}

/** An empty database (not from the template), for tests of migrations themselves. */
export async function createEmptyTestDatabase(
  baseUrl: string,
): Promise<{ name: string; url: string }> {
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  await withConnection(maintenanceUrl(baseUrl).maintenance, (client) =>
    client.query(`CREATE DATABASE ${quoteIdent(name)}`),
  );
  return { name, url: urlFor(baseUrl, name) };
}

export async function createTestDatabase(options: {
  baseUrl: string;
  template: string;
  tenantRoleSecret: string;
}): Promise<TestDatabase> {
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  await withConnection(maintenanceUrl(options.baseUrl).maintenance, (client) =>
    client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(options.template)}`),
  );
  const url = urlFor(options.baseUrl, name);
  // Database-level grants are not copied from a template; migrateAll re-applies them.
  await withConnection(url, (client) => migrateAll(client, options.tenantRoleSecret));
  const db = createDatabase({
    url,
    tenantRoleSecret: options.tenantRoleSecret,
    applicationName: 'anh-test',
  });
  return {
    name,
    url,
    db,
    async drop() {
      await db.close();
      await dropTestDatabase(options.baseUrl, name);
    },
  };
}
