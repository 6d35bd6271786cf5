import { formatNumber, TIME_ZONE } from '~/lib/format';
import type { Locale } from '~/lib/i18n';

/** How long ago, shortly: `45 s`, `12 min`, `3 h`, `2 d`. */
export function formatAge(seconds: number, locale: Locale): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800)
    return `${formatNumber(seconds / 3600, locale, seconds < 36_000 ? 1 : 0)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** A time in Bogotá, as short as the resolution allows. */
export function formatInstant(ms: number, locale: Locale, resolution: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone: TIME_ZONE,
    day: '2-digit',
    month: '2-digit',
    ...(resolution === 'day' ? { year: 'numeric' } : { hour: '2-digit', minute: '2-digit' }),
    hourCycle: 'h23',
  }).format(ms);
}

/** A value with its unit (— when there is none). */
export function formatValue(value: number | null, unit: string, locale: Locale): string {
  return value === null ? '—' : `${formatNumber(value, locale, 3)} ${unit}`;
}
