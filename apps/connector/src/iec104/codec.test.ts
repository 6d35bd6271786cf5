import { describe, expect, it } from 'vitest';
import {
  apduLength,
  COT,
  cp56Invalid,
  decodeApci,
  decodeAsduHeader,
  decodeBody,
  decodeCommand,
  decodeCp24,
  decodeCp56,
  decodeMonitoring,
  encodeClockSync,
  encodeCounterInterrogation,
  encodeCp56,
  encodeI,
  encodeInterrogation,
  encodeMonitoring,
  encodeS,
  encodeU,
  Iec104FrameError,
  isDefinedType,
  kindOf,
  QUALITY,
  statusOfQuality,
  TYPE,
  U,
  type FrameErrorReason,
} from './codec';

const hex = (text: string) => Buffer.from(text, 'hex');

/** Every object of a monitoring ASDU, decoded. */
function objects(asdu: Buffer, reference = 0) {
  const header = decodeAsduHeader(asdu);
  const out: Array<{ ioa: number; value: number; quality: number; time: number }> = [];
  decodeMonitoring(asdu, header, reference, (ioa, value, quality, time) =>
    out.push({ ioa, value, quality, time }),
  );
  return { header, out };
}

function failure(run: () => unknown): FrameErrorReason {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(Iec104FrameError);
    expect((error as Iec104FrameError).hex).toMatch(/^[0-9a-f]*$/);
    return (error as Iec104FrameError).reason;
  }
  throw new Error('expected an Iec104FrameError');
}

// 2025-11-28T21:00:00.250Z, the time tag lib60870 wrote in the vectors below.
const T = Date.UTC(2025, 10, 28, 21, 0, 0, 250);

describe('APCI', () => {
  it('encodes and decodes I, S and U frames, sequence numbers wrapping at 2^15', () => {
    for (const [send, receive] of [
      [0, 0],
      [1, 2],
      [127, 128],
      [32767, 16384],
    ] as const) {
      const frame = encodeI(send, receive, encodeInterrogation(1));
      expect(apduLength(frame, 0)).toBe(frame.length);
      expect(decodeApci(frame)).toEqual({ format: 'I', sendSeq: send, receiveSeq: receive });
      expect(decodeApci(encodeS(receive))).toEqual({ format: 'S', receiveSeq: receive });
    }
    for (const fn of Object.values(U)) expect(decodeApci(encodeU(fn))).toEqual({ format: 'U', fn });
    // As lib60870 sent them: STARTDT con, an S frame acknowledging 7.
    expect(decodeApci(hex('68040b000000'))).toEqual({ format: 'U', fn: U.STARTDT_CON });
    expect(encodeS(7).toString('hex')).toBe('680401000e00');
    expect(encodeU(U.STOPDT_ACT).toString('hex')).toBe('680413000000');
  });

  it('waits for the rest of a frame, and refuses bad start and length octets', () => {
    expect(apduLength(hex(''), 0)).toBe(0);
    expect(apduLength(hex('68'), 0)).toBe(0);
    expect(apduLength(hex('680e0000'), 0)).toBe(16);
    expect(failure(() => apduLength(hex('690400000000'), 0))).toBe('start');
    expect(failure(() => apduLength(hex('680300000000'), 0))).toBe('length');
    expect(failure(() => apduLength(hex('68fe'), 0))).toBe('length');
  });

  it('refuses control fields the standard does not define', () => {
    expect(failure(() => decodeApci(hex('680601000000ffff')))).toBe('length'); // S of length 6
    expect(failure(() => decodeApci(hex('680503000000ff')))).toBe('length'); // U of length 5
    expect(failure(() => decodeApci(hex('68040f000000')))).toBe('control'); // STARTDT act+con
    expect(failure(() => decodeApci(hex('680403000000')))).toBe('control'); // U, no function
    expect(failure(() => decodeApci(hex('680407000100')))).toBe('control'); // U, octet 4 set
    expect(failure(() => decodeApci(hex('680405000000')))).toBe('control'); // S, reserved bit
    expect(failure(() => decodeApci(hex('680401000100')))).toBe('control'); // S, N(R) bit 0
    expect(failure(() => decodeApci(hex('68080000000001010300')))).toBe('length'); // I < header
    expect(failure(() => decodeApci(hex('680e0000010064010600010000000014')))).toBe('control');
  });
});

describe('time tags', () => {
  it('reads CP56Time2a as lib60870 writes it, and writes it back', () => {
    // 2023-11-14T22:13:20.123Z from lib60870 (it leaves the day of week 0).
    expect(decodeCp56(hex('9b4e0d160e0b17'), 0)).toBe(1_700_000_000_123);
    expect(decodeCp56(hex('fa0000151c0b19'), 0)).toBe(T);
    const out = Buffer.alloc(7);
    for (const time of [T, Date.UTC(2000, 0, 1), Date.UTC(2099, 11, 31, 23, 59, 59, 999)]) {
      encodeCp56(time, out, 0);
      expect(decodeCp56(out, 0)).toBe(time);
      expect(cp56Invalid(out, 0)).toBe(false);
    }
    encodeCp56(T, out, 0, { invalid: true });
    expect(cp56Invalid(out, 0)).toBe(true);
    expect(decodeCp56(out, 0)).toBe(T);
    // Friday 2025-11-28: day of week 5 in bits 5–7.
    encodeCp56(T, out, 0);
    expect(out[4]! >> 5).toBe(5);
    expect(() => encodeCp56(Date.UTC(1999, 11, 31), out, 0)).toThrow(RangeError);
  });

  it('gives NaN for fields out of range and for dates that do not exist', () => {
    expect(decodeCp56(hex('60ea0000010119'), 0)).toBeNaN(); // 60000 ms
    expect(decodeCp56(hex('00003c00010119'), 0)).toBeNaN(); // minute 60
    expect(decodeCp56(hex('00000018010119'), 0)).toBeNaN(); // hour 24
    expect(decodeCp56(hex('00000000000119'), 0)).toBeNaN(); // day 0
    expect(decodeCp56(hex('0000000001000d'), 0)).toBeNaN(); // month 0
    expect(decodeCp56(hex('000000001e0219'), 0)).toBeNaN(); // 30 February
    expect(decodeCp56(hex('00000000010164'), 0)).toBeNaN(); // year 100
  });

  it('completes CP24Time2a with the hour of the reference, the previous one when ahead', () => {
    const reference = Date.UTC(2025, 10, 28, 21, 10, 0);
    // 21:05:30.500 → this hour.
    const bytes = Buffer.from([0x24, 0x77, 5]); // 30500 ms
    expect(decodeCp24(bytes, 0, reference)).toBe(Date.UTC(2025, 10, 28, 21, 5, 30, 500));
    // :11:00 is within a minute of clock skew ahead: still this hour.
    expect(decodeCp24(Buffer.from([0, 0, 11]), 0, reference)).toBe(Date.UTC(2025, 10, 28, 21, 11));
    // :50 is ahead: it was 20:50.
    expect(decodeCp24(Buffer.from([0, 0, 50]), 0, reference)).toBe(Date.UTC(2025, 10, 28, 20, 50));
    expect(decodeCp24(Buffer.from([0x60, 0xea, 0]), 0, reference)).toBeNaN();
    expect(decodeCp24(Buffer.from([0, 0, 60]), 0, reference)).toBeNaN();
  });
});

describe('monitoring ASDUs', () => {
  it('reads every type as lib60870 sends it (value, quality, time tag)', () => {
    // Spontaneous (COT 3) from common address 7, written by lib60870 2.3.4 with time T.
    const cases: Array<[string, number, number, number]> = [
      ['01010300070001000011', 1, QUALITY.BL, Number.NaN],
      ['02010300070002000001fa0000', 1, 0, T],
      ['1e010300070003000080fa0000151c0b19', 0, QUALITY.IV, T],
      ['03010300070004000022', 1, QUALITY.SB, Number.NaN],
      ['04010300070005000001fa0000', 0, 0, T],
      ['1f010300070006000003fa0000151c0b19', Number.NaN, QUALITY.INDETERMINATE, T],
      ['09010300070007000001c001', -16383 / 32768, QUALITY.OV, Number.NaN],
      ['0a0103000700080000ff1f00fa0000', 8191 / 32768, 0, T],
      ['220103000700090000ff5f40fa0000151c0b19', 24575 / 32768, QUALITY.NT, T],
      ['1501030007000a00000080', -1, 0, Number.NaN],
      ['0b01030007000b0000d4fe00', -300, 0, Number.NaN],
      ['0c01030007000c0000ff7f10fa0000', 32767, QUALITY.BL, T],
      ['2301030007000d0000008000fa0000151c0b19', -32768, 0, T],
      ['0d01030007000e00000000504000', 3.25, 0, Number.NaN],
      ['0e01030007000f0000f90215d080fa0000', Math.fround(-1e10), QUALITY.IV, T],
      ['24010300070010000000e0544420fa0000151c0b19', 851.5, QUALITY.SB, T],
      ['0f010300070011000040e2010000', 123456, 0, Number.NaN],
      ['100103000700120000fbffffff20fa0000', -5, QUALITY.CARRY, T],
      ['250103000700130000ffffff7f47fa0000151c0b19', 2147483647, QUALITY.ADJUSTED, T],
    ];
    // The CP24Time2a objects are completed with a reference a few minutes later.
    const reference = T + 5 * 60_000;
    cases.forEach(([bytes, value, quality, time], i) => {
      const { header, out } = objects(hex(bytes), reference);
      expect(header).toMatchObject({ cot: COT.SPONTANEOUS, commonAddress: 7, count: 1 });
      expect(out).toHaveLength(1);
      expect(out[0]!.ioa).toBe(i + 1);
      if (Number.isNaN(value)) expect(out[0]!.value).toBeNaN();
      else expect(out[0]!.value).toBe(value);
      expect(out[0]!.quality).toBe(quality);
      if (Number.isNaN(time)) expect(out[0]!.time).toBeNaN();
      else expect(out[0]!.time).toBe(time);
    });
  });

  it('round-trips several objects, addressed one by one (SQ=0) and in sequence (SQ=1)', () => {
    const values: Record<number, number[]> = {
      1: [0, 1, 1],
      3: [1, 2, 0],
      9: [0.5, -0.25, 0],
      21: [0.5, -1, 0.125],
      11: [-1, 2, 32767],
      13: [1.5, -2.25, 1e6],
      15: [0, -1, 2 ** 31 - 1],
    };
    for (const typeId of [1, 2, 30, 3, 4, 31, 9, 10, 34, 21, 11, 12, 35, 13, 14, 36, 15, 16, 37]) {
      const base = [1, 3, 9, 21, 11, 13, 15].find((b) => kindOf(b) === kindOf(typeId))!;
      const list = values[base]!;
      for (const sequence of [false, true]) {
        const asdu = encodeMonitoring(
          typeId,
          list.map((value, i) => ({ ioa: 0xfffffe + i * (sequence ? 1 : 3), value, time: T })),
          { cot: COT.INTERROGATED_BY_STATION, commonAddress: 65534, sequence },
        );
        const { header, out } = objects(asdu, T);
        expect(header).toMatchObject({ typeId, sequence, count: 3, commonAddress: 65534 });
        // IOAs are 24 bits: a sequence that starts at 0xfffffe wraps.
        expect(out.map((o) => o.ioa)).toEqual(
          sequence ? [0xfffffe, 0xffffff, 0] : [0xfffffe, 0x000001, 0x000004],
        );
        const expected = list.map((v) =>
          kindOf(typeId) === 'double' ? (v === 1 ? 0 : v === 2 ? 1 : Number.NaN) : v,
        );
        expect(out.map((o) => o.value)).toEqual(expected);
        const timed = ![1, 3, 9, 21, 11, 13, 15].includes(typeId);
        for (const o of out) if (timed) expect(o.time).toBe(T);
      }
    }
  });

  it('maps the quality descriptors onto one code and the sample status', () => {
    const float = (q: number) =>
      objects(
        encodeMonitoring(TYPE.M_ME_NC_1, [{ ioa: 1, value: 1, quality: q }], {
          cot: 3,
          commonAddress: 1,
        }),
      ).out[0]!.quality;
    expect(float(0x01)).toBe(QUALITY.OV);
    expect(float(0xf1)).toBe(QUALITY.OV | QUALITY.BL | QUALITY.SB | QUALITY.NT | QUALITY.IV);
    expect(float(0x0e)).toBe(0); // reserved bits are not quality
    const counter = (q: number) =>
      objects(
        encodeMonitoring(TYPE.M_IT_NA_1, [{ ioa: 1, value: 1, quality: q }], {
          cot: 37,
          commonAddress: 1,
        }),
      ).out[0]!.quality;
    expect(counter(0x1f)).toBe(0); // the sequence number is not quality
    expect(counter(0x20)).toBe(QUALITY.CARRY);
    expect(counter(0xe0)).toBe(QUALITY.CARRY | QUALITY.ADJUSTED | QUALITY.IV);
    const time = objects(
      encodeMonitoring(TYPE.M_ME_TF_1, [{ ioa: 1, value: 1, time: T, timeInvalid: true }], {
        cot: 3,
        commonAddress: 1,
      }),
    ).out[0]!;
    expect(time.quality).toBe(QUALITY.TIME_INVALID);
    expect(time.time).toBeNaN();
    const badTime = encodeMonitoring(TYPE.M_ME_TF_1, [{ ioa: 1, value: 1, time: T }], {
      cot: 3,
      commonAddress: 1,
    });
    badTime[6 + 3 + 5 + 2] = 61; // minute 61
    expect(objects(badTime).out[0]!.quality).toBe(QUALITY.TIME_MALFORMED);

    expect(statusOfQuality(0)).toBe(0);
    expect(statusOfQuality(QUALITY.CARRY)).toBe(0);
    for (const flag of [
      QUALITY.OV,
      QUALITY.BL,
      QUALITY.SB,
      QUALITY.NT,
      QUALITY.TIME_INVALID,
      QUALITY.TIME_MALFORMED,
      QUALITY.ADJUSTED,
      QUALITY.INTERMEDIATE,
    ])
      expect(statusOfQuality(flag)).toBe(1);
    expect(statusOfQuality(QUALITY.IV)).toBe(2);
    expect(statusOfQuality(QUALITY.INDETERMINATE)).toBe(2);
    expect(statusOfQuality(QUALITY.IV | QUALITY.NT)).toBe(2);
  });

  it('refuses unknown types, cause 0 and lengths that do not match the objects', () => {
    expect(isDefinedType(13)).toBe(true);
    expect(isDefinedType(22)).toBe(false);
    expect(failure(() => decodeAsduHeader(hex('1601030001006400000000')))).toBe('type');
    expect(failure(() => decodeAsduHeader(hex('ff01030001006400000000')))).toBe('type');
    expect(failure(() => decodeAsduHeader(hex('0d01000001006400000000504000')))).toBe('content');
    expect(failure(() => decodeAsduHeader(hex('0d0103')))).toBe('asdu-length');
    const good = encodeMonitoring(TYPE.M_ME_NC_1, [{ ioa: 1, value: 1 }], {
      cot: 3,
      commonAddress: 1,
    });
    const header = decodeAsduHeader(good);
    const visit = () => undefined;
    // One octet short, one too many, two objects announced for one, none announced.
    expect(failure(() => decodeMonitoring(good.subarray(0, -1), header, 0, visit))).toBe(
      'asdu-length',
    );
    const long = Buffer.concat([good, hex('00')]);
    expect(failure(() => decodeMonitoring(long, decodeAsduHeader(long), 0, visit))).toBe(
      'asdu-length',
    );
    const two = Buffer.from(good);
    two[1] = 2;
    expect(failure(() => decodeMonitoring(two, decodeAsduHeader(two), 0, visit))).toBe(
      'asdu-length',
    );
    const none = Buffer.from(good.subarray(0, 6));
    none[1] = 0;
    expect(failure(() => decodeMonitoring(none, decodeAsduHeader(none), 0, visit))).toBe(
      'asdu-length',
    );
    // SQ=1 has one address: the SQ=0 layout of two objects is too long for it.
    const sq = Buffer.from(
      encodeMonitoring(
        TYPE.M_ME_NC_1,
        [
          { ioa: 1, value: 1 },
          { ioa: 2, value: 2 },
        ],
        { cot: 3, commonAddress: 1 },
      ),
    );
    sq[1] = 0x82;
    expect(failure(() => decodeMonitoring(sq, decodeAsduHeader(sq), 0, visit))).toBe('asdu-length');
  });
});

describe('types the connector does not read', () => {
  it('accepts a type the standard defines without looking at its objects', () => {
    // M_ST_NA_1 (step position) and C_SC_NA_1 (single command) are defined, not read.
    for (const bytes of ['0501030001000100000500', '2d010700010001000001']) {
      const asdu = hex(bytes);
      const seen: number[] = [];
      expect(decodeBody(asdu, decodeAsduHeader(asdu), 0, (ioa) => seen.push(ioa))).toBeNull();
      expect(seen).toEqual([]);
    }
    // A monitoring type goes to the visitor; a command confirmation comes back.
    const seen: number[] = [];
    const float = encodeMonitoring(TYPE.M_ME_NC_1, [{ ioa: 9, value: 1 }], {
      cot: 3,
      commonAddress: 1,
    });
    expect(decodeBody(float, decodeAsduHeader(float), 0, (ioa) => seen.push(ioa))).toBeNull();
    expect(seen).toEqual([9]);
    const con = hex('64010700010000000014');
    expect(decodeBody(con, decodeAsduHeader(con), 0, () => undefined)).toEqual({
      ioa: 0,
      qualifier: 20,
    });
  });
});

describe('commands', () => {
  it('encodes interrogation, counter interrogation and clock synchronisation', () => {
    // Byte for byte what lib60870 received from us and confirmed.
    expect(encodeInterrogation(1).toString('hex')).toBe('64010600010000000014');
    expect(encodeInterrogation(0x1234, 9).toString('hex')).toBe('64010609341200000014');
    expect(encodeCounterInterrogation(1).toString('hex')).toBe('65010600010000000005');
    const sync = encodeClockSync(3, T);
    expect(sync.subarray(0, 9).toString('hex')).toBe('670106000300000000');
    expect(decodeCp56(sync, 9)).toBe(T);
  });

  it('reads confirmations and terminations, with the P/N bit', () => {
    const con = hex('64010700010000000014');
    const header = decodeAsduHeader(con);
    expect(header).toMatchObject({
      typeId: TYPE.C_IC_NA_1,
      cot: COT.ACTIVATION_CON,
      negative: false,
    });
    expect(decodeCommand(con, header)).toEqual({ ioa: 0, qualifier: 20 });
    const negative = decodeAsduHeader(hex('64014700010000000014'));
    expect(negative).toMatchObject({ cot: COT.ACTIVATION_CON, negative: true });
    const sync = Buffer.from(encodeClockSync(3, T));
    sync[2] = COT.ACTIVATION_CON;
    expect(decodeCommand(sync, decodeAsduHeader(sync))).toEqual({ ioa: 0, qualifier: T });
    expect(
      failure(() =>
        decodeCommand(hex('640107000100000000'), decodeAsduHeader(hex('640107000100000000'))),
      ),
    ).toBe('asdu-length');
    const two = hex('6402070001000000001400000014');
    expect(failure(() => decodeCommand(two, decodeAsduHeader(two)))).toBe('asdu-length');
    expect(() =>
      decodeCommand(
        hex('0d01030001000100000000803f00'),
        decodeAsduHeader(hex('0d01030001000100000000803f00')),
      ),
    ).toThrow(RangeError);
  });
});
