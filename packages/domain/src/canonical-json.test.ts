import { describe, expect, it } from 'vitest';
import { AppError } from './errors';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same bytes for equal values built in a different order', () => {
    const one = { volumen: 1.5, pozo: 'W-001', flags: ['G', 'S'] };
    const two = { flags: ['G', 'S'], pozo: 'W-001', volumen: 1.5 };
    expect(canonicalJson(one)).toBe(canonicalJson(two));
  });

  it('refuses values JSON cannot represent faithfully', () => {
    expect(() => canonicalJson({ v: Number.NaN })).toThrow(/non-finite number at \$\.v/);
    expect(() => canonicalJson([Infinity])).toThrow(AppError);
    expect(() => canonicalJson({ v: 10n })).toThrow(AppError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(AppError);
  });

  it('writes dates as ISO instants and keeps unicode as is', () => {
    expect(canonicalJson({ at: new Date('2026-11-28T11:00:00.000Z'), campo: 'Rubiales ñ' })).toBe(
      '{"at":"2026-11-28T11:00:00.000Z","campo":"Rubiales ñ"}',
    );
  });
});
