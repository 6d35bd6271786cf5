import { z } from 'zod';

/** Where the tests find the local services. Defaults match this machine kind and CI. */
export const testEnv = z
  .object({
    TEST_DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/postgres'),
    TEST_REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  })
  .parse(process.env);
