import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRegisters,
  encodeRegisters,
  MODBUS_TYPES,
  overlappingTags,
  planReads,
  type ByteOrder,
  type ModbusType,
  type RegisterTag,
} from './registers';

const tag = (
  i: number,
  address: number,
  type: ModbusType = 'float32',
  unitId = 1,
  table: RegisterTag['table'] = 'holding',
): RegisterTag => ({ tag: i, unitId, table, address, type, byteOrder: 'BE', wordOrder: 'BE' });

describe('register decoding', () => {
  it('reads the byte and word orders devices use', () => {
    // 123.456 as float32 is 0x42F6E979.
    expect(decodeRegisters([0x42f6, 0xe979], 0, 'float32', 'BE', 'BE')).toBeCloseTo(123.456, 4); // ABCD
    expect(decodeRegisters([0xe979, 0x42f6], 0, 'float32', 'BE', 'LE')).toBeCloseTo(123.456, 4); // CDAB
    expect(decodeRegisters([0xf642, 0x79e9], 0, 'float32', 'LE', 'BE')).toBeCloseTo(123.456, 4); // BADC
    expect(decodeRegisters([0x79e9, 0xf642], 0, 'float32', 'LE', 'LE')).toBeCloseTo(123.456, 4); // DCBA
    expect(decodeRegisters([0xffff], 0, 'int16', 'BE', 'BE')).toBe(-1);
    expect(decodeRegisters([0xffff], 0, 'uint16', 'BE', 'BE')).toBe(65535);
    expect(decodeRegisters([0xffff, 0xfffe], 0, 'int32', 'BE', 'BE')).toBe(-2);
    expect(decodeRegisters([0, 0, 0, 5, 0x4059, 0, 0, 0], 4, 'float64', 'BE', 'BE')).toBe(100);
  });

  it('round-trips every type and order (property)', () => {
    const orders: ByteOrder[] = ['BE', 'LE'];
    const ranges: Record<ModbusType, [number, number]> = {
      int16: [-32768, 32767],
      uint16: [0, 65535],
      bool: [0, 1],
      int32: [-(2 ** 31), 2 ** 31 - 1],
      uint32: [0, 2 ** 32 - 1],
      float32: [-1e6, 1e6],
      float64: [-1e12, 1e12],
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...MODBUS_TYPES),
        fc.constantFrom(...orders),
        fc.constantFrom(...orders),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (type, byteOrder, wordOrder, t) => {
          const [lo, hi] = ranges[type];
          const integer = !type.startsWith('float');
          const value = integer
            ? Math.round(lo + (hi - lo) * t)
            : type === 'float32'
              ? Math.fround(lo + (hi - lo) * t)
              : lo + (hi - lo) * t;
          return (
            decodeRegisters(
              encodeRegisters(value, type, byteOrder, wordOrder),
              0,
              type,
              byteOrder,
              wordOrder,
            ) === value
          );
        },
      ),
    );
  });
});

describe('read planning', () => {
  it('packs neighbours into one request, splits at the 125-register limit and across units and tables', () => {
    const tags = [
      tag(0, 100),
      tag(1, 102),
      tag(2, 110),
      tag(3, 300),
      tag(4, 100, 'float32', 2),
      tag(5, 100, 'int16', 1, 'input'),
    ];
    const plan = planReads(tags);
    expect(
      plan.map((b) => [b.unitId, b.table, b.address, b.count, b.tags.map((t) => t.tag)]),
    ).toEqual([
      [1, 'holding', 100, 12, [0, 1, 2]],
      [1, 'holding', 300, 2, [3]],
      [2, 'holding', 100, 2, [4]],
      [1, 'input', 100, 1, [5]],
    ]);
    const many = Array.from({ length: 1000 }, (_, i) => tag(i, i * 2));
    const big = planReads(many);
    expect(big.every((b) => b.count <= 125)).toBe(true);
    expect(big.reduce((n, b) => n + b.tags.length, 0)).toBe(1000);
    expect(big).toHaveLength(Math.ceil(2000 / 124));
  });

  it('finds overlapping registers', () => {
    expect(
      overlappingTags([tag(0, 100), tag(1, 101), tag(2, 104), tag(3, 101, 'float32', 2)]),
    ).toEqual([[0, 1]]);
  });
});
