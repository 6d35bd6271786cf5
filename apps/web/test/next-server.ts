import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testEnv } from './env';

/**
 * The BUILT web app under `next start` on 127.0.0.1, for browser tests. Build it first
 * (`npm run build -w @anh/web`; `npm test` does it when the sources are newer).
 */
export interface NextServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** What the server printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM to its process group, SIGKILL after 5 s. */
  stop(): Promise<void>;
}

export interface StartNextServerOptions {
  /**
   * Merged over a minimal environment (PATH, HOME, NODE_ENV=production,
   * NEXT_TELEMETRY_DISABLED=1, NEXTAUTH_URL=the server's url). A function receives the url.
   */
  env?: Record<string, string> | ((url: string) => Record<string, string>);
  /** Flags for the server's node, e.g. ['--cpu-prof'] to see where a benchmark's time goes. */
  nodeArgs?: string[];
  /** How long to wait for an HTTP answer on /login (default 60 s). */
  timeoutMs?: number;
}

const WEB_ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_ID = join(WEB_ROOT, '.next', 'BUILD_ID');
const STOP_GRACE_MS = 5_000;
const OUTPUT_LIMIT = 256 * 1024;

/** Next's CLI, wherever npm put it (hoisted to the monorepo root or under apps/web). */
function nextBin(): string {
  const nextPackage = createRequire(join(WEB_ROOT, 'package.json')).resolve('next/package.json');
  return join(dirname(nextPackage), 'dist', 'bin', 'next');
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The HTTP status of GET /login, or undefined while nothing answers. */
async function loginStatus(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}/login`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

// Servers still running when the test process exits (a crash, a forgotten stop()).
const running = new Set<number>();
let exitHookInstalled = false;
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export async function startNextServer(options: StartNextServerOptions = {}): Promise<NextServer> {
  if (!existsSync(BUILD_ID)) {
    throw new Error(
      `apps/web is not built (${BUILD_ID} is missing): run \`npm run build -w @anh/web\` first`,
    );
  }
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => running.forEach((pid) => killGroup(pid, 'SIGKILL')));
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const extra = typeof options.env === 'function' ? options.env(url) : (options.env ?? {});
  const env: NodeJS.ProcessEnv = {
    PATH: testEnv.PATH,
    HOME: testEnv.HOME ?? WEB_ROOT,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    NEXTAUTH_URL: url,
    ...extra,
  };
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      nextBin(),
      'start',
      '--hostname',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    { cwd: WEB_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid!;
  running.add(pid);
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let exitCode: number | string | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      running.delete(pid);
      resolve();
    }),
  );

  async function stop(): Promise<void> {
    if (exitCode !== undefined) return;
    killGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    killGroup(pid, 'SIGKILL'); // anything of its group that outlived it
  }

  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(`next start exited (${exitCode}) before answering:\n${output}`);
    }
    const status = await loginStatus(url);
    if (status !== undefined && status >= 500) {
      await stop();
      throw new Error(`next start answered ${status} on /login:\n${output}`);
    }
    if (status !== undefined) return { url, output: () => output, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `next start did not answer on ${url}/login within ${timeoutMs} ms:\n${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
