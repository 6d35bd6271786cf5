import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../modbus-server';

/**
 * The lib60870 IEC 104 slave (slave.c) as a child process on 127.0.0.1, driven by
 * commands on its stdin; every JSON line it prints is kept in `events`. Built on first
 * use by setup.sh (which fetches lib60870 from Debian into the cache folder if needed).
 */
export type SlaveEvent =
  | { ev: 'ready'; port: number }
  | { ev: 'done'; cmd: string }
  | { ev: 'error'; msg: string }
  | {
      ev: 'sent';
      cot: number;
      ca: number;
      ioa: number;
      type: number;
      value: number;
      q: number;
      ts: number | null;
      timeInvalid?: boolean;
    }
  | { ev: 'gi'; ca: number; objects: number }
  | { ev: 'ci'; ca: number; qcc: number; objects: number }
  | { ev: 'clock'; ca: number; ms: number; local: number }
  | { ev: 'opened' | 'closed' | 'activated' | 'deactivated'; peer: string }
  | { ev: 'tx' | 'rx' | 'cut' | 'injected'; hex: string };

export interface SlaveParameters {
  k: number;
  w: number;
  t1: number;
  t2: number;
  t3: number;
}

const here = import.meta.dirname;
const binary = join(here, '.lib60870', 'slave');

/** Builds the slave when it is missing or older than slave.c. */
export function buildSlave(): string {
  const fresh =
    existsSync(binary) && statSync(binary).mtimeMs >= statSync(join(here, 'slave.c')).mtimeMs;
  if (!fresh) {
    const built = spawnSync('bash', [join(here, 'setup.sh')], { encoding: 'utf8' });
    if (built.status !== 0)
      throw new Error(`building the IEC 104 slave failed:\n${built.stdout}\n${built.stderr}`);
  }
  return binary;
}

export class Slave {
  readonly events: SlaveEvent[] = [];
  private readonly waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly port: number,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let event: SlaveEvent;
      try {
        event = JSON.parse(line) as SlaveEvent;
      } catch {
        return;
      }
      this.events.push(event);
      if (event.ev === 'done') this.waiting.shift()?.resolve();
      if (event.ev === 'error') this.waiting.shift()?.reject(new Error(`slave: ${event.msg}`));
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      for (const waiter of this.waiting.splice(0))
        waiter.reject(new Error('the slave exited before answering'));
    });
  }

  static async start(options: { port?: number; parameters?: SlaveParameters } = {}) {
    const path = buildSlave();
    const port = options.port ?? (await freePort());
    const p = options.parameters;
    const args = [String(port), ...(p ? [p.k, p.w, p.t1, p.t2, p.t3].map(String) : [])];
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.resume();
    const slave = new Slave(child, port);
    await slave.waitFor((e) => e.ev === 'ready', 10_000);
    return slave;
  }

  /** Sends one command line and resolves when the slave has carried it out. */
  command(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** Resolves with the first event (from `from` on) that matches, or rejects after timeoutMs. */
  async waitFor(
    match: (event: SlaveEvent) => boolean,
    timeoutMs = 20_000,
    from = 0,
  ): Promise<SlaveEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `slave event not seen within ${timeoutMs} ms (${this.events.length} events)`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sent information objects (from event index `from` on). */
  sent(from = 0) {
    return this.events
      .slice(from)
      .filter((e): e is Extract<SlaveEvent, { ev: 'sent' }> => e.ev === 'sent');
  }

  /** Frames the slave received, as hex (from event index `from` on). */
  received(from = 0): string[] {
    return this.events
      .slice(from)
      .flatMap((e) => (e.ev === 'rx' ? [(e as { hex: string }).hex] : []));
  }

  /** Kills the process (a station that dies without a word). */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
