import { z } from 'zod';
import { AppError } from './errors';

/**
 * Colombian NIT (Número de Identificación Tributaria) with its DIAN check digit
 * ("dígito de verificación", DV). The DV is a weighted sum modulo 11 of the base
 * digits read from the right, with the DIAN prime weights below; a remainder of
 * 0 or 1 is the DV itself, otherwise the DV is 11 minus the remainder.
 * Source: DIAN, Orden Administrativa 4 de 1989 (the algorithm printed on every RUT).
 */
const DIAN_WEIGHTS = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71] as const;

export function nitCheckDigit(base: string): number {
  if (!/^\d{1,15}$/.test(base)) {
    throw new AppError('VALIDATION', `NIT base must be 1 to 15 digits, got "${base}"`);
  }
  let sum = 0;
  for (let i = 0; i < base.length; i++) {
    const digit = base.charCodeAt(base.length - 1 - i) - 48;
    sum += digit * DIAN_WEIGHTS[i]!;
  }
  const remainder = sum % 11;
  return remainder <= 1 ? remainder : 11 - remainder;
}

export interface Nit {
  /** Digits without separators or check digit, e.g. "899999068". */
  base: string;
  checkDigit: number;
}

/** Accepts "899.999.068-1", "899999068-1", "8999990681" is NOT accepted (ambiguous). */
const NIT_PATTERN = /^(\d{1,3}(?:\.\d{3})*|\d{1,15})\s*-\s*(\d)$/;

export type NitParseResult =
  { ok: true; nit: Nit } | { ok: false; reason: 'format' | 'check_digit'; expected?: number };

export function parseNit(input: string): NitParseResult {
  const match = NIT_PATTERN.exec(input.trim());
  if (!match) return { ok: false, reason: 'format' };
  const base = match[1]!.replaceAll('.', '');
  if (base.length < 6 || base.length > 15) return { ok: false, reason: 'format' };
  const given = Number(match[2]);
  const expected = nitCheckDigit(base);
  if (given !== expected) return { ok: false, reason: 'check_digit', expected };
  return { ok: true, nit: { base, checkDigit: given } };
}

export function formatNit(nit: Nit): string {
  const grouped = nit.base.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${grouped}-${nit.checkDigit}`;
}

/** zod schema: parses a NIT string (with its DV) into `{ base, checkDigit }`. */
export const nitSchema = z.string().transform((value, ctx) => {
  const parsed = parseNit(value);
  if (parsed.ok) return parsed.nit;
  ctx.addIssue({
    code: 'custom',
    message:
      parsed.reason === 'format'
        ? 'NIT con formato inválido; use 900123456-7 / NIT format must be 900123456-7'
        : `Dígito de verificación incorrecto (esperado ${parsed.expected}) / wrong check digit (expected ${parsed.expected})`,
  });
  return z.NEVER;
});
