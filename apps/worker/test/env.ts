import { z } from 'zod';

/** What the worker's test helpers read from their own environment (for child processes). */
export const testEnv = z
  .object({
    PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),
    HOME: z.string().optional(),
  })
  .parse(process.env);
