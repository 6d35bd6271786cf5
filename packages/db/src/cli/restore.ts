import { resolve } from 'node:path';
import { z } from 'zod';
import { parseKeyRing } from '@anh/domain/secret-box';
import { checkArchiveMigrations, openArchive, restoreTenant } from '../backup';
import { parseOptions, runCommand } from './args';
import { readBackupEnv, readRestoreEnv } from './env';

// `npm run db:restore -- --archive <dir> [--check]`: restores one tenant into the database
// of DATABASE_URL (created if missing), with that database's TENANT_ROLE_SECRET, and
// verifies it. `--check` only checks the archive (seal, parts, versions): no database.
const USAGE = 'usage: npm run db:restore -- --archive <backup directory> [--check]';
const optionsSchema = z
  .object({
    archive: z.string().min(1),
    check: z.enum(['true']).optional(),
  })
  .strict();

await runCommand('db:restore', async () => {
  const options = parseOptions(process.argv.slice(2), optionsSchema, USAGE);
  if (options.check) {
    const env = readBackupEnv();
    const archiveDir = resolve(env.INIT_CWD ?? process.cwd(), options.archive);
    const { manifest } = await openArchive(archiveDir, parseKeyRing(env.SECRETS_KEYRING));
    checkArchiveMigrations(manifest);
    console.log(
      JSON.stringify({
        archive: archiveDir,
        ok: true,
        backupId: manifest.backupId,
        createdAt: manifest.createdAt,
        tenant: manifest.tenant.slug,
        tenantId: manifest.tenant.id,
        sealedWith: manifest.sealing.keyId,
        counts: manifest.counts,
      }),
    );
    return;
  }
  const env = readRestoreEnv();
  const archiveDir = resolve(env.INIT_CWD ?? process.cwd(), options.archive);
  const result = await restoreTenant(
    {
      databaseUrl: env.DATABASE_URL,
      archiveDir,
      tenantRoleSecret: env.TENANT_ROLE_SECRET,
      pgBinDir: env.PG_BIN_DIR,
      actor: 'cli:db:restore',
    },
    parseKeyRing(env.SECRETS_KEYRING),
  );
  const { counts: _counts, ...summary } = result;
  console.log(JSON.stringify({ archive: archiveDir, ok: true, ...summary }));
});
