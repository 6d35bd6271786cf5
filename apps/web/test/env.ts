import { z } from 'zod';

/**
 * What the web app's test helpers read from their own environment: only what a child
 * process (`next start`) needs to run. Parsed once, like the app's src/env.ts.
 */
const testEnvSchema = z.object({
  PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),
  HOME: z.string().optional(),
});

export const testEnv = testEnvSchema.parse(process.env);
