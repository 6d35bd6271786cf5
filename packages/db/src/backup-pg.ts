import { spawn, type ChildProcess } from 'node:child_process';
import type pg from 'pg';
import { AppError } from '@anh/domain/errors';
import { quoteIdent } from './names';

/** pg_dump / pg_restore as child processes, and what backup and restore both count. */

/**
 * How pg_dump / pg_restore reach the database: the URL without its password, which goes
 * in PGPASSWORD (a command line is visible to every user of the host in `ps`). The tools
 * get a fixed environment, not this process's.
 */
export function toolConnection(url: string): { target: string; env: Record<string, string> } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return {
    target: parsed.toString(),
    env: {
      LC_ALL: 'C.UTF-8',
      PGAPPNAME: 'anh:backup',
      ...(password ? { PGPASSWORD: password } : {}),
    },
  };
}

export interface ToolRun {
  child: ChildProcess;
  stdout: () => string;
  done: Promise<void>;
}

export function runTool(
  bin: string,
  args: string[],
  env: Record<string, string>,
  options: { stdin: boolean; captureStdout: boolean },
): ToolRun {
  const tool = bin.slice(bin.lastIndexOf('/') + 1);
  const child = spawn(bin, args, {
    env,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  if (options.captureStdout)
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  // A tool that exits before reading all its input closes the pipe: the write side's
  // error is that exit, reported below, not a crash.
  child.stdin?.on('error', () => undefined);
  const done = new Promise<void>((resolveDone, reject) => {
    child.on('error', (error) =>
      reject(new AppError('UNAVAILABLE', `${tool} could not be started`, { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolveDone();
      else
        reject(
          new AppError('INTERNAL', `${tool} failed (${signal ?? `exit ${code}`})`, {
            details: { tool, stderr: stderr.trim() },
          }),
        );
    });
  });
  return { child, stdout: () => stdout, done };
}

export async function toolVersion(bin: string): Promise<string> {
  const run = runTool(
    bin,
    ['--version'],
    { LC_ALL: 'C.UTF-8' },
    { stdin: false, captureStdout: true },
  );
  await run.done;
  return run.stdout().trim();
}

/** Rows per table of a tenant schema (leaf tables: each partition on its own). */
export async function countTenantTables(
  client: pg.ClientBase,
  schemaName: string,
): Promise<Record<string, number>> {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c
      WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' ORDER BY c.relname`,
    [schemaName],
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${quoteIdent(schemaName)}.${quoteIdent(name)}`,
    );
    counts[name] = Number(rows[0]!.n);
  }
  return counts;
}
