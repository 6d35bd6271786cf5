import { createDatabase, type Database } from '@anh/db';
import { webEnv } from '~/env';

// One Database per server process. Kept on globalThis because Next's dev server
// re-evaluates modules on every edit and would otherwise open new pools each time.
const globalForDb = globalThis as unknown as { anhDb?: Database };

export function getDb(): Database {
  if (!globalForDb.anhDb) {
    const env = webEnv();
    globalForDb.anhDb = createDatabase({
      url: env.DATABASE_URL,
      tenantRoleSecret: env.TENANT_ROLE_SECRET,
      applicationName: 'anh-web',
    });
  }
  return globalForDb.anhDb;
}
