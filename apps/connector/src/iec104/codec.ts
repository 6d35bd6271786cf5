/**
 * IEC 60870-5-104 frames: the APCI (I, S and U formats), the ASDUs a controlling station
 * reads (monitoring types, the confirmations of its commands) and the commands it sends,
 * CP56Time2a and CP24Time2a. Pure: bytes in, numbers out, no I/O and no clock (a
 * reference time is passed in where CP24Time2a needs one).
 *
 * Every check the standard allows is made here, so the link above can trust what it gets:
 * a frame that fails one throws Iec104FrameError with the reason and the frame's bytes,
 * never another error. Decoding allocates no per-object values: information objects go
 * to a visitor as plain numbers, and frames are views of the received buffer.
 *
 * Fixed IEC 104 field sizes: cause of transmission 2 octets (with the originator
 * address), common address 2, information object address 3.
 */

export const START_OCTET = 0x68;
/** The length octet counts the 4 control octets and the ASDU (at most 249 octets). */
export const MAX_LENGTH_OCTET = 253;
export const MAX_ASDU_LENGTH = MAX_LENGTH_OCTET - 4;
export const ASDU_HEADER_LENGTH = 6;
/** Send and receive sequence numbers count modulo 2^15. */
export const SEQUENCE_MODULO = 32768;

export type FrameErrorReason =
  /** The first octet is not 0x68. */
  | 'start'
  /** A length octet out of range, or one that does not fit the frame's format. */
  | 'length'
  /** Control octets of no format the standard defines. */
  | 'control'
  /** A type identification the standard does not define. */
  | 'type'
  /** The ASDU's length does not match its type and number of objects. */
  | 'asdu-length'
  /** Cause of transmission 0 (not used). */
  | 'content'
  /** The peer's N(S) is not the next one expected: I frames were lost or repeated. */
  | 'sequence'
  /** The peer acknowledged an I frame we never sent. */
  | 'acknowledgement'
  /** The link closed in the middle of a frame. */
  | 'truncated'
  /** A frame the controlling station must never receive (e.g. STARTDT act). */
  | 'unexpected';

/** A frame that breaks the standard. Carries its bytes, in hex, for the log. */
export class Iec104FrameError extends Error {
  override readonly name = 'Iec104FrameError';
  constructor(
    readonly reason: FrameErrorReason,
    message: string,
    readonly hex: string,
  ) {
    super(message);
  }
}

export function toHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('hex');
}

// ---------------------------------------------------------------------------------------
// APCI

export const U = {
  STARTDT_ACT: 0x07,
  STARTDT_CON: 0x0b,
  STOPDT_ACT: 0x13,
  STOPDT_CON: 0x23,
  TESTFR_ACT: 0x43,
  TESTFR_CON: 0x83,
} as const;
export type UFunction = (typeof U)[keyof typeof U];
const U_FUNCTIONS = new Set<number>(Object.values(U));

export type Apci =
  | { format: 'I'; sendSeq: number; receiveSeq: number }
  | { format: 'S'; receiveSeq: number }
  | { format: 'U'; fn: UFunction };

/**
 * Length of the APDU that starts at `offset` (start and length octets included), or 0
 * when not even its length octet has arrived. Throws on a bad start or length octet: after
 * one, the stream cannot be resynchronised (the standard has no resync marker).
 */
export function apduLength(bytes: Uint8Array, offset: number): number {
  if (offset >= bytes.length) return 0;
  if (bytes[offset] !== START_OCTET)
    throw new Iec104FrameError(
      'start',
      `start octet 0x${bytes[offset]!.toString(16).padStart(2, '0')}, expected 0x68`,
      toHex(bytes, offset, Math.min(bytes.length, offset + 16)),
    );
  if (offset + 1 >= bytes.length) return 0;
  const length = bytes[offset + 1]!;
  if (length < 4 || length > MAX_LENGTH_OCTET)
    throw new Iec104FrameError(
      'length',
      `length octet ${length} outside 4..${MAX_LENGTH_OCTET}`,
      toHex(bytes, offset, Math.min(bytes.length, offset + 2 + length)),
    );
  return length + 2;
}

/** The APCI of one whole APDU (as cut by apduLength). */
export function decodeApci(apdu: Uint8Array): Apci {
  const length = apdu[1]!;
  const c1 = apdu[2]!;
  const c2 = apdu[3]!;
  const c3 = apdu[4]!;
  const c4 = apdu[5]!;
  if ((c1 & 0x01) === 0) {
    if ((c3 & 0x01) !== 0)
      throw new Iec104FrameError('control', 'I frame with bit 1 of octet 3 set', toHex(apdu));
    if (length < 4 + ASDU_HEADER_LENGTH)
      throw new Iec104FrameError(
        'length',
        `I frame of length ${length}: shorter than an ASDU header`,
        toHex(apdu),
      );
    return { format: 'I', sendSeq: (c1 >> 1) | (c2 << 7), receiveSeq: (c3 >> 1) | (c4 << 7) };
  }
  if (length !== 4)
    throw new Iec104FrameError(
      'length',
      `${(c1 & 0x03) === 0x01 ? 'S' : 'U'} frame of length ${length}, must be 4`,
      toHex(apdu),
    );
  if ((c1 & 0x03) === 0x01) {
    if (c1 !== 0x01 || c2 !== 0 || (c3 & 0x01) !== 0)
      throw new Iec104FrameError('control', 'S frame with reserved bits set', toHex(apdu));
    return { format: 'S', receiveSeq: (c3 >> 1) | (c4 << 7) };
  }
  if (!U_FUNCTIONS.has(c1) || c2 !== 0 || c3 !== 0 || c4 !== 0)
    throw new Iec104FrameError(
      'control',
      'U frame must have exactly one function (STARTDT, STOPDT, TESTFR act or con)',
      toHex(apdu),
    );
  return { format: 'U', fn: c1 as UFunction };
}

export function encodeU(fn: UFunction): Buffer {
  return Buffer.from([START_OCTET, 4, fn, 0, 0, 0]);
}

export function encodeS(receiveSeq: number): Buffer {
  return Buffer.from([START_OCTET, 4, 0x01, 0, (receiveSeq << 1) & 0xfe, (receiveSeq >> 7) & 0xff]);
}

export function encodeI(sendSeq: number, receiveSeq: number, asdu: Uint8Array): Buffer {
  if (asdu.length < ASDU_HEADER_LENGTH || asdu.length > MAX_ASDU_LENGTH)
    throw new RangeError(`ASDU of ${asdu.length} octets: must be 6..${MAX_ASDU_LENGTH}`);
  const frame = Buffer.allocUnsafe(asdu.length + 6);
  frame[0] = START_OCTET;
  frame[1] = asdu.length + 4;
  frame[2] = (sendSeq << 1) & 0xfe;
  frame[3] = (sendSeq >> 7) & 0xff;
  frame[4] = (receiveSeq << 1) & 0xfe;
  frame[5] = (receiveSeq >> 7) & 0xff;
  frame.set(asdu, 6);
  return frame;
}

// ---------------------------------------------------------------------------------------
// Type identifications

export const TYPE = {
  M_SP_NA_1: 1,
  M_SP_TA_1: 2,
  M_DP_NA_1: 3,
  M_DP_TA_1: 4,
  M_ME_NA_1: 9,
  M_ME_TA_1: 10,
  M_ME_NB_1: 11,
  M_ME_TB_1: 12,
  M_ME_NC_1: 13,
  M_ME_TC_1: 14,
  M_IT_NA_1: 15,
  M_IT_TA_1: 16,
  M_ME_ND_1: 21,
  M_SP_TB_1: 30,
  M_DP_TB_1: 31,
  M_ME_TD_1: 34,
  M_ME_TE_1: 35,
  M_ME_TF_1: 36,
  M_IT_TB_1: 37,
  M_EI_NA_1: 70,
  C_IC_NA_1: 100,
  C_CI_NA_1: 101,
  C_CS_NA_1: 103,
} as const;

/** Every type identification IEC 60870-5-101/104 (and 5-7 security) defines. */
const DEFINED_TYPES = new Set([
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 30, 31, 32, 33, 34, 35,
  36, 37, 38, 39, 40, 41, 45, 46, 47, 48, 49, 50, 51, 58, 59, 60, 61, 62, 63, 64, 70, 81, 82, 83,
  84, 85, 86, 87, 90, 91, 92, 93, 94, 95, 100, 101, 102, 103, 104, 105, 106, 107, 110, 111, 112,
  113, 120, 121, 122, 123, 124, 125, 126, 127,
]);

export function isDefinedType(typeId: number): boolean {
  return DEFINED_TYPES.has(typeId);
}

/** The kinds a tag can name (see IEC104_TYPES in the configuration schema). */
export type ValueKind = 'single' | 'double' | 'normalized' | 'scaled' | 'float' | 'integrated';

interface MonitorType {
  kind: ValueKind;
  /** Octets of the element after the information object address (time tag included). */
  size: number;
  time: 0 | 24 | 56;
  quality: boolean;
}

const MONITOR_TYPES = new Map<number, MonitorType>([
  [1, { kind: 'single', size: 1, time: 0, quality: true }],
  [2, { kind: 'single', size: 4, time: 24, quality: true }],
  [30, { kind: 'single', size: 8, time: 56, quality: true }],
  [3, { kind: 'double', size: 1, time: 0, quality: true }],
  [4, { kind: 'double', size: 4, time: 24, quality: true }],
  [31, { kind: 'double', size: 8, time: 56, quality: true }],
  [9, { kind: 'normalized', size: 3, time: 0, quality: true }],
  [10, { kind: 'normalized', size: 6, time: 24, quality: true }],
  [34, { kind: 'normalized', size: 10, time: 56, quality: true }],
  [21, { kind: 'normalized', size: 2, time: 0, quality: false }],
  [11, { kind: 'scaled', size: 3, time: 0, quality: true }],
  [12, { kind: 'scaled', size: 6, time: 24, quality: true }],
  [35, { kind: 'scaled', size: 10, time: 56, quality: true }],
  [13, { kind: 'float', size: 5, time: 0, quality: true }],
  [14, { kind: 'float', size: 8, time: 24, quality: true }],
  [36, { kind: 'float', size: 12, time: 56, quality: true }],
  [15, { kind: 'integrated', size: 5, time: 0, quality: true }],
  [16, { kind: 'integrated', size: 8, time: 24, quality: true }],
  [37, { kind: 'integrated', size: 12, time: 56, quality: true }],
]);

/** The kind of a monitoring type we read, or null for any other type. */
export function kindOf(typeId: number): ValueKind | null {
  return MONITOR_TYPES.get(typeId)?.kind ?? null;
}

/** Element sizes of the system and command types whose confirmations we read. */
const COMMAND_ELEMENT_SIZE = new Map<number, number>([
  [TYPE.M_EI_NA_1, 1],
  [TYPE.C_IC_NA_1, 1],
  [TYPE.C_CI_NA_1, 1],
  [TYPE.C_CS_NA_1, 7],
]);

// ---------------------------------------------------------------------------------------
// Quality: one code per sample, the same bits whatever the type

/**
 * The quality code a sample carries (`code` in the buffer and the upload). Bits 0–7 are
 * the quality descriptor's own bits as IEC 60870-5-101 §7.2.6.3 puts them (OV, BL, SB, NT,
 * IV); the counter's CY and CA and the time tag's IV, which share those positions in
 * their own octets, are moved above them so one code means one thing.
 */
export const QUALITY = {
  OV: 0x01,
  BL: 0x10,
  SB: 0x20,
  NT: 0x40,
  IV: 0x80,
  /** The time tag's IV bit: the station says its time tag is not valid. */
  TIME_INVALID: 0x100,
  /** Counter carry (CY): the counter overflowed in the period. */
  CARRY: 0x200,
  /** Counter adjusted (CA) in the period. */
  ADJUSTED: 0x400,
  /** Double point in its intermediate state (DPI 0). */
  INTERMEDIATE: 0x800,
  /** Double point indeterminate (DPI 3). */
  INDETERMINATE: 0x1000,
  /** A time tag whose fields are out of range (minute 61, month 13…). */
  TIME_MALFORMED: 0x2000,
} as const;

/** 0 good, 1 uncertain, 2 bad, as the connector's buffer counts them. */
export function statusOfQuality(code: number): 0 | 1 | 2 {
  if (code & (QUALITY.IV | QUALITY.INDETERMINATE)) return 2;
  if (
    code &
    (QUALITY.OV |
      QUALITY.BL |
      QUALITY.SB |
      QUALITY.NT |
      QUALITY.TIME_INVALID |
      QUALITY.TIME_MALFORMED |
      QUALITY.ADJUSTED |
      QUALITY.INTERMEDIATE)
  )
    return 1;
  // A carry alone is good: the reading is right, the counter wrapped (the totalizer
  // rules upstream handle rollover).
  return 0;
}

// ---------------------------------------------------------------------------------------
// Time tags

/**
 * CP56Time2a (7 octets) → epoch ms, reading its fields as UTC (the caller applies the
 * station's offset). NaN when a field is out of range. The IV bit is returned apart.
 */
export function decodeCp56(bytes: Uint8Array, offset: number): number {
  const ms = bytes[offset]! | (bytes[offset + 1]! << 8);
  const minute = bytes[offset + 2]! & 0x3f;
  const hour = bytes[offset + 3]! & 0x1f;
  const day = bytes[offset + 4]! & 0x1f;
  const month = bytes[offset + 5]! & 0x0f;
  const year = bytes[offset + 6]! & 0x7f;
  if (ms > 59_999 || minute > 59 || hour > 23 || day < 1 || month < 1 || month > 12 || year > 99)
    return Number.NaN;
  const time = Date.UTC(2000 + year, month - 1, day, hour, minute, 0, ms);
  // Day 31 of a 30-day month would roll into the next month: that is not a real date.
  if (new Date(time).getUTCDate() !== day) return Number.NaN;
  return time;
}

export function cp56Invalid(bytes: Uint8Array, offset: number): boolean {
  return (bytes[offset + 2]! & 0x80) !== 0;
}

/** Writes `ms` (epoch, already shifted to the station's clock) as CP56Time2a (UTC fields). */
export function encodeCp56(
  time: number,
  out: Uint8Array,
  offset: number,
  options: { invalid?: boolean } = {},
): void {
  const date = new Date(time);
  const year = date.getUTCFullYear();
  if (!Number.isFinite(time) || year < 2000 || year > 2099)
    throw new RangeError('CP56Time2a holds years 2000–2099');
  const ms = date.getUTCSeconds() * 1000 + date.getUTCMilliseconds();
  out[offset] = ms & 0xff;
  out[offset + 1] = ms >> 8;
  out[offset + 2] = date.getUTCMinutes() | (options.invalid ? 0x80 : 0);
  out[offset + 3] = date.getUTCHours();
  // Day of week 1 = Monday … 7 = Sunday.
  out[offset + 4] = date.getUTCDate() | ((((date.getUTCDay() + 6) % 7) + 1) << 5);
  out[offset + 5] = date.getUTCMonth() + 1;
  out[offset + 6] = year - 2000;
}

/**
 * CP24Time2a (milliseconds and minutes only) → epoch ms: the latest such instant not
 * after `reference` (the station's clock now, as UTC fields) plus a minute of clock skew.
 * NaN when a field is out of range.
 */
export function decodeCp24(bytes: Uint8Array, offset: number, reference: number): number {
  const ms = bytes[offset]! | (bytes[offset + 1]! << 8);
  const minute = bytes[offset + 2]! & 0x3f;
  if (ms > 59_999 || minute > 59 || !Number.isFinite(reference)) return Number.NaN;
  const hour = Math.floor(reference / 3_600_000) * 3_600_000;
  let time = hour + minute * 60_000 + ms;
  if (time > reference + 60_000) time -= 3_600_000;
  return time;
}

// ---------------------------------------------------------------------------------------
// ASDU

export interface AsduHeader {
  typeId: number;
  /** SQ: the objects are consecutive, and only the first carries its address. */
  sequence: boolean;
  count: number;
  cot: number;
  negative: boolean;
  test: boolean;
  originator: number;
  commonAddress: number;
}

export const COT = {
  PERIODIC: 1,
  BACKGROUND: 2,
  SPONTANEOUS: 3,
  INITIALISED: 4,
  REQUEST: 5,
  ACTIVATION: 6,
  ACTIVATION_CON: 7,
  DEACTIVATION: 8,
  DEACTIVATION_CON: 9,
  ACTIVATION_TERMINATION: 10,
  INTERROGATED_BY_STATION: 20,
  REQUESTED_BY_GENERAL_COUNTER: 37,
  UNKNOWN_TYPE: 44,
  UNKNOWN_COT: 45,
  UNKNOWN_CA: 46,
  UNKNOWN_IOA: 47,
} as const;

/** The header of an ASDU (`asdu` is the APDU after its 6 APCI octets). */
export function decodeAsduHeader(asdu: Uint8Array): AsduHeader {
  if (asdu.length < ASDU_HEADER_LENGTH)
    throw new Iec104FrameError(
      'asdu-length',
      `ASDU of ${asdu.length} octets: shorter than its header`,
      toHex(asdu),
    );
  const typeId = asdu[0]!;
  if (!DEFINED_TYPES.has(typeId))
    throw new Iec104FrameError('type', `unknown type identification ${typeId}`, toHex(asdu));
  const cot = asdu[2]! & 0x3f;
  if (cot === 0)
    throw new Iec104FrameError('content', 'cause of transmission 0 (not used)', toHex(asdu));
  return {
    typeId,
    sequence: (asdu[1]! & 0x80) !== 0,
    count: asdu[1]! & 0x7f,
    cot,
    negative: (asdu[2]! & 0x40) !== 0,
    test: (asdu[2]! & 0x80) !== 0,
    originator: asdu[3]!,
    commonAddress: asdu[4]! | (asdu[5]! << 8),
  };
}

/**
 * Receives each information object of a monitoring ASDU: its address, its value (NaN
 * when it has none, e.g. a double point in transit), its quality code (QUALITY bits) and
 * its time tag as epoch ms with UTC fields (NaN without one, or when invalid).
 */
export type ObjectVisitor = (ioa: number, value: number, quality: number, time: number) => void;

function checkLength(asdu: Uint8Array, header: AsduHeader, elementSize: number): void {
  const expected =
    header.count === 0
      ? -1
      : header.sequence
        ? ASDU_HEADER_LENGTH + 3 + header.count * elementSize
        : ASDU_HEADER_LENGTH + header.count * (3 + elementSize);
  if (asdu.length !== expected)
    throw new Iec104FrameError(
      'asdu-length',
      header.count === 0
        ? `type ${header.typeId} with no information objects`
        : `type ${header.typeId} with ${header.count} objects${header.sequence ? ' (SQ=1)' : ''} must be ${expected} octets, is ${asdu.length}`,
      toHex(asdu),
    );
}

const readIoa = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
const readInt16 = (b: Uint8Array, o: number) => ((b[o]! | (b[o + 1]! << 8)) << 16) >> 16;
const readInt32 = (b: Uint8Array, o: number) =>
  b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
const floatView = new DataView(new ArrayBuffer(4));
function readFloat32(b: Uint8Array, o: number): number {
  floatView.setUint8(0, b[o]!);
  floatView.setUint8(1, b[o + 1]!);
  floatView.setUint8(2, b[o + 2]!);
  floatView.setUint8(3, b[o + 3]!);
  return floatView.getFloat32(0, true);
}

/**
 * Calls `visit` for each information object of a monitoring ASDU of a type kindOf()
 * knows. `reference` is the station's clock now (UTC fields), for CP24Time2a.
 */
export function decodeMonitoring(
  asdu: Uint8Array,
  header: AsduHeader,
  reference: number,
  visit: ObjectVisitor,
): void {
  const type = MONITOR_TYPES.get(header.typeId);
  if (!type) throw new RangeError(`type ${header.typeId} is not a monitoring type we read`);
  checkLength(asdu, header, type.size);
  let offset = ASDU_HEADER_LENGTH;
  let ioa = 0;
  for (let i = 0; i < header.count; i++) {
    if (!header.sequence || i === 0) {
      ioa = readIoa(asdu, offset);
      offset += 3;
    } else {
      ioa = (ioa + 1) & 0xffffff;
    }
    let value: number;
    let quality = 0;
    let valueSize: number;
    switch (type.kind) {
      // Reserved bits (SIQ 1–3, DIQ 2–3, QDS 1–3) are ignored, not refused: a station that
      // sets them still sends good data, and refusing would cut its link for ever.
      case 'single': {
        const siq = asdu[offset]!;
        value = siq & 0x01;
        quality = siq & 0xf0;
        valueSize = 1;
        break;
      }
      case 'double': {
        const diq = asdu[offset]!;
        const dpi = diq & 0x03;
        quality = diq & 0xf0;
        // DPI 1 off, 2 on; 0 moving (intermediate), 3 indeterminate: no value for either.
        value = dpi === 1 ? 0 : dpi === 2 ? 1 : Number.NaN;
        if (dpi === 0) quality |= QUALITY.INTERMEDIATE;
        if (dpi === 3) quality |= QUALITY.INDETERMINATE;
        valueSize = 1;
        break;
      }
      case 'normalized':
        value = readInt16(asdu, offset) / 32768;
        valueSize = 2;
        if (type.quality) {
          quality = asdu[offset + 2]! & 0xf1;
          valueSize = 3;
        }
        break;
      case 'scaled':
        value = readInt16(asdu, offset);
        quality = asdu[offset + 2]! & 0xf1;
        valueSize = 3;
        break;
      case 'float':
        value = readFloat32(asdu, offset);
        quality = asdu[offset + 4]! & 0xf1;
        valueSize = 5;
        break;
      case 'integrated': {
        value = readInt32(asdu, offset);
        const flags = asdu[offset + 4]!;
        quality =
          (flags & 0x80 ? QUALITY.IV : 0) |
          (flags & 0x40 ? QUALITY.ADJUSTED : 0) |
          (flags & 0x20 ? QUALITY.CARRY : 0);
        valueSize = 5;
        break;
      }
    }
    let time = Number.NaN;
    if (type.time === 56) {
      time = decodeCp56(asdu, offset + valueSize);
      if (Number.isNaN(time)) quality |= QUALITY.TIME_MALFORMED;
      else if (cp56Invalid(asdu, offset + valueSize)) {
        quality |= QUALITY.TIME_INVALID;
        time = Number.NaN;
      }
    } else if (type.time === 24) {
      time = decodeCp24(asdu, offset + valueSize, reference);
      if (Number.isNaN(time)) quality |= QUALITY.TIME_MALFORMED;
      else if (asdu[offset + valueSize + 2]! & 0x80) {
        quality |= QUALITY.TIME_INVALID;
        time = Number.NaN;
      }
    }
    offset += type.size;
    visit(ioa, value, quality, time);
  }
}

/** The one information object of a command confirmation or end of initialisation. */
export interface CommandObject {
  ioa: number;
  /** QOI, QCC or COI; for clock synchronisation the time (UTC fields, epoch ms). */
  qualifier: number;
}

export function decodeCommand(asdu: Uint8Array, header: AsduHeader): CommandObject {
  const size = COMMAND_ELEMENT_SIZE.get(header.typeId);
  if (size === undefined) throw new RangeError(`type ${header.typeId} is not a command we read`);
  if (header.sequence || header.count !== 1)
    throw new Iec104FrameError(
      'asdu-length',
      `type ${header.typeId} must carry exactly one object`,
      toHex(asdu),
    );
  checkLength(asdu, header, size);
  const ioa = readIoa(asdu, ASDU_HEADER_LENGTH);
  const qualifier =
    header.typeId === TYPE.C_CS_NA_1
      ? decodeCp56(asdu, ASDU_HEADER_LENGTH + 3)
      : asdu[ASDU_HEADER_LENGTH + 3]!;
  return { ioa, qualifier };
}

/**
 * Decodes an ASDU's information objects after its header: a monitoring type's objects go
 * to `visit`; a command confirmation or end of initialisation is returned; any other type
 * the standard defines is accepted without looking at its objects (null).
 */
export function decodeBody(
  asdu: Uint8Array,
  header: AsduHeader,
  reference: number,
  visit: ObjectVisitor,
): CommandObject | null {
  if (MONITOR_TYPES.has(header.typeId)) {
    decodeMonitoring(asdu, header, reference, visit);
    return null;
  }
  if (COMMAND_ELEMENT_SIZE.has(header.typeId)) return decodeCommand(asdu, header);
  return null;
}

function asduHeader(
  out: Uint8Array,
  typeId: number,
  count: number,
  options: {
    cot: number;
    commonAddress: number;
    originator?: number;
    sequence?: boolean;
    negative?: boolean;
    test?: boolean;
  },
): void {
  out[0] = typeId;
  out[1] = (options.sequence ? 0x80 : 0) | count;
  out[2] = options.cot | (options.negative ? 0x40 : 0) | (options.test ? 0x80 : 0);
  out[3] = options.originator ?? 0;
  out[4] = options.commonAddress & 0xff;
  out[5] = (options.commonAddress >> 8) & 0xff;
}

const writeIoa = (out: Uint8Array, offset: number, ioa: number) => {
  out[offset] = ioa & 0xff;
  out[offset + 1] = (ioa >> 8) & 0xff;
  out[offset + 2] = (ioa >> 16) & 0xff;
};

/** C_IC_NA_1 activation: QOI 20 is the station (general) interrogation. */
export function encodeInterrogation(commonAddress: number, originator = 0, qoi = 20): Buffer {
  const asdu = Buffer.alloc(ASDU_HEADER_LENGTH + 4);
  asduHeader(asdu, TYPE.C_IC_NA_1, 1, { cot: COT.ACTIVATION, commonAddress, originator });
  asdu[9] = qoi;
  return asdu;
}

/**
 * C_CI_NA_1 activation. QCC 5 = general counter request (RQT 5) with FRZ 0: read the
 * counters without freezing or resetting them, so the station's own totals are untouched.
 */
export function encodeCounterInterrogation(commonAddress: number, originator = 0, qcc = 5): Buffer {
  const asdu = Buffer.alloc(ASDU_HEADER_LENGTH + 4);
  asduHeader(asdu, TYPE.C_CI_NA_1, 1, { cot: COT.ACTIVATION, commonAddress, originator });
  asdu[9] = qcc;
  return asdu;
}

/** C_CS_NA_1 activation with `time` (epoch ms already shifted to the station's clock). */
export function encodeClockSync(commonAddress: number, time: number, originator = 0): Buffer {
  const asdu = Buffer.alloc(ASDU_HEADER_LENGTH + 3 + 7);
  asduHeader(asdu, TYPE.C_CS_NA_1, 1, { cot: COT.ACTIVATION, commonAddress, originator });
  encodeCp56(time, asdu, ASDU_HEADER_LENGTH + 3);
  return asdu;
}

export interface MonitoringObject {
  ioa: number;
  /** single 0/1; double: the DPI 0–3; normalized -1…1; scaled and integrated integers. */
  value: number;
  /** The quality octet as on the wire (SIQ/DIQ/QDS flags, or the counter's CY/CA/IV and sequence). */
  quality?: number;
  /** Epoch ms, written with UTC fields (types with a time tag). */
  time?: number;
  timeInvalid?: boolean;
}

/**
 * A monitoring ASDU, as a controlled station sends it. The connector never sends one:
 * the tests and the fuzzer build valid frames with it.
 */
export function encodeMonitoring(
  typeId: number,
  objects: readonly MonitoringObject[],
  options: { cot: number; commonAddress: number; originator?: number; sequence?: boolean },
): Buffer {
  const type = MONITOR_TYPES.get(typeId);
  if (!type) throw new RangeError(`type ${typeId} is not a monitoring type`);
  const length = options.sequence
    ? ASDU_HEADER_LENGTH + 3 + objects.length * type.size
    : ASDU_HEADER_LENGTH + objects.length * (3 + type.size);
  if (objects.length < 1 || objects.length > 127 || length > MAX_ASDU_LENGTH)
    throw new RangeError(`${objects.length} objects of type ${typeId} do not fit an ASDU`);
  const asdu = Buffer.alloc(length);
  asduHeader(asdu, typeId, objects.length, options);
  let offset = ASDU_HEADER_LENGTH;
  objects.forEach((object, i) => {
    if (!options.sequence || i === 0) {
      writeIoa(asdu, offset, object.ioa);
      offset += 3;
    }
    const q = object.quality ?? 0;
    let valueSize = 0;
    switch (type.kind) {
      case 'single':
        asdu[offset] = (object.value ? 1 : 0) | (q & 0xf0);
        valueSize = 1;
        break;
      case 'double':
        asdu[offset] = (object.value & 0x03) | (q & 0xf0);
        valueSize = 1;
        break;
      case 'normalized':
        asdu.writeInt16LE(
          Math.max(-32768, Math.min(32767, Math.round(object.value * 32768))),
          offset,
        );
        valueSize = 2;
        if (type.quality) {
          asdu[offset + 2] = q & 0xf1;
          valueSize = 3;
        }
        break;
      case 'scaled':
        asdu.writeInt16LE(object.value, offset);
        asdu[offset + 2] = q & 0xf1;
        valueSize = 3;
        break;
      case 'float':
        asdu.writeFloatLE(object.value, offset);
        asdu[offset + 4] = q & 0xf1;
        valueSize = 5;
        break;
      case 'integrated':
        asdu.writeInt32LE(object.value, offset);
        asdu[offset + 4] = q & 0xff;
        valueSize = 5;
        break;
    }
    if (type.time !== 0 && object.time === undefined)
      throw new RangeError(`type ${typeId} needs a time for every object`);
    if (type.time === 56)
      encodeCp56(object.time!, asdu, offset + valueSize, { invalid: object.timeInvalid });
    else if (type.time === 24) {
      const time = object.time!;
      const ms = (Math.floor(time / 1000) % 60) * 1000 + (time % 1000);
      asdu[offset + valueSize] = ms & 0xff;
      asdu[offset + valueSize + 1] = ms >> 8;
      asdu[offset + valueSize + 2] =
        (Math.floor(time / 60_000) % 60) | (object.timeInvalid ? 0x80 : 0);
    }
    offset += type.size;
  });
  return asdu;
}
