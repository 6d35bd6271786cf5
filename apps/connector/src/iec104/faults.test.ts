import { describe, expect, it } from 'vitest';
import { iec104SourceSchema } from '@anh/domain/connector-config';
import type { BufferedSample } from '../buffer/store';
import { Slave } from '../../test/iec104/slave';
import { until } from '../../test/wait';
import { encodeMonitoring, type FrameErrorReason } from './codec';
import { Iec104Source, type Iec104SourceStatus } from './source';

/**
 * Faults against the lib60870 slave: the station restarted (in process, and killed and
 * started again), the link cut in the middle of a frame, our send window overflowing
 * while the station stops answering, and frames that break the standard written on the
 * station's own link. After each, the source must reconnect by itself, interrogate, and
 * store every value the station sends after that interrogation — checked by sending a
 * burst of spontaneous values and finding each of them in the sink.
 */
interface Station {
  slave: Slave;
  source: Iec104Source;
  samples: BufferedSample[];
  logged: Array<Record<string, unknown>>;
  /** How many more sink calls throw (as a full disk would). */
  refuse: number;
}

async function definePoints(slave: Slave): Promise<void> {
  await slave.command('point 1 1 13'); // M_ME_NC_1: the burst point
  await slave.command('set 1 1 7.25 0 0');
  await slave.command('point 1 2 31'); // M_DP_TB_1
  await slave.command('set 1 2 2 0 0');
  await slave.command('point 1 3 36'); // M_ME_TF_1
  await slave.command('set 1 3 1.5 0 0');
}

async function withStation(
  overrides: Record<string, unknown>,
  run: (station: Station) => Promise<void>,
): Promise<void> {
  const slave = await Slave.start();
  await definePoints(slave);
  const samples: BufferedSample[] = [];
  const logged: Array<Record<string, unknown>> = [];
  // eslint-disable-next-line prefer-const -- the sink below needs the station built after it
  let station: Station;
  const source = new Iec104Source({
    source: iec104SourceSchema.parse({
      id: 'rtu',
      type: 'iec104',
      host: '127.0.0.1',
      port: slave.port,
      t1Ms: 3000,
      t2Ms: 500,
      interrogationIntervalMs: 0,
      ...overrides,
    }),
    tags: [
      { binding: 'flow', priority: 0, scale: 1, offset: 0, ca: 1, ioa: 1, type: 'float' },
      { binding: 'valve', priority: 0, scale: 1, offset: 0, ca: 1, ioa: 2, type: 'double' },
      { binding: 'temp', priority: 0, scale: 1, offset: 0, ca: 1, ioa: 3, type: 'float' },
    ],
    sink: (s) => {
      if (station.refuse > 0) {
        station.refuse--;
        throw new Error('disk full');
      }
      samples.push(...s);
    },
    log: (entry) => logged.push(entry),
    reconnectMinMs: 200,
    reconnectMaxMs: 2000,
  });
  station = { slave, source, samples, logged, refuse: 0 };
  try {
    source.start();
    await until(() => source.status().interrogations.completed >= 1, 30_000);
    await run(station);
  } finally {
    await source.stop();
    await station.slave.stop();
  }
}

/**
 * Waits for the reconnect (a new link whose general interrogation completed), checks the
 * interrogation brought the station's state, then sends `count` spontaneous values and
 * requires every one of them, in order.
 */
async function expectRecovered(
  station: Station,
  before: Iec104SourceStatus,
  first: number,
  count = 100,
): Promise<void> {
  const { source, slave, samples } = station;
  await until(
    () =>
      source.status().connects > before.connects &&
      source.status().interrogations.completed > before.interrogations.completed,
    60_000,
  );
  expect(source.status().state).toBe('active');
  // The last interrogation's answer (all points) is what the source stored last for them.
  const answer = slave
    .sent()
    .filter((e) => e.cot === 20)
    .slice(-3);
  expect(answer.map((e) => e.ioa).sort()).toEqual([1, 2, 3]);
  for (const object of answer) {
    const binding = ['flow', 'valve', 'temp'][object.ioa - 1]!;
    const value = object.ioa === 2 ? (object.value === 2 ? 1 : 0) : object.value;
    expect(samples.filter((s) => s.binding === binding).at(-1)?.value).toBe(value);
  }
  const from = samples.length;
  await slave.command(`burst 1 1 ${count} ${first}`);
  const expected = Array.from({ length: count }, (_, i) => first + i);
  const values = () => samples.slice(from).flatMap((s) => (s.binding === 'flow' ? [s.value] : []));
  await until(() => expected.every((v) => values().includes(v)), 60_000);
  // In order, and each once (nothing was re-sent on a healthy link).
  expect(values()).toEqual(expected);
  await until(() => allAcknowledged(slave), 10_000);
}

const isIFrame = (hex: string) => (parseInt(hex.slice(4, 6), 16) & 1) === 0;
const isSFrame = (hex: string) => hex.slice(4, 6) === '01';
const receiveSeqOf = (hex: string) => Buffer.from(hex, 'hex').readUInt16LE(4) >> 1;

/**
 * Whether the source has acknowledged every I frame the station sent on its current
 * link, so a fault injected next cannot make the station send any of them again.
 */
function allAcknowledged(slave: Slave): boolean {
  const opened = slave.events.map((e) => e.ev).lastIndexOf('opened');
  const link = slave.events.slice(opened);
  const sent = link.filter((e) => e.ev === 'tx' && isIFrame(e.hex)).length;
  const last = link.filter((e) => e.ev === 'rx' && (isIFrame(e.hex) || isSFrame(e.hex))).at(-1) as
    { hex: string } | undefined;
  return last !== undefined && receiveSeqOf(last.hex) === sent % 32768;
}

function malformedCount(status: Iec104SourceStatus, reason: FrameErrorReason): number {
  return status.malformed[reason] ?? 0;
}

describe('IEC 104 faults against the lib60870 slave', () => {
  it('the station restarts (listener closed for a while): reconnects, nothing lost after the interrogation', async () => {
    await withStation({}, async (station) => {
      const before = station.source.status();
      await station.slave.command('restart 1500');
      await expectRecovered(station, before, 1000);
      const status = station.source.status();
      // The link dropped (FIN, or RST when the station closed with our frames unread),
      // then connecting was refused and retried with backoff while it was away.
      expect(
        (status.closes['peer-closed'] ?? 0) + (status.closes['socket-error'] ?? 0),
      ).toBeGreaterThanOrEqual(2);
      expect(status.closes.malformed ?? 0).toBe(0);
    });
  }, 120_000);

  it('the station process dies and starts again on the same port', async () => {
    await withStation({}, async (station) => {
      const before = station.source.status();
      const port = station.slave.port;
      await station.slave.kill();
      await until(() => station.source.status().state !== 'active', 10_000);
      station.slave = await Slave.start({ port });
      await definePoints(station.slave);
      await station.slave.command('set 1 1 3.5 0 0');
      await expectRecovered(station, before, 2000);
      // The new process's interrogation brought its state.
      expect(station.samples.some((s) => s.binding === 'flow' && s.value === 3.5)).toBe(true);
    });
  }, 120_000);

  it('the link is cut in the middle of a frame: the partial frame is logged, then a clean reconnect', async () => {
    await withStation({}, async (station) => {
      const before = station.source.status();
      const from = station.slave.events.length;
      await station.slave.command('cut 9');
      const cut = (await station.slave.waitFor((e) => e.ev === 'cut', 5000, from)) as {
        hex: string;
      };
      await expectRecovered(station, before, 3000);
      const status = station.source.status();
      expect(malformedCount(status, 'truncated')).toBe(1);
      expect(status.recentMalformed.at(-1)).toMatchObject({ reason: 'truncated', hex: cut.hex });
      expect(station.logged).toContainEqual(
        expect.objectContaining({ event: 'iec104.malformed', reason: 'truncated', hex: cut.hex }),
      );
      // The value in the cut frame (1.0 at IOA 12345) was never stored.
      expect(station.samples.some((s) => s.value === 1 && s.binding === 'flow')).toBe(false);
    });
  }, 120_000);

  it('the station stops answering: the k window fills, t1 ends the link, then it recovers', async () => {
    await withStation(
      // Commands every 100 ms fill a window of 3 at once when nothing is acknowledged.
      { k: 3, w: 2, t1Ms: 2000, clockSyncIntervalMs: 100, counterInterrogationIntervalMs: 100 },
      async (station) => {
        const before = station.source.status();
        await station.slave.command('freeze');
        await until(() => (station.source.status().closes.t1 ?? 0) >= 1, 30_000);
        const frozen = station.source.status();
        expect(frozen.windowFull).toBeGreaterThan(before.windowFull);
        // While frozen, never more than k I frames went out unacknowledged: the station
        // reads the ones sent on the frozen link from its socket buffer once it thaws.
        const from = station.slave.events.length;
        await station.slave.command('thaw');
        await expectRecovered(station, before, 4000);
        const late = station.slave.received(from);
        const firstStart = late.indexOf('680407000000');
        const beforeNewLink = firstStart < 0 ? late : late.slice(0, firstStart);
        const iFrames = beforeNewLink.filter(isIFrame);
        expect(iFrames.length).toBeGreaterThanOrEqual(1);
        expect(iFrames.length).toBeLessThanOrEqual(3);
        expect(station.source.status().malformed).toEqual({});
      },
    );
  }, 120_000);

  it('acknowledges every w frames: a burst of 1000 values arrives whole, the station never stalls', async () => {
    await withStation({ w: 8 }, async (station) => {
      const from = station.slave.events.length;
      const start = station.samples.length;
      await station.slave.command('burst 1 1 1000 10000');
      const values = () =>
        station.samples.slice(start).flatMap((s) => (s.binding === 'flow' ? [s.value] : []));
      await until(() => values().length >= 1000, 60_000);
      expect(values()).toEqual(Array.from({ length: 1000 }, (_, i) => 10000 + i));
      // The station's window (k = 12) never ran out: each S frame acknowledged at most 12
      // more I frames, the last one all of them, and no link was lost.
      // Every I frame the station sent on this (only) link, acknowledged within t2.
      await until(() => allAcknowledged(station.slave), 10_000);
      const acknowledged = station.slave.received(from).filter(isSFrame).map(receiveSeqOf);
      const steps = acknowledged.slice(1).map((n, i) => n - acknowledged[i]!);
      expect(Math.max(...steps)).toBeLessThanOrEqual(12);
      expect(acknowledged.length).toBeGreaterThanOrEqual(1000 / 12);
      expect(station.source.status().closes).toEqual({});
    });
  }, 120_000);

  it('frames that break the standard are logged with their bytes, counted, and end in a clean reconnect', async () => {
    const asdu = (typeId: number, cot = 3) =>
      encodeMonitoring(typeId === 200 ? 13 : typeId, [{ ioa: 1, value: 99 }], {
        cot,
        commonAddress: 1,
      });
    const unknownType = Buffer.from(asdu(13));
    unknownType[0] = 200;
    const twoAnnounced = Buffer.from(asdu(13));
    twoAnnounced[1] = 2;
    const cases: Array<{ reason: FrameErrorReason; command: string }> = [
      { reason: 'length', command: 'raw 680501000000ff' },
      { reason: 'start', command: 'raw 00680401000000' },
      { reason: 'control', command: 'raw 68040f000000' },
      { reason: 'type', command: `rawi 0 ${unknownType.toString('hex')}` },
      { reason: 'asdu-length', command: `rawi 0 ${twoAnnounced.toString('hex')}` },
      { reason: 'sequence', command: `rawi 3 ${asdu(13).toString('hex')}` },
    ];
    await withStation({}, async (station) => {
      let first = 5000;
      for (const { reason, command } of cases) {
        const before = station.source.status();
        const from = station.slave.events.length;
        await station.slave.command(command);
        const injected = (await station.slave.waitFor((e) => e.ev === 'injected', 5000, from)) as {
          hex: string;
        };
        await until(() => malformedCount(station.source.status(), reason) === 1, 20_000);
        const entry = station.source.status().recentMalformed.at(-1)!;
        expect(entry.reason).toBe(reason);
        // The bytes as the station wrote them (from the bad octet on, for a bad start).
        expect(injected.hex).toContain(entry.hex);
        expect(entry.hex.length).toBeGreaterThanOrEqual(2);
        await expectRecovered(station, before, first, 20);
        first += 100;
        // The value 99 in the refused frames was never stored.
        expect(station.samples.some((s) => s.value === 99)).toBe(false);
      }
      const status = station.source.status();
      expect(status.closes.malformed).toBe(cases.length);
      expect(status.recentMalformed.map((m) => m.reason)).toEqual(cases.map((c) => c.reason));
      expect(station.logged.filter((e) => e.event === 'iec104.malformed')).toHaveLength(
        cases.length,
      );
    });
  }, 240_000);

  it('the buffer refuses a write: nothing is acknowledged, and the station sends it again', async () => {
    await withStation({}, async (station) => {
      const before = station.source.status();
      const time = Date.now() - 60_000;
      station.refuse = 1;
      await station.slave.command(`set 1 3 77.5 0 ${time}`);
      await station.slave.command('spont 1 3');
      await until(() => station.source.status().closes['commit-failed'] === 1, 10_000);
      await expectRecovered(station, before, 7000, 20);
      // The interrogation carries 77.5 without a time tag; the spontaneous frame, sent
      // again by lib60870 because we never acknowledged it, carries its own.
      expect(station.samples).toContainEqual(
        expect.objectContaining({ binding: 'temp', value: 77.5, ts: time }),
      );
    });
  }, 120_000);

  it('a test ASDU (T=1) is read and not stored; the station’s next frame repeats its N(S)', async () => {
    await withStation({}, async (station) => {
      const before = station.source.status();
      const test = Buffer.from(
        encodeMonitoring(13, [{ ioa: 1, value: 99 }], { cot: 3, commonAddress: 1 }),
      );
      test[2] = test[2]! | 0x80;
      await station.slave.command(`rawi 0 ${test.toString('hex')}`);
      await until(() => station.source.status().testAsdus === 1, 10_000);
      // lib60870 did not count our injected frame: its next one has the same N(S).
      await station.slave.command('spont 1 1');
      await until(() => malformedCount(station.source.status(), 'sequence') === 1, 10_000);
      await expectRecovered(station, before, 6000, 20);
      expect(station.samples.some((s) => s.value === 99)).toBe(false);
    });
  }, 120_000);
});
