import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Throwaway PostgreSQL clusters for tests, driven through the same scripts operators use
 * (scripts/ha/*.sh), so a test of the failover is a test of those scripts. Every home is
 * destroyed by `destroy()`, and, should a test die before that, when the process exits.
 */
const HERE = dirname(fileURLToPath(import.meta.url));

export interface ClusterOptions {
  /** Directory of PostgreSQL's server binaries (initdb, pg_ctl, pg_rewind…). */
  pgBin?: string;
  /** Skip fsync of files written by initdb / pg_basebackup / pg_rewind (tests). */
  noSync?: boolean;
}

export interface ScriptResult {
  stdout: string;
  stderr: string;
  ms: number;
}

export interface FailoverOutput {
  primary: string;
  port: number;
  promoteMs: number;
  totalMs: number;
  timeline: number;
  before: { receivedLsn: string; replayedLsn: string; lastReplayedCommit: string | null };
}

const live = new Set<string>();
let exitHookInstalled = false;

function scriptEnv(options: ClusterOptions): Record<string, string> {
  // The scripts get a fixed, minimal environment: nothing of this process's leaks into them.
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    PG_BIN: options.pgBin ?? '/usr/lib/postgresql/15/bin',
    HA_NO_SYNC: options.noSync === false ? '0' : '1',
  };
}

function installExitHook(options: ClusterOptions): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test is torn down without its finally blocks: no cluster outlives us.
  process.once('exit', () => {
    for (const dir of live) {
      spawnSync('bash', [join(HERE, 'destroy.sh'), '--home', dir], {
        env: scriptEnv(options),
        stdio: 'ignore',
      });
    }
  });
}

function runScript(options: ClusterOptions, script: string, args: string[]): Promise<ScriptResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(HERE, script), ...args], {
      env: scriptEnv(options),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ stdout, stderr, ms });
      else reject(new Error(`${script} ${args.join(' ')} exited ${code}:\n${stderr.slice(-4000)}`));
    });
  });
}

const taken = new Set<number>();

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1 at or above 55432 (never the main cluster's 5432). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = randomInt(55_432, 64_000);
    if (taken.has(port)) continue;
    if (await portIsFree(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port found between 55432 and 64000');
}

/**
 * One HA home (a temp directory) and its nodes. Nodes are named; each gets a free port.
 * The superuser's password lives only in this object (and, hashed, in the cluster).
 */
export class HaCluster {
  readonly ports = new Map<string, number>();
  private readonly superuserPassword = randomBytes(24).toString('hex');

  private constructor(
    readonly dir: string,
    private readonly options: ClusterOptions,
  ) {}

  static async create(options: ClusterOptions = {}): Promise<HaCluster> {
    installExitHook(options);
    const dir = await mkdtemp(join(tmpdir(), 'anh-ha-'));
    live.add(dir);
    return new HaCluster(dir, options);
  }

  /** The superuser over TCP with its password: what the product's DATABASE_URL would be. */
  url(node: string, database: string): string {
    const port = this.ports.get(node);
    if (port === undefined) throw new Error(`node ${node} is unknown`);
    return `postgres://postgres:${this.superuserPassword}@127.0.0.1:${port}/${database}`;
  }

  run(script: string, args: string[]): Promise<ScriptResult> {
    return runScript(this.options, script, ['--home', this.dir, ...args]);
  }

  async initPrimary(name: string): Promise<ScriptResult> {
    const port = await freePort();
    this.ports.set(name, port);
    // The password reaches initdb through a private file, deleted right after.
    const pwDir = await mkdtemp(join(tmpdir(), 'anh-ha-pw-'));
    try {
      await writeFile(join(pwDir, 'pw'), this.superuserPassword, { mode: 0o600 });
      return await this.run('init-primary.sh', [
        '--name',
        name,
        '--port',
        String(port),
        '--superuser-password-file',
        join(pwDir, 'pw'),
      ]);
    } finally {
      await rm(pwDir, { recursive: true, force: true });
    }
  }

  async addStandby(
    primary: string,
    name: string,
    options: { sync?: boolean } = {},
  ): Promise<ScriptResult> {
    const port = await freePort();
    this.ports.set(name, port);
    return this.run('add-standby.sh', [
      '--primary',
      primary,
      '--name',
      name,
      '--port',
      String(port),
      ...(options.sync ? ['--sync'] : []),
    ]);
  }

  stopNode(name: string, mode: 'fast' | 'immediate'): Promise<ScriptResult> {
    return this.run('stop-node.sh', ['--name', name, '--mode', mode]);
  }

  async failover(standby: string, oldPrimary?: string): Promise<FailoverOutput & { ms: number }> {
    const result = await this.run('failover.sh', [
      '--standby',
      standby,
      ...(oldPrimary ? ['--old-primary', oldPrimary] : []),
    ]);
    return { ...(JSON.parse(result.stdout.trim()) as FailoverOutput), ms: result.ms };
  }

  rejoin(name: string, primary: string, options: { sync?: boolean } = {}): Promise<ScriptResult> {
    return this.run('rejoin.sh', [
      '--name',
      name,
      '--primary',
      primary,
      ...(options.sync ? ['--sync'] : []),
    ]);
  }

  /** Stops every node and deletes the home, whatever state it is in. */
  async destroy(): Promise<void> {
    // destroy.sh refuses a home without its marker (initdb never ran): nothing runs there.
    if (existsSync(join(this.dir, '.anh-ha'))) {
      await runScript(this.options, 'destroy.sh', ['--home', this.dir]);
    }
    await rm(this.dir, { recursive: true, force: true });
    live.delete(this.dir);
  }
}
