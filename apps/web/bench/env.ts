import { z } from 'zod';

/** Settings of `npm run bench -w @anh/web`, parsed once (the only reader of process.env here). */
export const benchEnv = z
  .object({
    DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/anh'),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    BENCH_WELLS: z.coerce.number().int().min(1).default(50),
    BENCH_DAYS: z.coerce.number().int().min(2).default(30),
    BENCH_RATE: z.coerce.number().int().min(1).default(200),
    BENCH_SECONDS: z.coerce.number().int().min(5).default(30),
    /** Extra Node flags for the server under test, space-separated (e.g. GC settings to compare). */
    BENCH_NODE_ARGS: z.string().default(''),
    PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),
    HOME: z.string().optional(),
  })
  .parse(process.env);
