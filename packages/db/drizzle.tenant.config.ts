import { defineConfig } from 'drizzle-kit';

// Tenant tables are written without a schema; the migration runner applies these files
// inside each tenant's schema (see src/migrations.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/tenant.ts',
  out: './migrations/tenant',
});
