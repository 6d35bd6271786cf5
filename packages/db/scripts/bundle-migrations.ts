import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUNDLE_PATH,
  MIGRATIONS_ROOT,
  readMigrationFolder,
  renderMigrationBundle,
} from '../src/migration-files';

const control = readMigrationFolder(join(MIGRATIONS_ROOT, 'control'));
const tenant = readMigrationFolder(join(MIGRATIONS_ROOT, 'tenant'));
writeFileSync(BUNDLE_PATH, renderMigrationBundle(control, tenant));
console.log(`bundled ${control.length} control and ${tenant.length} tenant migrations`);
