import { resolve } from 'node:path';
import { z } from 'zod';
import { parseKeyRing } from '@anh/domain/secret-box';
import { backupTenant } from '../backup';
import { parseOptions, runCommand } from './args';
import { readBackupEnv } from './env';

// `npm run db:backup -- --tenant <slug|id> [--out <dir>]`: one tenant's schema and control
// rows, sealed with SECRETS_KEYRING, into a new directory. Prints a JSON summary.
const USAGE = 'usage: npm run db:backup -- --tenant <slug or id> [--out <new directory>]';
const optionsSchema = z
  .object({
    tenant: z.string().min(1).max(100),
    out: z.string().min(1).optional(),
  })
  .strict();

await runCommand('db:backup', async () => {
  const options = parseOptions(process.argv.slice(2), optionsSchema, USAGE);
  const env = readBackupEnv();
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const outDir = resolve(
    env.INIT_CWD ?? process.cwd(),
    options.out ?? `backups/${options.tenant}-${stamp}`,
  );
  const result = await backupTenant(
    {
      databaseUrl: env.DATABASE_URL,
      tenant: options.tenant,
      outDir,
      pgBinDir: env.PG_BIN_DIR,
    },
    parseKeyRing(env.SECRETS_KEYRING),
  );
  const { manifest } = result;
  console.log(
    JSON.stringify({
      archive: result.dir,
      backupId: manifest.backupId,
      tenant: manifest.tenant.slug,
      tenantId: manifest.tenant.id,
      sealedWith: manifest.sealing.keyId,
      bytes: result.bytes,
      durationMs: result.durationMs,
      reports: manifest.counts.tenant.reports ?? 0,
      members: manifest.counts.control.memberships ?? 0,
    }),
  );
});
