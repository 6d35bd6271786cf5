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
