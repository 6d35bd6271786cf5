import { z } from 'zod';
import { isAppError } from '@anh/domain/errors';

/**
 * Options of the db:* commands: `--name value` pairs (a flag without a value is "true"),
 * checked with a zod schema. A usage problem exits with 2, any other failure with 1; an
 * AppError prints its message and its details (never secrets: see AppError.details).
 */
export class UsageError extends Error {}

export function parseOptions<T extends z.ZodType>(
  argv: string[],
  schema: T,
  usage: string,
): z.output<T> {
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (!flag.startsWith('--') || flag.length < 3)
      throw new UsageError(`unexpected argument "${flag}"\n${usage}`);
    const next = argv[i + 1];
    options[flag.slice(2)] = next === undefined || next.startsWith('--') ? 'true' : argv[++i]!;
  }
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) =>
        issue.path.length ? `  --${issue.path.join('.')}: ${issue.message}` : `  ${issue.message}`,
      )
      .join('\n');
    throw new UsageError(`${usage}\n${problems}`);
  }
  return parsed.data;
}

export async function runCommand(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${name}: ${error.message}`);
      process.exitCode = 2;
    } else if (error instanceof z.ZodError) {
      // The environment (env.ts): say which variables, not their values.
      console.error(
        `${name}: configuration: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
      process.exitCode = 2;
    } else if (isAppError(error)) {
      console.error(`${name}: ${error.code}: ${error.message}`);
      if (error.details) console.error(JSON.stringify(error.details, null, 2));
      process.exitCode = 1;
    } else {
      console.error(`${name}: failed:`, error);
      process.exitCode = 1;
    }
  }
}
