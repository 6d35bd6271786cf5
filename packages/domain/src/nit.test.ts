import { describe, expect, it } from 'vitest';
import { AppError } from './errors';
import { formatNit, nitCheckDigit, nitSchema, parseNit } from './nit';

// Real NITs as printed on public invoices and RUTs.
const REAL_NITS = [
  ['899.999.068-1', 'Ecopetrol S.A.'],
  ['800.197.268-4', 'DIAN'],
  ['890.903.938-8', 'Bancolombia S.A.'],
  ['890.900.608-9', 'Almacenes Éxito S.A.'],
] as const;

describe('NIT check digit (DIAN)', () => {
  it.each(REAL_NITS)('accepts %s (%s)', (nit) => {
    const parsed = parseNit(nit);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(formatNit(parsed.nit)).toBe(nit);
  });

  it.each(REAL_NITS)('rejects %s with every other check digit', (nit) => {
    const [base, digit] = nit.split('-') as [string, string];
    for (let wrong = 0; wrong <= 9; wrong++) {
      if (wrong === Number(digit)) continue;
      expect(parseNit(`${base}-${wrong}`)).toEqual({
        ok: false,
        reason: 'check_digit',
        expected: Number(digit),
      });
    }
  });

  it('accepts the forms people type: with or without dots, spaces around the dash', () => {
    expect(parseNit('899999068-1')).toMatchObject({
      ok: true,
      nit: { base: '899999068', checkDigit: 1 },
    });
    expect(parseNit(' 899999068 - 1 ')).toMatchObject({ ok: true });
  });

  it('rejects malformed input with a format reason', () => {
    for (const bad of [
      '',
      '8999990681',
      '899.999.068',
      '89.99.99.068-1',
      'abc-1',
      '12345-6',
      '899999068-12',
      '899,999,068-1',
    ]) {
      expect(parseNit(bad)).toEqual({ ok: false, reason: 'format' });
    }
  });

  it('computes remainders 0 and 1 as the digit itself', () => {
    // 1519 mod 11 = 1 for Ecopetrol's base: the DV is 1, not 10.
    expect(nitCheckDigit('899999068')).toBe(1);
    const zeroRemainder = Array.from({ length: 2000 }, (_, i) => String(800_000_000 + i)).find(
      (base) => nitCheckDigit(base) === 0,
    );
    expect(zeroRemainder).toBeDefined();
  });

  it('refuses non-digit bases with a typed error, never a wrong digit', () => {
    expect(() => nitCheckDigit('12a')).toThrow(AppError);
    expect(() => nitCheckDigit('')).toThrow(AppError);
  });

  it('gives bilingual zod messages', () => {
    const result = nitSchema.safeParse('899999068-2');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/esperado 1.*expected 1/);
    expect(nitSchema.parse('899.999.068-1')).toEqual({ base: '899999068', checkDigit: 1 });
  });
});
