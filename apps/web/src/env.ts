import { z } from 'zod';

/**
 * The web app's server configuration, parsed once. Server-only: never import it from a
 * client component (NEXTAUTH_SECRET and TENANT_ROLE_SECRET must not reach a browser).
 */
export const webEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/anh'),
  TENANT_ROLE_SECRET: z
    .string({ error: 'TENANT_ROLE_SECRET is required (32+ random characters; see README)' })
    .min(32),
  NEXTAUTH_SECRET: z
    .string({ error: 'NEXTAUTH_SECRET is required (32+ random characters; see README)' })
    .min(32),
  NEXTAUTH_URL: z.string().url().default('http://127.0.0.1:3000'),
});

export type WebEnv = z.infer<typeof webEnvSchema>;

let cached: WebEnv | undefined;

export function webEnv(source: Record<string, string | undefined> = process.env): WebEnv {
  if (source !== process.env) return webEnvSchema.parse(source);
  cached ??= webEnvSchema.parse(source);
  return cached;
}
