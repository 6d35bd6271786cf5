import { z } from 'zod';

/** Settings of the worker's benchmark, parsed once. */
export const benchEnv = z
  .object({ DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/anh') })
  .parse(process.env);
