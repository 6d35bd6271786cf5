import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iec104SourceSchema } from '@anh/domain/connector-config';
import type { BufferedSample } from '../buffer/store';
import { Slave, type SlaveEvent } from '../../test/iec104/slave';
import { until } from '../../test/wait';
import { Iec104Source, type Iec104Tag } from './source';

/**
 * The IEC 104 source against lib60870's slave (test/iec104/slave.c) on 127.0.0.1: what
 * the station holds — values of every type, time tags, quality — is what the connector
 * stores, from a general interrogation, a counter interrogation and spontaneous changes.
 * Expected quality codes are worked out here from the IEC bits, not with the codec.
 */
type Sent = Extract<SlaveEvent, { ev: 'sent' }>;

const OFFSET_MINUTES = -300; // the station keeps Bogotá local time
const OFFSET_MS = OFFSET_MINUTES * 60_000;

/** [ca, ioa, type id, value, quality octet, kind of the tag] */
const POINTS: Array<[number, number, number, number, number, Iec104Tag['type']]> = [
  [1, 1, 30, 1, 0x00, 'single'],
  [1, 2, 1, 0, 0x40, 'single'],
  [1, 3, 31, 2, 0x00, 'double'],
  [1, 4, 3, 0, 0x00, 'double'],
  [1, 5, 34, 0.5, 0x00, 'normalized'],
  [1, 6, 9, -0.25, 0x01, 'normalized'],
  [1, 7, 21, 0.125, 0x00, 'normalized'],
  [1, 8, 35, -1234, 0x20, 'scaled'],
  [1, 9, 11, 32767, 0x10, 'scaled'],
  [1, 10, 36, 851.5, 0x00, 'float'],
  [1, 11, 13, -3.25, 0x80, 'float'],
  [1, 12, 37, 123456, 0x25, 'integrated'],
  [1, 13, 15, -7, 0x40, 'integrated'],
  [2, 100, 14, 42.5, 0x00, 'float'],
  [2, 101, 2, 1, 0x00, 'single'],
  [2, 102, 4, 3, 0x00, 'double'],
  [2, 103, 10, 0.5, 0x00, 'normalized'],
  [2, 104, 12, 100, 0x00, 'scaled'],
  [2, 105, 16, 99, 0x80, 'integrated'],
  [2, 200, 13, 1, 0, 'float'],
  [2, 201, 13, 2, 0, 'float'],
  [2, 202, 13, 3, 0, 'float'],
  [2, 300, 13, 5, 0, 'float'], // no tag reads it
  [2, 301, 13, 6, 0, 'scaled'], // its tag names the wrong kind
];

const binding = (ca: number, ioa: number) => `b-${ca}-${ioa}`;
const kindOfType = (type: number) =>
  [1, 2, 30].includes(type)
    ? 'single'
    : [3, 4, 31].includes(type)
      ? 'double'
      : [9, 10, 34, 21].includes(type)
        ? 'normalized'
        : [11, 12, 35].includes(type)
          ? 'scaled'
          : [13, 14, 36].includes(type)
            ? 'float'
            : 'integrated';

/** The code and status the connector must give a value with this quality octet. */
function expectedQuality(type: number, value: number, q: number, timeInvalid: boolean) {
  const kind = kindOfType(type);
  let code = 0;
  if (kind === 'single' || kind === 'double') code = q & 0xf0;
  else if (kind === 'integrated')
    code = (q & 0x80 ? 0x80 : 0) | (q & 0x40 ? 0x400 : 0) | (q & 0x20 ? 0x200 : 0);
  else if (type !== 21) code = q & 0xf1;
  if (kind === 'double' && value === 0) code |= 0x800;
  if (kind === 'double' && value === 3) code |= 0x1000;
  if (timeInvalid) code |= 0x100;
  const noValue = kind === 'double' && (value === 0 || value === 3);
  const status = noValue || code & 0x80 ? 2 : code & ~0x200 ? 1 : 0;
  return { code: code === 0 ? null : code, status };
}

function expectedValue(sent: Sent, tag: Iec104Tag): number | null {
  const kind = kindOfType(sent.type);
  if (kind === 'double') {
    if (sent.value === 1) return 0;
    if (sent.value === 2) return 1;
    return null;
  }
  return sent.value * tag.scale + tag.offset;
}

/** The sample the connector stored for one information object the slave sent. */
function storedFor(object: Sent, samples: readonly BufferedSample[]): BufferedSample | undefined {
  const matching = samples.filter((s) => s.binding === binding(object.ca, object.ioa));
  const hasTime = object.ts !== null && !object.timeInvalid;
  return hasTime ? matching.find((s) => s.ts === object.ts! - OFFSET_MS) : matching.at(-1);
}

/** Whether every object the slave sent that a tag reads has reached the sink. */
const allStored = (sent: readonly Sent[], samples: readonly BufferedSample[]) =>
  sent.every(
    (o) =>
      tags.get(binding(o.ca, o.ioa))?.type !== kindOfType(o.type) ||
      storedFor(o, samples) !== undefined,
  );

/** One sample per information object the slave sent, as the connector must have stored it. */
function expectStored(
  sent: readonly Sent[],
  samples: readonly BufferedSample[],
  tags: ReadonlyMap<string, Iec104Tag>,
  receivedBetween: [number, number],
): void {
  for (const object of sent) {
    const tag = tags.get(binding(object.ca, object.ioa));
    if (!tag || tag.type !== kindOfType(object.type)) continue;
    const hasTime = object.ts !== null && !object.timeInvalid;
    const sample = storedFor(object, samples);
    expect(sample, `CA ${object.ca} IOA ${object.ioa} type ${object.type}`).toBeDefined();
    const value = expectedValue(object, tag);
    // lib60870 writes a normalised value as value × 32767 (truncated); the standard reads
    // the 16 bits as a fraction of 32768: they agree to 2^-14.
    if (value === null) expect(sample!.value).toBeNull();
    else if (kindOfType(object.type) === 'normalized')
      expect(Math.abs(sample!.value! - value)).toBeLessThan(2 ** -14);
    else expect(sample!.value).toBe(value);
    const { code, status } = expectedQuality(
      object.type,
      object.value,
      object.q,
      !!object.timeInvalid,
    );
    expect({ code: sample!.code, status: sample!.status }).toEqual({ code, status });
    if (!hasTime) {
      expect(sample!.ts).toBeGreaterThanOrEqual(receivedBetween[0]);
      expect(sample!.ts).toBeLessThanOrEqual(receivedBetween[1]);
    }
  }
}

let slave: Slave;
let source: Iec104Source;
const samples: BufferedSample[] = [];
const tags = new Map<string, Iec104Tag>();
let started = 0;

beforeAll(async () => {
  slave = await Slave.start();
  // Time tags in the station's clock, which keeps local time.
  const local = Date.now() + OFFSET_MS - 1000;
  for (const [ca, ioa, type, value, q] of POINTS) {
    await slave.command(`point ${ca} ${ioa} ${type}`);
    await slave.command(`set ${ca} ${ioa} ${value} ${q} ${local}`);
  }
  for (const [ca, ioa, , , , kind] of POINTS) {
    if (ioa === 300) continue;
    const tag: Iec104Tag = {
      binding: binding(ca, ioa),
      priority: 0,
      scale: ioa === 10 ? 2 : 1,
      offset: ioa === 10 ? 1 : 0,
      ca,
      ioa,
      type: kind,
    };
    tags.set(tag.binding, tag);
  }
  started = Date.now();
  source = new Iec104Source({
    source: iec104SourceSchema.parse({
      id: 'rtu',
      type: 'iec104',
      host: '127.0.0.1',
      port: slave.port,
      t2Ms: 300,
      interrogationIntervalMs: 0,
      counterInterrogationIntervalMs: 3_600_000,
      clockSyncIntervalMs: 3_600_000,
      timeOffsetMinutes: OFFSET_MINUTES,
    }),
    tags: [...tags.values()],
    sink: (s) => samples.push(...s),
    log: () => undefined,
    reconnectMinMs: 200,
  });
  source.start();
}, 60_000);

afterAll(async () => {
  await source?.stop();
  await slave?.stop();
});

describe('IEC 104 source against the lib60870 slave', () => {
  it('at connect: sets the clock, then interrogates each common address and reads the counters', async () => {
    await until(
      () =>
        source.status().interrogations.completed === 2 &&
        source.status().counterInterrogations.completed === 2,
      30_000,
    );
    const clocks = slave.events.filter(
      (e): e is Extract<SlaveEvent, { ev: 'clock' }> => e.ev === 'clock',
    );
    expect(clocks.map((c) => c.ca)).toEqual([1, 2]);
    // The station's clock is set to its own local time (UTC−5), within the test's span.
    for (const clock of clocks) {
      expect(clock.ms).toBeGreaterThanOrEqual(started + OFFSET_MS - 1000);
      expect(clock.ms).toBeLessThanOrEqual(Date.now() + OFFSET_MS + 1000);
    }
    // Clock first, then the interrogations, then the counters.
    const order = slave.events.flatMap((e) => (['clock', 'gi', 'ci'].includes(e.ev) ? [e.ev] : []));
    expect(order).toEqual(['clock', 'clock', 'gi', 'gi', 'ci', 'ci']);
    expect(slave.events.filter((e) => e.ev === 'gi').map((e) => (e as { ca: number }).ca)).toEqual([
      1, 2,
    ]);
    expect(source.status().clockSyncs).toEqual({ sent: 2, confirmed: 2, refused: 0 });
    // Every object of both answers is stored with the station's value and quality.
    const answered = slave.sent().filter((e) => e.cot === 20 || e.cot === 37);
    expect(answered.filter((e) => e.cot === 20)).toHaveLength(POINTS.length - 3); // counters are not in a GI
    expect(answered.filter((e) => e.cot === 37)).toHaveLength(3);
    expectStored(answered, samples, tags, [started, Date.now()]);
    // IOA 300 has no tag; IOA 301's tag says scaled for a float: neither is stored.
    expect(source.status().unmappedObjects).toBe(1);
    expect(source.status().typeMismatches).toBe(1);
    expect(samples.some((s) => s.binding === binding(2, 301))).toBe(false);
  }, 60_000);

  it('stores spontaneous changes with their time tags (CP56Time2a and CP24Time2a) and quality', async () => {
    const from = slave.events.length;
    const before = Date.now();
    // Time tags in the station's clock (local time), a little in the past.
    const local = Date.now() + OFFSET_MS;
    const changes: Array<[number, number, number, number, number, number]> = [
      [1, 1, 0, 0x10, local - 61_234, 0],
      [1, 3, 1, 0x00, local - 60_000, 0],
      [1, 5, -0.75, 0x00, local - 50_000, 1], // time tag marked invalid
      [1, 8, 222, 0x00, local - 45_000, 0],
      [1, 10, 900.25, 0x00, local - 40_500, 0],
      [1, 11, 7.5, 0x00, local, 0], // M_ME_NC_1 has no time tag: reception time
      [1, 12, 123999, 0x46, local - 30_000, 0],
      [2, 100, -42.5, 0x40, local - 9 * 60_000, 0],
      [2, 101, 0, 0x00, local - 8 * 60_000, 0],
      [2, 102, 2, 0x00, local - 7 * 60_000, 0],
      [2, 103, -0.5, 0x00, local - 6 * 60_000, 0],
      [2, 104, -100, 0x01, local - 5 * 60_000, 0],
      [2, 105, 100, 0x20, local - 4 * 60_000, 0],
    ];
    for (const [ca, ioa, value, q, ts, flags] of changes) {
      await slave.command(`set ${ca} ${ioa} ${value} ${q} ${ts} ${flags}`);
      await slave.command(`spont ${ca} ${ioa}`);
    }
    const sent = slave.sent(from);
    expect(sent).toHaveLength(changes.length);
    await until(() => allStored(sent, samples), 20_000);
    expectStored(sent, samples, tags, [before, Date.now()]);
    // The CP56 tag is the sample's time, shifted from the station's local time to UTC.
    expect(
      samples.find((s) => s.binding === binding(1, 10) && s.value === 900.25 * 2 + 1)!.ts,
    ).toBe(local - 40_500 - OFFSET_MS);
  }, 60_000);

  it('reads a sequence of objects (SQ=1) and acknowledges within t2', async () => {
    const from = slave.events.length;
    await slave.command('set 2 200 10.5 0 0');
    await slave.command('set 2 201 -20.25 0 0');
    await slave.command('set 2 202 30 32 0');
    await slave.command('spontseq 2 200 3');
    const sent = slave.sent(from);
    expect(sent.map((e) => e.ioa)).toEqual([200, 201, 202]);
    await until(() => samples.some((s) => s.binding === binding(2, 202) && s.value === 30), 20_000);
    expectStored(sent, samples, tags, [Date.now() - 20_000, Date.now()]);
    // Fewer than w frames: the S frame comes when t2 (300 ms) runs out.
    await slave.waitFor(
      (e) => e.ev === 'rx' && (e as { hex: string }).hex.startsWith('68040100'),
      5000,
      from,
    );
  }, 30_000);

  it('answers the station’s TESTFR', async () => {
    // lib60870 tests the link after its own t3 (20 s by default) — too slow for a test, so
    // the link is driven from here: a TESTFR act sent by the station is injected.
    const from = slave.events.length;
    await slave.command('raw 680443000000');
    await slave.waitFor(
      (e) => e.ev === 'rx' && (e as { hex: string }).hex === '680483000000',
      5000,
      from,
    );
    expect(source.status().state).toBe('active');
  }, 30_000);

  it('interrogates again on request and after the station says it initialised', async () => {
    const from = slave.events.length;
    source.interrogate();
    await slave.waitFor((e) => e.ev === 'gi' && (e as { ca: number }).ca === 2, 10_000, from);
    const completed = source.status().interrogations.completed;
    await slave.command('eoi 1');
    await until(() => source.status().interrogations.completed === completed + 1, 10_000);
    expect(source.status().endOfInitialisations).toBe(1);
    const gis = slave.events
      .slice(from)
      .filter((e) => e.ev === 'gi')
      .map((e) => (e as { ca: number }).ca);
    expect(gis).toEqual([1, 2, 1]);
  }, 30_000);

  it('says STOPDT before it closes', async () => {
    const from = slave.events.length;
    await source.stop();
    await slave.waitFor((e) => e.ev === 'deactivated', 5000, from);
    expect(slave.received(from)).toContain('680413000000');
    expect(source.status().state).toBe('stopped');
    expect(source.status().malformed).toEqual({});
  }, 30_000);
});

describe('IEC 104 link timers against the lib60870 slave', () => {
  const station = (tag = 'x') => ({
    binding: tag,
    priority: 0,
    scale: 1,
    offset: 0,
    ca: 1,
    ioa: 1,
    type: 'float' as const,
  });

  it('interrogates on its schedule', async () => {
    const slave = await Slave.start();
    await slave.command('point 1 1 13');
    const source = new Iec104Source({
      source: iec104SourceSchema.parse({
        id: 'rtu2',
        type: 'iec104',
        host: '127.0.0.1',
        port: slave.port,
        interrogationIntervalMs: 1000,
      }),
      tags: [station()],
      sink: () => undefined,
      log: () => undefined,
    });
    try {
      source.start();
      await until(() => slave.events.filter((e) => e.ev === 'gi').length >= 3, 20_000);
      expect(source.status().interrogations.completed).toBeGreaterThanOrEqual(2);
    } finally {
      await source.stop();
      await slave.stop();
    }
  }, 60_000);

  it('sends TESTFR after t3 of silence, and the station confirms it', async () => {
    const slave = await Slave.start();
    await slave.command('point 1 1 13');
    const source = new Iec104Source({
      source: iec104SourceSchema.parse({
        id: 'rtu3',
        type: 'iec104',
        host: '127.0.0.1',
        port: slave.port,
        t1Ms: 1000,
        t2Ms: 300,
        t3Ms: 1500,
        interrogationIntervalMs: 0,
      }),
      tags: [station()],
      sink: () => undefined,
      log: () => undefined,
    });
    try {
      source.start();
      await slave.waitFor(
        (e) => e.ev === 'rx' && (e as { hex: string }).hex === '680443000000',
        20_000,
      );
      await slave.waitFor(
        (e) => e.ev === 'tx' && (e as { hex: string }).hex === '680483000000',
        5000,
      );
      // Confirmed within t1: the link stays up, and keeps being tested.
      await until(() => source.status().testFramesSent >= 2, 10_000);
      expect(source.status().state).toBe('active');
      expect(source.status().closes).toEqual({});
    } finally {
      await source.stop();
      await slave.stop();
    }
  }, 60_000);
});
