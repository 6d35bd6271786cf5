import { connect, type Socket } from 'node:net';
import {
  apduLength,
  decodeApci,
  encodeI,
  encodeS,
  encodeU,
  Iec104FrameError,
  SEQUENCE_MODULO,
  toHex,
  U,
} from './codec';

/**
 * One TCP connection of an IEC 60870-5-104 controlling station: the APCI layer. It
 * connects (t0), starts data transfer (STARTDT), numbers and acknowledges I frames with
 * the k and w windows, tests an idle link (t3, TESTFR), and closes itself — once, with a
 * reason — on any timeout (t1), socket error or frame that breaks the standard. It never
 * reconnects: the source above opens a new link.
 *
 * Durability: received I frames are handed up one TCP chunk at a time and acknowledged
 * (S frame or N(R)) only after `commit` returns, which is after the source has written
 * their samples to the buffer. A station keeps what is unacknowledged and sends it again
 * after a reconnect, so nothing acknowledged is ever lost on our side.
 */
export interface LinkParameters {
  host: string;
  port: number;
  k: number;
  w: number;
  t0Ms: number;
  t1Ms: number;
  t2Ms: number;
  t3Ms: number;
}

export type LinkCloseReason =
  | 'stopped'
  | 't0'
  | 't1'
  | 'malformed'
  | 'peer-closed'
  | 'socket-error'
  /** The sink could not store the samples: nothing was acknowledged, the station resends. */
  | 'commit-failed'
  /** A bug of ours while reading a frame: the link starts over instead of the process dying. */
  | 'internal-error';

export interface LinkCounters {
  framesReceived: number;
  framesSent: number;
  iFramesReceived: number;
  iFramesSent: number;
  /** Times an I frame waited because k frames were unacknowledged. */
  windowFull: number;
  testFramesSent: number;
  testFramesAnswered: number;
}

export interface LinkHandlers {
  /** STARTDT confirmed: I frames may flow. */
  onActive(): void;
  /** One received ASDU (a view, valid during the call). Throw Iec104FrameError to refuse it. */
  onAsdu(asdu: Buffer): void;
  /** Make what onAsdu received durable; throwing closes the link without acknowledging. */
  commit(): void;
  /** Exactly once. `error` is the malformed frame or the socket error, when there is one. */
  onClose(reason: LinkCloseReason, error: Error | null): void;
  /** A frame that broke the standard (also the last bytes of a frame cut by a close). */
  onMalformed(error: Iec104FrameError): void;
}

const seqDistance = (from: number, to: number) => (to - from + SEQUENCE_MODULO) % SEQUENCE_MODULO;

export class Iec104Link {
  readonly counters: LinkCounters = {
    framesReceived: 0,
    framesSent: 0,
    iFramesReceived: 0,
    iFramesSent: 0,
    windowFull: 0,
    testFramesSent: 0,
    testFramesAnswered: 0,
  };
  state: 'connecting' | 'starting' | 'active' | 'stopping' | 'closed' = 'connecting';
  private socket: Socket | null = null;
  /** Bytes of a frame whose end has not arrived yet. */
  private pending: Buffer | null = null;
  /** V(S), V(R). */
  private sendSeq = 0;
  private receiveSeq = 0;
  /**
   * V(R) as of the last commit: the highest N(R) we may send. An I frame we send while
   * received frames are still being processed carries this one, not V(R).
   */
  private committedSeq = 0;
  /** The last N(R) we sent (in an S or an I frame). */
  private announcedSeq = 0;
  /** Oldest of our I frames not yet acknowledged by the station. */
  private ackedSeq = 0;
  /** When each unacknowledged I frame was sent (oldest first), for t1. */
  private readonly sentAt: number[] = [];
  private readonly queue: Buffer[] = [];
  private blocked = false;
  private t0: NodeJS.Timeout | null = null;
  private t1: NodeJS.Timeout | null = null;
  /** t1 of the U frame we wait a confirmation for (STARTDT or TESTFR act). */
  private t1U: NodeJS.Timeout | null = null;
  private t2: NodeJS.Timeout | null = null;
  private t3: NodeJS.Timeout | null = null;
  private awaitingTest = false;
  private stopped: (() => void) | null = null;

  constructor(
    private readonly parameters: LinkParameters,
    private readonly handlers: LinkHandlers,
  ) {}

  open(): void {
    const socket = connect({ host: this.parameters.host, port: this.parameters.port });
    this.socket = socket;
    socket.setNoDelay(true);
    this.t0 = setTimeout(() => this.close('t0', null), this.parameters.t0Ms);
    socket.on('connect', () => {
      this.clear('t0');
      this.state = 'starting';
      this.sendU(U.STARTDT_ACT);
      this.armT3();
    });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.close('socket-error', error));
    socket.on('close', () =>
      this.close(this.state === 'stopping' ? 'stopped' : 'peer-closed', null),
    );
  }

  /** Sends an ASDU in an I frame now, or as soon as the k window and STARTDT allow. */
  send(asdu: Buffer): void {
    this.queue.push(asdu);
    this.flush();
  }

  /** STOPDT (after acknowledging what was received), then closes; at most t1 or `waitMs`. */
  async stop(waitMs = 2000): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state !== 'active') {
      this.close('stopped', null);
      return;
    }
    this.state = 'stopping';
    const done = new Promise<void>((resolve) => (this.stopped = resolve));
    if (this.committedSeq !== this.announcedSeq) this.acknowledge();
    this.write(encodeU(U.STOPDT_ACT));
    const timer = setTimeout(
      () => this.close('stopped', null),
      Math.min(waitMs, this.parameters.t1Ms),
    );
    await done;
    clearTimeout(timer);
  }

  /** Closes the link at once (idempotent); the station keeps what we did not acknowledge. */
  close(reason: LinkCloseReason, error: Error | null): void {
    if (this.state === 'closed') return;
    // The station went away (FIN or RST) in the middle of a frame: log what came of it.
    if ((reason === 'peer-closed' || reason === 'socket-error') && this.pending?.length)
      this.handlers.onMalformed(
        new Iec104FrameError(
          'truncated',
          `link closed ${this.pending.length} octets into a frame`,
          toHex(this.pending),
        ),
      );
    this.state = 'closed';
    for (const timer of ['t0', 't1', 't1U', 't2', 't3'] as const) this.clear(timer);
    this.socket?.destroy();
    this.queue.length = 0;
    this.handlers.onClose(reason, error);
    this.stopped?.();
  }

  private get closed(): boolean {
    return this.state === 'closed';
  }

  private clear(name: 't0' | 't1' | 't1U' | 't2' | 't3'): void {
    const timer = this[name];
    if (timer) clearTimeout(timer);
    this[name] = null;
  }

  private write(frame: Buffer): void {
    this.counters.framesSent++;
    this.socket?.write(frame);
  }

  private sendU(fn: (typeof U)[keyof typeof U]): void {
    this.write(encodeU(fn));
    if (fn === U.STARTDT_ACT || fn === U.TESTFR_ACT) {
      this.clear('t1U');
      this.t1U = setTimeout(() => this.close('t1', null), this.parameters.t1Ms);
    }
  }

  private flush(): void {
    if (this.state !== 'active') return;
    while (this.queue.length > 0) {
      if (this.sentAt.length >= this.parameters.k) {
        if (!this.blocked) this.counters.windowFull++;
        this.blocked = true;
        return;
      }
      this.blocked = false;
      const asdu = this.queue.shift()!;
      // An I frame carries N(R): it acknowledges everything committed so far.
      this.write(encodeI(this.sendSeq, this.committedSeq, asdu));
      this.counters.iFramesSent++;
      this.sendSeq = (this.sendSeq + 1) % SEQUENCE_MODULO;
      this.announcedSeq = this.committedSeq;
      this.clear('t2');
      this.sentAt.push(Date.now());
      if (!this.t1) this.armT1();
    }
  }

  /** t1 for the oldest unacknowledged I frame. */
  private armT1(): void {
    this.clear('t1');
    const oldest = this.sentAt[0];
    if (oldest === undefined) return;
    const due = Math.max(0, oldest + this.parameters.t1Ms - Date.now());
    this.t1 = setTimeout(() => this.close('t1', null), due);
  }

  /** t3 restarts with every frame received; when it runs out, TESTFR act. */
  private armT3(): void {
    this.clear('t3');
    this.t3 = setTimeout(() => {
      if (this.state === 'closed') return;
      if (!this.awaitingTest) {
        this.awaitingTest = true;
        this.counters.testFramesSent++;
        this.sendU(U.TESTFR_ACT);
      }
      this.armT3();
    }, this.parameters.t3Ms);
  }

  private acknowledge(): void {
    this.write(encodeS(this.committedSeq));
    this.announcedSeq = this.committedSeq;
    this.clear('t2');
  }

  /** The station's N(R): frees the window, or is a frame we never sent (malformed). */
  private acknowledged(receiveSeq: number, apdu: Buffer): void {
    const outstanding = seqDistance(this.ackedSeq, this.sendSeq);
    const freed = seqDistance(this.ackedSeq, receiveSeq);
    if (freed > outstanding)
      throw new Iec104FrameError(
        'acknowledgement',
        `N(R) ${receiveSeq} acknowledges frames never sent (oldest unacknowledged ${this.ackedSeq}, next ${this.sendSeq})`,
        toHex(apdu),
      );
    if (freed === 0) return;
    this.ackedSeq = receiveSeq;
    this.sentAt.splice(0, freed);
    this.armT1();
    this.flush();
  }

  private receive(chunk: Buffer): void {
    if (this.state === 'closed') return;
    const bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let offset = 0;
    let received = 0;
    try {
      for (;;) {
        const length = apduLength(bytes, offset);
        if (length === 0 || offset + length > bytes.length) break;
        const apdu = bytes.subarray(offset, offset + length);
        offset += length;
        this.counters.framesReceived++;
        const apci = decodeApci(apdu);
        if (apci.format === 'I') {
          if (apci.sendSeq !== this.receiveSeq)
            throw new Iec104FrameError(
              'sequence',
              `N(S) ${apci.sendSeq}, expected ${this.receiveSeq}: I frames lost or repeated`,
              toHex(apdu),
            );
          this.acknowledged(apci.receiveSeq, apdu);
          try {
            this.handlers.onAsdu(apdu.subarray(6));
          } catch (error) {
            // The codec saw only the ASDU: log the whole frame.
            if (error instanceof Iec104FrameError)
              throw new Iec104FrameError(error.reason, error.message, toHex(apdu));
            throw error;
          }
          this.receiveSeq = (this.receiveSeq + 1) % SEQUENCE_MODULO;
          this.counters.iFramesReceived++;
          received++;
        } else if (apci.format === 'S') {
          this.acknowledged(apci.receiveSeq, apdu);
        } else {
          this.onU(apci.fn, apdu);
        }
        // A STOPDT con may have closed the link.
        if (this.closed) return;
      }
    } catch (error) {
      // What arrived intact before the bad frame is kept (committed, not acknowledged).
      if (received > 0) this.commit();
      if (error instanceof Iec104FrameError) {
        this.handlers.onMalformed(error);
        this.close('malformed', error);
      } else this.close('internal-error', error as Error);
      return;
    }
    if (offset < bytes.length) this.pending = Buffer.from(bytes.subarray(offset));
    this.armT3();
    if (received > 0) {
      if (!this.commit()) return;
      const unacknowledged = seqDistance(this.announcedSeq, this.committedSeq);
      if (unacknowledged >= this.parameters.w) this.acknowledge();
      else if (unacknowledged > 0 && !this.t2)
        this.t2 = setTimeout(() => {
          this.t2 = null;
          if (this.committedSeq !== this.announcedSeq && this.state !== 'closed')
            this.acknowledge();
        }, this.parameters.t2Ms);
    }
  }

  private commit(): boolean {
    try {
      this.handlers.commit();
      this.committedSeq = this.receiveSeq;
      return true;
    } catch (error) {
      this.close('commit-failed', error as Error);
      return false;
    }
  }

  private onU(fn: number, apdu: Buffer): void {
    switch (fn) {
      case U.STARTDT_CON:
        if (this.state === 'starting') {
          this.clear('t1U');
          this.state = 'active';
          this.handlers.onActive();
          this.flush();
        }
        return;
      case U.TESTFR_ACT:
        this.write(encodeU(U.TESTFR_CON));
        this.counters.testFramesAnswered++;
        return;
      case U.TESTFR_CON:
        if (this.awaitingTest) {
          this.awaitingTest = false;
          this.clear('t1U');
        }
        return;
      case U.STOPDT_CON:
        if (this.state === 'stopping') this.close('stopped', null);
        return;
      default:
        // STARTDT/STOPDT act are the controlling station's to send, never to receive.
        throw new Iec104FrameError(
          'unexpected',
          `U frame 0x${fn.toString(16)} sent by the controlled station`,
          toHex(apdu),
        );
    }
  }
}
