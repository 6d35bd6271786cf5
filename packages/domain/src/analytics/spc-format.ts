import type { SpcLimits } from './spc-limits';

/**
 * Number formatting for SPC messages: Spanish (es-CO, decimal comma) and English. The
 * number of decimals follows the process sigma, so a pressure with σ = 3 psig reads
 * "812,4 psig" and a BSW with σ = 0,02 % reads "0,412 %": enough digits to see the
 * departure, not so many that the noise looks like information.
 */
export interface MessageText {
  es: string;
  en: string;
}

export interface MessageOptions {
  /** Unit appended to values (default: the unit stored in the limits, if any). */
  unit?: string;
  /** Decimals of values (default: from sigma, see decimalsFor). */
  decimals?: number;
}

/** Two significant digits of sigma, clamped to 0–6 decimals. */
export function decimalsFor(sigma: number): number {
  if (!(sigma > 0) || !Number.isFinite(sigma)) return 2;
  return Math.min(6, Math.max(0, Math.ceil(-Math.log10(sigma)) + 1));
}

/**
 * es-CO "1.234,5" / en "1,234.5". Written out rather than Intl.NumberFormat: Intl's output
 * depends on the ICU data Node was built with (a small-icu build has no es-CO), and it costs
 * microseconds per number, which adds up when a noisy series fires thousands of rules.
 */
function plain(locale: 'es' | 'en', value: number, decimals: number, sign = false): string {
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) return String(value);
  const digits = Math.abs(value).toFixed(decimals);
  // Sign from the rounded digits, so that −0.04 with one decimal reads "0,0", not "-0,0".
  const zero = !/[1-9]/.test(digits);
  const point = digits.indexOf('.');
  let whole = point < 0 ? digits : digits.slice(0, point);
  if (whole.length > 3) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, locale === 'es' ? '.' : ',');
  const body =
    point < 0 ? whole : `${whole}${locale === 'es' ? ',' : '.'}${digits.slice(point + 1)}`;
  return `${zero ? '' : value < 0 ? '-' : sign ? '+' : ''}${body}`;
}

/** Formatting helpers bound to one set of limits and options. */
export interface Formatter {
  /** A value with its unit. */
  value(locale: 'es' | 'en', x: number): string;
  /** A signed difference with its unit. */
  delta(locale: 'es' | 'en', x: number): string;
  /** A multiple of sigma, one decimal, signed when asked ("+2,4σ"). */
  sigmas(locale: 'es' | 'en', x: number, signed?: boolean): string;
  /** A plain number with the given decimals. */
  number(locale: 'es' | 'en', x: number, decimals: number): string;
}

export function formatterFor(limits: SpcLimits, options: MessageOptions = {}): Formatter {
  const unit = options.unit ?? limits.unit;
  const suffix = unit ? ` ${unit}` : '';
  const decimals = options.decimals ?? decimalsFor(limits.sigma);
  return {
    value: (locale, x) => `${plain(locale, x, decimals)}${suffix}`,
    delta: (locale, x) => `${plain(locale, x, decimals, true)}${suffix}`,
    sigmas: (locale, x, signed = false) => `${plain(locale, x, 1, signed)}σ`,
    number: (locale, x, digits) => plain(locale, x, digits),
  };
}

/**
 * "a; b y c" / "a; b and c". Semicolons, not commas: in Spanish the comma is the decimal
 * separator, and "820,1, 819,5" would be unreadable.
 */
export function list(locale: 'es' | 'en', items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  const last = items[items.length - 1]!;
  return `${items.slice(0, -1).join('; ')} ${locale === 'es' ? 'y' : 'and'} ${last}`;
}
