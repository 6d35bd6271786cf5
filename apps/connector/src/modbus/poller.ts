import ModbusRTU from 'modbus-serial';
import type { BufferedSample } from '../buffer/store';
import type { SourceConfig } from '../config/schema';
import {
  decodeRegisters,
  isBitTable,
  planReads,
  registerCount,
  type ReadBlock,
  type RegisterTag,
} from './registers';

/**
 * Polls one Modbus gateway (a TCP endpoint or an RTU line) sequentially, one request per
 * read block. Lessons from the gateways that lose data, applied:
 * - a cycle that overruns its interval is counted and the next starts when it ends —
 *   never overlapping, never dropping the connection for being busy;
 * - a slave that stops answering costs one timeout, then is backed off (exponentially,
 *   with jitter) and skipped, so the healthy slaves on the same line keep their pace;
 * - a Modbus exception (illegal address…) becomes Bad samples with the exception code,
 *   not silence.
 */
export type ModbusSourceConfig = Extract<SourceConfig, { type: 'modbus-tcp' | 'modbus-rtu' }>;

export interface ModbusTag extends RegisterTag {
  binding: string;
  priority: number;
  scale: number;
  offset: number;
}

export interface SlaveHealth {
  state: 'ok' | 'backoff';
  consecutiveFailures: number;
  nextRetryAt: number;
}

export interface PollerHealth {
  state: 'connecting' | 'connected' | 'stopped';
  cycles: number;
  overruns: number;
  lastCycleMs: number;
  requests: number;
  reconnects: number;
  slaves: Record<number, SlaveHealth>;
}

export interface PollerOptions {
  source: ModbusSourceConfig;
  tags: readonly ModbusTag[];
  /** Receives every sample as soon as its block is read (commit it before returning). */
  sink: (samples: BufferedSample[]) => void;
  now?: () => number;
  maxBackoffMs?: number;
}

const TIMEOUT_ERRNO = 'ETIMEDOUT';

export class ModbusPoller {
  readonly plan: ReadBlock[];
  private readonly client = new ModbusRTU();
  private readonly tagsByIndex: Map<number, ModbusTag>;
  private readonly now: () => number;
  private readonly health: PollerHealth = {
    state: 'stopped',
    cycles: 0,
    overruns: 0,
    lastCycleMs: 0,
    requests: 0,
    reconnects: 0,
    slaves: {},
  };
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly options: PollerOptions) {
    this.plan = planReads(options.tags, options.source.maxGap);
    this.tagsByIndex = new Map(options.tags.map((t) => [t.tag, t]));
    this.now = options.now ?? Date.now;
  }

  get sourceId(): string {
    return this.options.source.id;
  }

  status(): PollerHealth {
    return structuredClone(this.health);
  }

  private slave(unitId: number): SlaveHealth {
    return (this.health.slaves[unitId] ??= { state: 'ok', consecutiveFailures: 0, nextRetryAt: 0 });
  }

  async connect(): Promise<void> {
    this.health.state = 'connecting';
    const { source } = this.options;
    if (source.type === 'modbus-tcp')
      await this.client.connectTCP(source.host, { port: source.port });
    else
      await this.client.connectRTUBuffered(source.path, {
        baudRate: source.baudRate,
        parity: source.parity,
        dataBits: source.dataBits,
        stopBits: source.stopBits,
      });
    this.client.setTimeout(source.timeoutMs);
    this.health.state = 'connected';
  }

  /**
   * One pass over the read plan. Returns the samples it produced. The samples of one block
   * are handed to the sink while the next block's request is on the wire, so committing
   * them to disk overlaps the network wait instead of adding to it.
   */
  async runCycle(): Promise<BufferedSample[]> {
    const started = this.now();
    const produced: BufferedSample[] = [];
    let unsunk: BufferedSample[] | null = null;
    const flush = () => {
      if (unsunk) this.options.sink(unsunk);
      unsunk = null;
    };
    try {
      for (const block of this.plan) {
        const slave = this.slave(block.unitId);
        if (slave.state === 'backoff' && this.now() < slave.nextRetryAt) continue;
        this.client.setID(block.unitId);
        this.health.requests++;
        const request = this.readBlock(block);
        flush();
        try {
          const samples = await request;
          slave.state = 'ok';
          slave.consecutiveFailures = 0;
          produced.push(...samples);
          unsunk = samples;
        } catch (error) {
          const failure = error as { errno?: string; modbusCode?: number };
          if (failure.modbusCode !== undefined) {
            // The slave answered with an exception: the values exist but are Bad.
            const samples = block.tags.map((t) =>
              this.sample(this.tagsByIndex.get(t.tag)!, null, 2, failure.modbusCode!),
            );
            produced.push(...samples);
            unsunk = samples;
          } else if (failure.errno === TIMEOUT_ERRNO) {
            slave.consecutiveFailures++;
            slave.state = 'backoff';
            const base = Math.min(
              this.options.maxBackoffMs ?? 60_000,
              this.options.source.intervalMs * 2 ** slave.consecutiveFailures,
            );
            slave.nextRetryAt = this.now() + base * (0.75 + Math.random() * 0.5);
          } else {
            throw error;
          }
        }
      }
    } finally {
      // Whatever was read reaches the sink, even when the connection fails mid-cycle.
      flush();
    }
    this.health.cycles++;
    this.health.lastCycleMs = this.now() - started;
    return produced;
  }

  private async readBlock(block: ReadBlock): Promise<BufferedSample[]> {
    let words: ArrayLike<number>;
    if (block.table === 'holding')
      words = (await this.client.readHoldingRegisters(block.address, block.count)).data;
    else if (block.table === 'input')
      words = (await this.client.readInputRegisters(block.address, block.count)).data;
    else {
      const bits =
        block.table === 'coil'
          ? await this.client.readCoils(block.address, block.count)
          : await this.client.readDiscreteInputs(block.address, block.count);
      words = bits.data.map((b) => (b ? 1 : 0));
    }
    return block.tags.map((t) => {
      const tag = this.tagsByIndex.get(t.tag)!;
      const offset = tag.address - block.address;
      const raw = isBitTable(tag.table)
        ? words[offset]!
        : decodeRegisters(words, offset, tag.type, tag.byteOrder, tag.wordOrder);
      return this.sample(tag, raw * tag.scale + tag.offset, 0, null);
    });
  }

  private sample(
    tag: ModbusTag,
    value: number | null,
    status: number,
    code: number | null,
  ): BufferedSample {
    return {
      source: this.options.source.id,
      binding: tag.binding,
      ts: this.now(),
      value,
      status,
      code,
      priority: tag.priority,
    };
  }

  /** Polls until stop(): reconnecting with backoff when the gateway goes away. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let reconnectDelay = 500;
    while (this.running) {
      try {
        if (!this.client.isOpen) {
          await this.connect();
          reconnectDelay = 500;
        }
        const started = this.now();
        await this.runCycle();
        const elapsed = this.now() - started;
        if (elapsed > this.options.source.intervalMs) this.health.overruns++;
        else await this.pause(this.options.source.intervalMs - elapsed);
      } catch {
        this.health.state = 'connecting';
        this.health.reconnects++;
        await this.closeClient();
        await this.pause(reconnectDelay);
        reconnectDelay = Math.min(reconnectDelay * 2, 30_000);
      }
    }
  }

  /** A wait that stop() cuts short (a 30 s reconnect backoff must not delay a shutdown). */
  private wake: (() => void) | null = null;
  private pause(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = null;
    });
  }

  /**
   * Closes the connection. modbus-serial calls back only if a connection is open: after a
   * refused connect it never does, and waiting for it stopped the poller for good (no
   * reconnection, and a stop that never ended).
   */
  private closeClient(): Promise<void> {
    if (!this.client.isOpen) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.client.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.closeClient();
    this.health.state = 'stopped';
  }
}

export { registerCount };
