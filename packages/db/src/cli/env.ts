import { z } from 'zod';

/** Configuration of the `db:migrate` command. */
export const migrateEnvSchema = z.object({
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/anh'),
  TENANT_ROLE_SECRET: z
    .string({ error: 'TENANT_ROLE_SECRET is required (32+ random characters; see README)' })
    .min(32, 'TENANT_ROLE_SECRET must be at least 32 characters'),
});

export type MigrateEnv = z.infer<typeof migrateEnvSchema>;

export function readMigrateEnv(
  source: Record<string, string | undefined> = process.env,
): MigrateEnv {
  return migrateEnvSchema.parse(source);
}

const secretsKeyring = z
  .string({ error: 'SECRETS_KEYRING is required: backups are sealed with it (id:base64 key, …)' })
  .min(1);

/** Configuration of `db:backup`, and of `db:restore --check` (which reads no database). */
export const backupEnvSchema = z.object({
  DATABASE_URL: migrateEnvSchema.shape.DATABASE_URL,
  SECRETS_KEYRING: secretsKeyring,
  /** Where pg_dump and pg_restore are (Debian's /usr/bin wrappers pick the newest). */
  PG_BIN_DIR: z.string().min(1).default('/usr/bin'),
  /** The directory `npm run` was started from: relative --out / --archive paths are from there. */
  INIT_CWD: z.string().min(1).optional(),
});

/** Configuration of `db:restore`: the TARGET database and its TENANT_ROLE_SECRET. */
export const restoreEnvSchema = backupEnvSchema.extend({
  TENANT_ROLE_SECRET: migrateEnvSchema.shape.TENANT_ROLE_SECRET,
});

export type BackupEnv = z.infer<typeof backupEnvSchema>;
export type RestoreEnv = z.infer<typeof restoreEnvSchema>;

export function readBackupEnv(source: Record<string, string | undefined> = process.env): BackupEnv {
  return backupEnvSchema.parse(source);
}

export function readRestoreEnv(
  source: Record<string, string | undefined> = process.env,
): RestoreEnv {
  return restoreEnvSchema.parse(source);
}
