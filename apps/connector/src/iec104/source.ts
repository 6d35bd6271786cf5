import type { BufferedSample } from '../buffer/store';
import type { SourceConfig } from '../config/schema';
import {
  COT,
  decodeAsduHeader,
  decodeBody,
  encodeClockSync,
  encodeCounterInterrogation,
  encodeInterrogation,
  kindOf,
  statusOfQuality,
  toHex,
  TYPE,
  type FrameErrorReason,
  type Iec104FrameError,
  type ValueKind,
} from './codec';
import { Iec104Link, type LinkCloseReason, type LinkCounters } from './link';

/**
 * An IEC 60870-5-104 source: the connector as controlling station of one RTU. After
 * every connect it sets the station's clock (when configured), asks for a general
 * interrogation of each common address its tags use, and a counter interrogation (when
 * configured); both repeat on their schedule. Monitoring ASDUs become samples: the value
 * scaled like every other source's, the time tag as the sample time (the reception time
 * when the type has none), the quality descriptor as status and code (QUALITY in codec.ts).
 *
 * A frame that breaks the standard is logged with its bytes, counted by reason, and ends
 * the link; the source reconnects with backoff (jittered, doubling up to reconnectMaxMs,
 * back to the minimum once a link has completed a general interrogation). What the
 * station sent after the new link's general interrogation is therefore never lost, and
 * what it sent before is either acknowledged (so already in the buffer) or sent again.
 */
export type Iec104SourceConfig = Extract<SourceConfig, { type: 'iec104' }>;

export interface Iec104Tag {
  binding: string;
  priority: number;
  scale: number;
  offset: number;
  ca: number;
  ioa: number;
  type: ValueKind;
}

export interface Iec104SourceStatus {
  state: 'connecting' | 'starting' | 'active' | 'backoff' | 'stopped';
  connects: number;
  /** Links that ended, by reason. */
  closes: Partial<Record<LinkCloseReason, number>>;
  framesReceived: number;
  framesSent: number;
  asdus: number;
  samples: number;
  /** Frames that broke the standard, by reason; each one ended its link. */
  malformed: Partial<Record<FrameErrorReason, number>>;
  /** The last few malformed frames, with their bytes. */
  recentMalformed: Array<{ at: string; reason: FrameErrorReason; message: string; hex: string }>;
  windowFull: number;
  testFramesSent: number;
  interrogations: { sent: number; confirmed: number; completed: number; refused: number };
  counterInterrogations: { sent: number; confirmed: number; completed: number; refused: number };
  clockSyncs: { sent: number; confirmed: number; refused: number };
  endOfInitialisations: number;
  /** Information objects no tag maps (common address + IOA). */
  unmappedObjects: number;
  /** Objects whose type is not the kind their tag names (counted, not stored). */
  typeMismatches: number;
  /** ASDUs of types the connector does not read (commands, parameters, files…). */
  ignoredAsdus: number;
  /** Monitoring ASDUs with the test bit set: checked, never stored. */
  testAsdus: number;
  lastError: string | null;
}

export interface Iec104SourceOptions {
  source: Iec104SourceConfig;
  tags: readonly Iec104Tag[];
  /** Receives every ASDU's samples; returns after they are committed. */
  sink: (samples: BufferedSample[]) => void;
  /** Structured log lines (malformed frames with their bytes, closed links). */
  log?: (entry: Record<string, unknown>) => void;
  now?: () => number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

const RECENT_MALFORMED = 10;

export class Iec104Source {
  private readonly health: Iec104SourceStatus = {
    state: 'stopped',
    connects: 0,
    closes: {},
    framesReceived: 0,
    framesSent: 0,
    asdus: 0,
    samples: 0,
    malformed: {},
    recentMalformed: [],
    windowFull: 0,
    testFramesSent: 0,
    interrogations: { sent: 0, confirmed: 0, completed: 0, refused: 0 },
    counterInterrogations: { sent: 0, confirmed: 0, completed: 0, refused: 0 },
    clockSyncs: { sent: 0, confirmed: 0, refused: 0 },
    endOfInitialisations: 0,
    unmappedObjects: 0,
    typeMismatches: 0,
    ignoredAsdus: 0,
    testAsdus: 0,
    lastError: null,
  };
  private readonly tagsByAddress = new Map<number, Iec104Tag>();
  private readonly commonAddresses: number[];
  private readonly now: () => number;
  private readonly log: (entry: Record<string, unknown>) => void;
  private link: Iec104Link | null = null;
  /** Counters of links already closed (the status adds the current link's). */
  private readonly closedLinks = {
    framesReceived: 0,
    framesSent: 0,
    windowFull: 0,
    testFramesSent: 0,
  };
  private running = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly scheduleTimers: NodeJS.Timeout[] = [];
  private attempts = 0;
  /** Common addresses whose general interrogation is running on the current link, and since when. */
  private readonly interrogating = new Map<number, number>();
  private interrogationCompleted = false;
  /** Samples of the ASDUs received since the last commit. */
  private pending: BufferedSample[] = [];
  private readonly stopListeners: Array<() => void> = [];

  constructor(private readonly options: Iec104SourceOptions) {
    for (const tag of options.tags) this.tagsByAddress.set(tag.ca * 0x1000000 + tag.ioa, tag);
    this.commonAddresses = [...new Set(options.tags.map((t) => t.ca))].sort((a, b) => a - b);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((entry) => console.warn(JSON.stringify(entry)));
  }

  get sourceId(): string {
    return this.options.source.id;
  }

  status(): Iec104SourceStatus {
    const status = structuredClone(this.health);
    if (status.state === 'starting' && this.link?.state === 'connecting')
      status.state = 'connecting';
    const counters: Partial<LinkCounters> = this.link?.counters ?? {};
    status.framesReceived = this.closedLinks.framesReceived + (counters.framesReceived ?? 0);
    status.framesSent = this.closedLinks.framesSent + (counters.framesSent ?? 0);
    status.windowFull = this.closedLinks.windowFull + (counters.windowFull ?? 0);
    status.testFramesSent = this.closedLinks.testFramesSent + (counters.testFramesSent ?? 0);
    return status;
  }

  /** Connects, and keeps reconnecting until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.clearSchedule();
    await this.link?.stop();
    this.health.state = 'stopped';
  }

  /** Sends a general interrogation to every common address now (also on its schedule). */
  interrogate(): void {
    for (const ca of this.commonAddresses) this.interrogateAddress(ca);
  }

  counterInterrogate(): void {
    if (!this.link || this.link.state !== 'active') return;
    for (const ca of this.commonAddresses) {
      this.health.counterInterrogations.sent++;
      this.link.send(encodeCounterInterrogation(ca, this.options.source.originatorAddress));
    }
  }

  synchroniseClock(): void {
    if (!this.link || this.link.state !== 'active') return;
    const stationNow = this.now() + this.options.source.timeOffsetMinutes * 60_000;
    for (const ca of this.commonAddresses) {
      this.health.clockSyncs.sent++;
      this.link.send(encodeClockSync(ca, stationNow, this.options.source.originatorAddress));
    }
  }

  private interrogateAddress(ca: number): void {
    if (!this.link || this.link.state !== 'active') return;
    // One at a time per common address: a station busy answering is not asked again,
    // unless its answer has not ended in half an interval (then it was lost).
    const since = this.interrogating.get(ca);
    const patience = (this.options.source.interrogationIntervalMs || Infinity) / 2;
    if (since !== undefined && this.now() - since < patience) return;
    this.interrogating.set(ca, this.now());
    this.health.interrogations.sent++;
    this.link.send(encodeInterrogation(ca, this.options.source.originatorAddress));
  }

  private connect(): void {
    const { source } = this.options;
    this.health.state = 'connecting';
    this.interrogating.clear();
    this.interrogationCompleted = false;
    this.pending = [];
    const link = new Iec104Link(
      {
        host: source.host,
        port: source.port,
        k: source.k,
        w: source.w,
        t0Ms: source.t0Ms,
        t1Ms: source.t1Ms,
        t2Ms: source.t2Ms,
        t3Ms: source.t3Ms,
      },
      {
        onActive: () => this.onActive(),
        onAsdu: (asdu) => this.onAsdu(asdu),
        commit: () => this.commit(),
        onClose: (reason, error) => this.onClose(link, reason, error),
        onMalformed: (error) => this.onMalformed(error),
      },
    );
    this.link = link;
    link.open();
    this.health.state = 'starting';
  }

  private onActive(): void {
    const { source } = this.options;
    this.health.state = 'active';
    this.health.connects++;
    // Clock first, so the time tags of the interrogation's answers and of everything after
    // come from a corrected clock; then the station's whole state.
    if (source.clockSyncIntervalMs > 0) {
      this.synchroniseClock();
      this.every(source.clockSyncIntervalMs, () => this.synchroniseClock());
    }
    this.interrogate();
    if (source.interrogationIntervalMs > 0)
      this.every(source.interrogationIntervalMs, () => this.interrogate());
    if (source.counterInterrogationIntervalMs > 0) {
      this.counterInterrogate();
      this.every(source.counterInterrogationIntervalMs, () => this.counterInterrogate());
    }
  }

  private every(ms: number, run: () => void): void {
    this.scheduleTimers.push(setInterval(run, ms));
  }

  private clearSchedule(): void {
    for (const timer of this.scheduleTimers) clearInterval(timer);
    this.scheduleTimers.length = 0;
  }

  private onClose(link: Iec104Link, reason: LinkCloseReason, error: Error | null): void {
    this.clearSchedule();
    this.closedLinks.framesReceived += link.counters.framesReceived;
    this.closedLinks.framesSent += link.counters.framesSent;
    this.closedLinks.windowFull += link.counters.windowFull;
    this.closedLinks.testFramesSent += link.counters.testFramesSent;
    if (this.link === link) this.link = null;
    this.health.closes[reason] = (this.health.closes[reason] ?? 0) + 1;
    if (reason !== 'stopped') {
      this.health.lastError = `link closed (${reason})${error ? `: ${error.message}` : ''}`;
      this.log({
        event: 'iec104.link-closed',
        source: this.sourceId,
        reason,
        ...(error ? { error: error.message } : {}),
      });
    }
    if (!this.running) {
      this.health.state = 'stopped';
      return;
    }
    // A link that completed a general interrogation was healthy: start the backoff over.
    if (this.interrogationCompleted) this.attempts = 0;
    const min = this.options.reconnectMinMs ?? 500;
    const max = this.options.reconnectMaxMs ?? 30_000;
    const delay = Math.min(max, min * 2 ** this.attempts) * (0.75 + Math.random() * 0.5);
    this.attempts = Math.min(this.attempts + 1, 20);
    this.health.state = 'backoff';
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.running) this.connect();
    }, delay);
  }

  private onMalformed(error: Iec104FrameError): void {
    this.health.malformed[error.reason] = (this.health.malformed[error.reason] ?? 0) + 1;
    this.health.recentMalformed.push({
      at: new Date(this.now()).toISOString(),
      reason: error.reason,
      message: error.message,
      hex: error.hex,
    });
    if (this.health.recentMalformed.length > RECENT_MALFORMED) this.health.recentMalformed.shift();
    this.log({
      event: 'iec104.malformed',
      source: this.sourceId,
      reason: error.reason,
      message: error.message,
      hex: error.hex,
    });
  }

  private commit(): void {
    if (this.pending.length === 0) return;
    const samples = this.pending;
    this.pending = [];
    this.options.sink(samples);
    this.health.samples += samples.length;
  }

  /** One received ASDU. Throws Iec104FrameError (from the codec) for a malformed one. */
  private onAsdu(asdu: Buffer): void {
    const header = decodeAsduHeader(asdu);
    this.health.asdus++;
    const kind = kindOf(header.typeId);
    if (kind !== null) {
      this.onMonitoring(asdu, header, kind);
      return;
    }
    decodeBody(asdu, header, Number.NaN, () => undefined);
    const confirmed = header.cot === COT.ACTIVATION_CON && !header.negative;
    switch (header.typeId) {
      case TYPE.C_IC_NA_1:
        if (confirmed) this.health.interrogations.confirmed++;
        else if (header.cot === COT.ACTIVATION_TERMINATION) {
          this.health.interrogations.completed++;
          this.interrogating.delete(header.commonAddress);
          this.interrogationCompleted = true;
        } else {
          this.health.interrogations.refused++;
          this.interrogating.delete(header.commonAddress);
          this.refused('general interrogation', header.commonAddress, header.cot, asdu);
        }
        return;
      case TYPE.C_CI_NA_1:
        if (confirmed) this.health.counterInterrogations.confirmed++;
        else if (header.cot === COT.ACTIVATION_TERMINATION)
          this.health.counterInterrogations.completed++;
        else {
          this.health.counterInterrogations.refused++;
          this.refused('counter interrogation', header.commonAddress, header.cot, asdu);
        }
        return;
      case TYPE.C_CS_NA_1:
        if (confirmed) this.health.clockSyncs.confirmed++;
        else {
          this.health.clockSyncs.refused++;
          this.refused('clock synchronisation', header.commonAddress, header.cot, asdu);
        }
        return;
      case TYPE.M_EI_NA_1:
        // The station (re)initialised: its state is new, ask for all of it.
        this.health.endOfInitialisations++;
        this.interrogating.delete(header.commonAddress);
        if (this.commonAddresses.includes(header.commonAddress))
          this.interrogateAddress(header.commonAddress);
        return;
      default:
        this.health.ignoredAsdus++;
    }
  }

  private refused(what: string, ca: number, cot: number, asdu: Buffer): void {
    this.health.lastError = `${what} of common address ${ca} refused (cause ${cot}): ${toHex(asdu)}`;
  }

  private onMonitoring(
    asdu: Buffer,
    header: ReturnType<typeof decodeAsduHeader>,
    kind: ValueKind,
  ): void {
    const offsetMs = this.options.source.timeOffsetMinutes * 60_000;
    const received = this.now();
    const samples: BufferedSample[] = [];
    // T=1: the station is testing its transmission; the values are not measurements.
    const test = header.test;
    if (test) this.health.testAsdus++;
    const base = header.commonAddress * 0x1000000;
    // Decoded whole before anything is kept: a malformed ASDU leaves no samples behind.
    decodeBody(asdu, header, received + offsetMs, (ioa, value, quality, time) => {
      if (test) return;
      const tag = this.tagsByAddress.get(base + ioa);
      if (!tag) {
        this.health.unmappedObjects++;
        return;
      }
      if (tag.type !== kind) {
        this.health.typeMismatches++;
        this.health.lastError = `common address ${header.commonAddress} IOA ${ioa}: type ${header.typeId} (${kind}) but the tag says ${tag.type}`;
        return;
      }
      const finite = Number.isFinite(value);
      samples.push({
        source: this.sourceId,
        binding: tag.binding,
        ts: Number.isNaN(time) ? received : time - offsetMs,
        value: finite ? value * tag.scale + tag.offset : null,
        // A value that cannot be stored (NaN float, double point in transit) is bad,
        // whatever its quality descriptor says.
        status: finite ? statusOfQuality(quality) : 2,
        code: quality === 0 ? null : quality,
        priority: tag.priority,
      });
    });
    if (samples.length > 0) this.pending.push(...samples);
  }
}
