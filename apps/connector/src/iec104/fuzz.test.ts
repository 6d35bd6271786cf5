import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createRandom, type Random } from '@anh/domain/random';
import {
  apduLength,
  COT,
  decodeApci,
  decodeAsduHeader,
  decodeBody,
  encodeI,
  encodeMonitoring,
  encodeS,
  encodeU,
  Iec104FrameError,
  kindOf,
  MAX_ASDU_LENGTH,
  TYPE,
  U,
  type FrameErrorReason,
} from './codec';
import { Iec104Source, type Iec104SourceConfig } from './source';
import { until } from '../../test/wait';

/**
 * The frame fuzzer: seeded, so a failure repeats. Random byte strings, valid frames of
 * every kind, and valid frames mutated (bits flipped, octets replaced, cut, lengthened,
 * spliced) go through the same functions the link and the source use. The parser must
 * answer every one with a result or an Iec104FrameError — never another exception, never
 * a loop that does not end — and valid frames must decode to what was encoded.
 */
const MONITOR_TYPES = [1, 2, 3, 4, 9, 10, 11, 12, 13, 14, 15, 16, 21, 30, 31, 34, 35, 36, 37];
const REFERENCE = Date.UTC(2025, 10, 28, 21, 30);

interface Expected {
  ioa: number;
  value: number;
}

/** A valid monitoring ASDU with random objects, and what decoding it must give. */
function randomMonitoring(random: Random): { asdu: Buffer; expected: Expected[] } {
  const typeId = MONITOR_TYPES[random.int(MONITOR_TYPES.length)]!;
  const kind = kindOf(typeId)!;
  const sequence = random.next() < 0.3;
  const probe = encodeMonitoring(typeId, [{ ioa: 1, value: 0, time: REFERENCE }], {
    cot: 3,
    commonAddress: 1,
  });
  // Octets per object with its address (an upper bound for SQ=1, which has one address).
  const perObject = probe.length - 6;
  const fit = Math.floor((MAX_ASDU_LENGTH - 6) / perObject);
  const count = 1 + random.int(Math.min(fit, 20));
  const first = random.int(0xffffff - 200) + 1;
  const objects = Array.from({ length: count }, (_, i) => {
    const value =
      kind === 'single'
        ? random.int(2)
        : kind === 'double'
          ? random.int(4)
          : kind === 'normalized'
            ? (random.int(65536) - 32768) / 32768
            : kind === 'scaled'
              ? random.int(65536) - 32768
              : kind === 'float'
                ? Math.fround((random.next() - 0.5) * 1e6)
                : random.int(2 ** 32) - 2 ** 31;
    return {
      ioa: sequence ? first + i : random.int(0xffffff) + 1,
      value,
      quality: random.int(256),
      time: REFERENCE - random.int(30 * 60_000),
      timeInvalid: random.next() < 0.1,
    };
  });
  const asdu = encodeMonitoring(typeId, objects, {
    cot: [COT.SPONTANEOUS, COT.INTERROGATED_BY_STATION, COT.PERIODIC][random.int(3)]!,
    commonAddress: random.int(65535) + 1,
    sequence,
  });
  // A double point reads 0 off (DPI 1), 1 on (DPI 2), no value otherwise.
  const expected = objects.map((o) => ({
    ioa: o.ioa,
    value: kind !== 'double' ? o.value : o.value === 1 ? 0 : o.value === 2 ? 1 : Number.NaN,
  }));
  return { asdu, expected };
}

/**
 * A valid frame. `ack` is the N(R) it carries: random for the parser alone, 0 on a real
 * link (where any other number acknowledges frames the source never sent).
 */
function randomValidFrame(
  random: Random,
  seq: number,
  ack?: number,
): { frame: Buffer; expected: Expected[] } {
  const nr = () => ack ?? random.int(32768);
  const pick = random.next();
  if (pick < 0.1) return { frame: encodeS(nr()), expected: [] };
  if (pick < 0.15)
    return {
      frame: encodeU([U.TESTFR_ACT, U.TESTFR_CON, U.STARTDT_CON][random.int(3)]!),
      expected: [],
    };
  if (pick < 0.25) {
    const asdu = Buffer.from('64010700010000000014', 'hex');
    asdu[2] = [COT.ACTIVATION_CON, COT.ACTIVATION_TERMINATION, 0x47][random.int(3)]!;
    return { frame: encodeI(seq, nr(), asdu), expected: [] };
  }
  const { asdu, expected } = randomMonitoring(random);
  return { frame: encodeI(seq, nr(), asdu), expected };
}

function mutate(random: Random, frame: Buffer): Buffer {
  const out = Buffer.from(frame);
  switch (random.int(7)) {
    case 0: // flip 1–4 bits
      for (let i = 1 + random.int(4); i > 0; i--)
        out[random.int(out.length)]! ^= 1 << random.int(8);
      return out;
    case 1: // replace an octet
      out[random.int(out.length)] = random.int(256);
      return out;
    case 2: // the length octet
      out[1] = random.int(256);
      return out;
    case 3: // cut
      return out.subarray(0, random.int(out.length));
    case 4: // lengthen
      return Buffer.concat([
        out,
        Buffer.from(Array.from({ length: 1 + random.int(8) }, () => random.int(256))),
      ]);
    case 5: // the type identification, the object count or the cause of transmission
      out[6 + random.int(3)] = random.int(256) & (random.next() < 0.5 ? 0xc0 : 0xff);
      return out;
    default: // splice with random bytes in the middle
      return Buffer.concat([
        out.subarray(0, random.int(out.length)),
        Buffer.from(Array.from({ length: random.int(12) }, () => random.int(256))),
        out.subarray(random.int(out.length)),
      ]);
  }
}

type Outcome = {
  frames: number;
  objects: Array<{ ioa: number; value: number; quality: number; time: number }>;
  error: FrameErrorReason | null;
  incomplete: boolean;
};

/** What the link and the source do with received bytes, without the socket. */
function parse(bytes: Buffer): Outcome {
  const outcome: Outcome = { frames: 0, objects: [], error: null, incomplete: false };
  let offset = 0;
  try {
    for (;;) {
      const length = apduLength(bytes, offset);
      if (length === 0 || offset + length > bytes.length) {
        outcome.incomplete = offset < bytes.length;
        return outcome;
      }
      const apdu = bytes.subarray(offset, offset + length);
      offset += length;
      const apci = decodeApci(apdu);
      if (apci.format === 'I') {
        const asdu = apdu.subarray(6);
        decodeBody(asdu, decodeAsduHeader(asdu), REFERENCE, (ioa, value, quality, time) =>
          outcome.objects.push({ ioa, value, quality, time }),
        );
      }
      outcome.frames++;
    }
  } catch (error) {
    if (!(error instanceof Iec104FrameError)) throw error;
    outcome.error = error.reason;
    return outcome;
  }
}

function checkObjects(outcome: Outcome): void {
  for (const o of outcome.objects) {
    expect(Number.isInteger(o.ioa) && o.ioa >= 0 && o.ioa <= 0xffffff).toBe(true);
    expect(Number.isInteger(o.quality) && o.quality >= 0 && o.quality < 0x4000).toBe(true);
    expect(Number.isNaN(o.time) || Number.isInteger(o.time)).toBe(true);
  }
}

describe('frame fuzzer against the parser (seeded)', () => {
  it('decodes 3000 valid frames to what was encoded', () => {
    const random = createRandom(104);
    for (let i = 0; i < 3000; i++) {
      const { frame, expected } = randomValidFrame(random, i % 32768);
      const outcome = parse(frame);
      expect(outcome.error).toBeNull();
      expect(outcome.frames).toBe(1);
      expect(outcome.objects.map((o) => o.ioa)).toEqual(expected.map((e) => e.ioa));
      outcome.objects.forEach((o, j) => {
        const want = expected[j]!.value;
        if (Number.isNaN(want)) expect(o.value).toBeNaN();
        else expect(o.value).toBe(want);
      });
      checkObjects(outcome);
    }
  });

  it('survives 5000 mutated frames and 2000 random byte strings: a result or a frame error', () => {
    const random = createRandom(60870);
    const reasons = new Map<string, number>();
    const started = Date.now();
    for (let i = 0; i < 7000; i++) {
      const bytes =
        i < 5000
          ? mutate(random, randomValidFrame(random, random.int(32768)).frame)
          : Buffer.from(
              Array.from({ length: random.int(300) }, () =>
                // half of them start like a frame, to get past the start octet
                random.next() < 0.5 ? random.int(256) : 0x68,
              ),
            );
      const outcome = parse(bytes);
      checkObjects(outcome);
      const key = outcome.error ?? (outcome.incomplete ? 'incomplete' : 'accepted');
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
    // The mutations reach every check, not just the first octet.
    for (const reason of ['start', 'length', 'control', 'type', 'asdu-length', 'content'])
      expect(reasons.get(reason) ?? 0).toBeGreaterThan(0);
    expect(reasons.get('incomplete') ?? 0).toBeGreaterThan(0);
    expect(reasons.get('accepted') ?? 0).toBeGreaterThan(0);
    // No hang: 7000 frames parse in well under the test's time.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

/**
 * The same fuzzing through the real link and source over TCP: a station on 127.0.0.1
 * that confirms STARTDT and then sends frames, valid ones with the right N(S) and
 * mutated ones, cut into random chunks. The source must count and log what it refuses,
 * reconnect every time, and still read a good station afterwards.
 */
describe('frame fuzzer against the running source over TCP', () => {
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('logs, counts and reconnects after 150 fuzzed links, then reads a good station', async () => {
    const random = createRandom(2404);
    let sessions = 0;
    let good = false;
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      let sendSeq = 0;
      socket.on('data', (data) => {
        // STARTDT act → con; then either fuzz or, at the end, a proper answer.
        if (!data.includes(Buffer.from([0x68, 0x04, 0x07, 0, 0, 0]))) {
          if (good && data.includes(Buffer.from('640106', 'hex'))) {
            const value = encodeMonitoring(TYPE.M_ME_NC_1, [{ ioa: 4001, value: 42.5 }], {
              cot: COT.INTERROGATED_BY_STATION,
              commonAddress: 5,
            });
            socket.write(encodeI(sendSeq++, 1, value));
          }
          return;
        }
        socket.write(encodeU(U.STARTDT_CON));
        if (good) return;
        sessions++;
        const chunks: Buffer[] = [];
        for (let i = random.int(6); i > 0; i--)
          chunks.push(randomValidFrame(random, sendSeq++, 0).frame);
        chunks.push(mutate(random, randomValidFrame(random, sendSeq++, 0).frame));
        const bytes = Buffer.concat(chunks);
        // Random chunk boundaries: frames arrive split and joined.
        let offset = 0;
        const writeNext = () => {
          if (socket.destroyed) return;
          if (offset >= bytes.length) {
            // Then the station hangs up (the source may already have).
            setTimeout(() => socket.end(), 5);
            return;
          }
          const size = 1 + random.int(40);
          socket.write(bytes.subarray(offset, offset + size));
          offset += size;
          setImmediate(writeNext);
        };
        writeNext();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const logged: Array<Record<string, unknown>> = [];
    const received: number[] = [];
    const config: Iec104SourceConfig = {
      id: 'fuzz',
      type: 'iec104',
      host: '127.0.0.1',
      port,
      originatorAddress: 0,
      k: 12,
      w: 8,
      t0Ms: 5000,
      t1Ms: 10_000,
      t2Ms: 1000,
      t3Ms: 20_000,
      interrogationIntervalMs: 0,
      counterInterrogationIntervalMs: 0,
      clockSyncIntervalMs: 0,
      timeOffsetMinutes: 0,
    };
    const source = new Iec104Source({
      source: config,
      tags: [{ binding: 'p', priority: 0, scale: 1, offset: 0, ca: 5, ioa: 4001, type: 'float' }],
      sink: (samples) => received.push(...samples.map((s) => s.value ?? Number.NaN)),
      log: (entry) => logged.push(entry),
      reconnectMinMs: 1,
      reconnectMaxMs: 5,
    });
    try {
      source.start();
      await until(() => sessions >= 150, 60_000);
      good = true;
      await until(() => received.includes(42.5), 20_000);
      const status = source.status();
      const malformed = Object.values(status.malformed).reduce((a, b) => a + (b ?? 0), 0);
      expect(malformed).toBeGreaterThan(50);
      expect(status.connects).toBeGreaterThanOrEqual(150);
      expect(status.recentMalformed.length).toBe(10);
      for (const entry of status.recentMalformed) expect(entry.hex).toMatch(/^[0-9a-f]+$/);
      const logs = logged.filter((e) => e.event === 'iec104.malformed');
      expect(logs.length).toBe(malformed);
      // Each is logged with the whole frame from its start octet (an ASDU error too), but
      // a bad start octet, logged from where the stream lost step.
      for (const entry of logs) {
        expect(entry.hex).toMatch(/^[0-9a-f]+$/);
        if (entry.reason !== 'start') expect(entry.hex).toMatch(/^68/);
      }
      expect(logs.some((e) => e.reason === 'type' || e.reason === 'asdu-length')).toBe(true);
      expect(status.state).toBe('active');
    } finally {
      await source.stop();
    }
  }, 120_000);
});
