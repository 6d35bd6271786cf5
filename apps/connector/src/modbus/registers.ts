/**
 * Modbus register values: data types, byte and word order, and the read plan that packs
 * a mapping's tags into as few requests as the protocol allows (125 registers or 2,000
 * bits per request).
 */
import { MODBUS_TABLES, MODBUS_TYPES } from '@anh/domain/connector-config';
import type { ModbusTable, ModbusType } from '@anh/domain/connector-config';

export { MODBUS_TABLES, MODBUS_TYPES, type ModbusTable, type ModbusType };
export type ByteOrder = 'BE' | 'LE';

export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

export function registerCount(type: ModbusType): number {
  switch (type) {
    case 'int16':
    case 'uint16':
    case 'bool':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
  }
}

export const isBitTable = (table: ModbusTable) => table === 'coil' || table === 'discrete';

export interface RegisterTag {
  /** Index of the tag in the mapping (stable id for the plan). */
  tag: number;
  unitId: number;
  table: ModbusTable;
  address: number;
  type: ModbusType;
  byteOrder: ByteOrder;
  wordOrder: ByteOrder;
}

/**
 * Decodes one value from 16-bit registers as received (each register big-endian on the
 * wire). `wordOrder` LE means the low word comes first (e.g. many Schneider and Enron
 * devices); `byteOrder` LE swaps the two bytes inside each register.
 */
export function decodeRegisters(
  words: ArrayLike<number>,
  offset: number,
  type: ModbusType,
  byteOrder: ByteOrder,
  wordOrder: ByteOrder,
): number {
  const count = registerCount(type);
  const bytes = Buffer.allocUnsafe(count * 2);
  for (let i = 0; i < count; i++) {
    const word = words[offset + (wordOrder === 'LE' ? count - 1 - i : i)]! & 0xffff;
    const high = word >> 8;
    const low = word & 0xff;
    bytes[i * 2] = byteOrder === 'LE' ? low : high;
    bytes[i * 2 + 1] = byteOrder === 'LE' ? high : low;
  }
  switch (type) {
    case 'int16':
      return bytes.readInt16BE(0);
    case 'uint16':
    case 'bool':
      return bytes.readUInt16BE(0);
    case 'int32':
      return bytes.readInt32BE(0);
    case 'uint32':
      return bytes.readUInt32BE(0);
    case 'float32':
      return bytes.readFloatBE(0);
    case 'float64':
      return bytes.readDoubleBE(0);
  }
}

/** The inverse of decodeRegisters, for simulators and tests. */
export function encodeRegisters(
  value: number,
  type: ModbusType,
  byteOrder: ByteOrder,
  wordOrder: ByteOrder,
): number[] {
  const count = registerCount(type);
  const bytes = Buffer.alloc(count * 2);
  switch (type) {
    case 'int16':
      bytes.writeInt16BE(value, 0);
      break;
    case 'uint16':
    case 'bool':
      bytes.writeUInt16BE(value, 0);
      break;
    case 'int32':
      bytes.writeInt32BE(value, 0);
      break;
    case 'uint32':
      bytes.writeUInt32BE(value, 0);
      break;
    case 'float32':
      bytes.writeFloatBE(value, 0);
      break;
    case 'float64':
      bytes.writeDoubleBE(value, 0);
      break;
  }
  const words: number[] = [];
  for (let i = 0; i < count; i++) {
    const high = bytes[i * 2]!;
    const low = bytes[i * 2 + 1]!;
    words.push(byteOrder === 'LE' ? (low << 8) | high : (high << 8) | low);
  }
  return wordOrder === 'LE' ? words.reverse() : words;
}

export interface ReadBlock {
  unitId: number;
  table: ModbusTable;
  address: number;
  count: number;
  tags: RegisterTag[];
}

/**
 * Packs tags into read blocks: per unit and table, sorted by address, merging neighbours
 * while the block stays within the protocol limit and the hole between them is at most
 * `maxGap` registers (reading a few unused registers is cheaper than another request).
 */
export function planReads(tags: readonly RegisterTag[], maxGap = 8): ReadBlock[] {
  const groups = new Map<string, RegisterTag[]>();
  for (const tag of tags) {
    const key = `${tag.unitId}:${tag.table}`;
    const group = groups.get(key) ?? [];
    group.push(tag);
    groups.set(key, group);
  }
  const blocks: ReadBlock[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => a.address - b.address);
    let current: ReadBlock | null = null;
    for (const tag of group) {
      const end = tag.address + registerCount(tag.type);
      const limit = isBitTable(tag.table) ? MAX_BITS_PER_READ : MAX_REGISTERS_PER_READ;
      if (
        current &&
        tag.address - (current.address + current.count) <= maxGap &&
        end - current.address <= limit
      ) {
        current.count = Math.max(current.count, end - current.address);
        current.tags.push(tag);
      } else {
        current = {
          unitId: tag.unitId,
          table: tag.table,
          address: tag.address,
          count: end - tag.address,
          tags: [tag],
        };
        blocks.push(current);
      }
    }
  }
  return blocks;
}

/** Pairs of tags whose registers overlap (a mapping mistake), by tag index. */
export function overlappingTags(tags: readonly RegisterTag[]): Array<[number, number]> {
  const overlaps: Array<[number, number]> = [];
  const sorted = [...tags].sort(
    (a, b) => a.unitId - b.unitId || a.table.localeCompare(b.table) || a.address - b.address,
  );
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    const aEnd = a.address + registerCount(a.type);
    for (let j = i + 1; j < sorted.length; j++) {
      const b = sorted[j]!;
      if (b.unitId !== a.unitId || b.table !== a.table || b.address >= aEnd) break;
      overlaps.push([a.tag, b.tag]);
    }
  }
  return overlaps;
}
