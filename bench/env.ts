import { z } from 'zod';

/** Settings of the root benchmarks (`npm run bench:ingest`), parsed once. */
export const benchEnv = z
  .object({
    DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/anh'),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    BENCH_CONNECTORS: z.coerce.number().int().min(1).max(16).default(4),
    BENCH_BATCHES: z.coerce.number().int().min(8).default(320),
    BENCH_PORT: z.coerce.number().int().default(3099),
    /** Extra node flags for the web server, e.g. --cpu-prof to see where its time goes. */
    BENCH_WEB_NODE_ARGS: z.string().default(''),
  })
  .parse(process.env);

/** What a child process needs from ours; everything else it gets is named where it starts. */
export const inheritedEnv: Record<string, string> = Object.fromEntries(
  (['PATH', 'HOME', 'TMPDIR'] as const).flatMap((key) => {
    const value = process.env[key];
    return value === undefined ? [] : [[key, value]];
  }),
);
