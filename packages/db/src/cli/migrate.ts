import { ensureDatabaseExists, migrateAll, withConnection } from '../index';
import { readMigrateEnv } from './env';

// `npm run db:migrate`: creates the database if needed, migrates the control schema and
// every tenant schema. Safe to run twice, and from two processes at once.
const env = readMigrateEnv();
const created = await ensureDatabaseExists(env.DATABASE_URL);
const summary = await withConnection(env.DATABASE_URL, (client) =>
  migrateAll(client, env.TENANT_ROLE_SECRET),
);
const tenantsChanged = summary.tenants.filter((t) => t.applied.length > 0).length;
console.log(
  JSON.stringify({
    databaseCreated: created,
    controlApplied: summary.control,
    tenants: summary.tenants.length,
    tenantsChanged,
    catalogHardened: summary.catalogHardened,
  }),
);
