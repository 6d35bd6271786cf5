import { z } from 'zod';

/** Settings of the worker's benchmarks, parsed once (the only readers of process.env here). */
export const benchEnv = z
  .object({
    DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/anh'),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    /** Sockets connected for the fan-out benchmark. */
    BENCH_SOCKETS: z.coerce.number().int().min(1).max(20_000).default(1000),
    /** Alerts raised per fan-out run. */
    BENCH_ALERTS: z.coerce.number().int().min(5).max(10_000).default(40),
  })
  .parse(process.env);
