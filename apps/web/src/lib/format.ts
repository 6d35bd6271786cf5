import type { Locale } from './i18n';

/** Numbers, dates and times as Colombians read them (1.234,5; 28/11/2026 06:00, Bogotá). */
export const TIME_ZONE = 'America/Bogota';

export function formatNumber(value: number, locale: Locale, maximumFractionDigits = 2): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits }).format(value);
}

export function formatDateTime(value: Date | string | null, locale: Locale): string {
  if (value === null) return '—';
  return new Intl.DateTimeFormat(locale, {
    timeZone: TIME_ZONE,
    dateStyle: 'short',
    timeStyle: 'short',
  }).format(new Date(value));
}
