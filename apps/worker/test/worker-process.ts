import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testEnv } from './env';

/**
 * The real worker (`apps/worker/src/main.ts` under tsx) as a child process, for browser
 * tests that need the pipeline and the live-alert gateway running: its own process group,
 * stopped with SIGTERM (then SIGKILL), its output kept for failure messages.
 */
export interface WorkerProcess {
  pid: number;
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
  /** Resolves with the exit code once the process has exited (by itself or stopped). */
  exited: Promise<number | null>;
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OUTPUT_LIMIT = 256 * 1024;

export async function startWorkerProcess(
  env: Record<string, string>,
  options: { readyLine?: RegExp; timeoutMs?: number } = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      NODE_ENV: 'production',
      PATH: testEnv.PATH,
      HOME: testEnv.HOME ?? REPO_ROOT,
      ...env,
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  let output = '';
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
    }),
  );
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // gone already
    }
  };
  process.once('exit', () => kill('SIGKILL'));
  const ready = options.readyLine ?? /"worker started"/;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker did not start in time:\n${output}`)),
      options.timeoutMs ?? 60_000,
    );
    const append = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker exited before it was ready:\n${output}`));
    });
  });
  return {
    pid,
    exited: exit,
    output: () => output,
    async stop() {
      if (exited) return;
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
