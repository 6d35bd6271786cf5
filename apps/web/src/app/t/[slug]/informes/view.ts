import type { Locale } from '~/lib/i18n';

/** Small helpers shared by the reports pages: query string ⇄ filters, days, numbers. */
export type Search = Record<string, string | string[] | undefined>;

export const REPORT_STATE_PARAMS = {
  entregado: 'delivered',
  pendiente: 'pending',
  fallido: 'failed',
  reemplazado: 'superseded',
  bloqueante: 'blocking',
} as const;
export type StateParam = keyof typeof REPORT_STATE_PARAMS;
export type StateFilter = (typeof REPORT_STATE_PARAMS)[StateParam];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function param(search: Search, name: string): string {
  const value = search[name];
  return (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
}

export const uuidOrNull = (value: string) => (UUID.test(value) ? value : null);

/** A day the API accepts (2000–2100), or null: a hand-edited URL never breaks the page. */
export function dayOrNull(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || value < '2000-01-01' || value > '2100-12-31')
    return null;
  return Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? null : value;
}

export function offsetOf(value: string): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 && n <= 1_000_000 ? n : 0;
}

/** The list's filters as read from the URL (`?estacion=…&desde=…&hasta=…&estado=…&pos=…`). */
export function reportFilters(search: Search) {
  const state = param(search, 'estado');
  return {
    siteId: uuidOrNull(param(search, 'estacion')),
    from: dayOrNull(param(search, 'desde')),
    to: dayOrNull(param(search, 'hasta')),
    state: Object.hasOwn(REPORT_STATE_PARAMS, state)
      ? REPORT_STATE_PARAMS[state as StateParam]
      : null,
    offset: offsetOf(param(search, 'pos')),
  };
}

export function stateParam(state: StateFilter | null): string {
  if (!state) return '';
  return (Object.keys(REPORT_STATE_PARAMS) as StateParam[]).find(
    (key) => REPORT_STATE_PARAMS[key] === state,
  )!;
}

/** `?a=1&b=2` of the non-empty values (or '' when none). */
export function queryString(values: Record<string, string | number | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values))
    if (value !== null && value !== undefined && value !== '') query.set(key, String(value));
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** A calendar day (YYYY-MM-DD) as people here write it: 05/10/2026. */
export function formatDay(day: string, locale: Locale): string {
  const ms = Date.parse(`${day}T12:00:00Z`);
  if (Number.isNaN(ms)) return day;
  return new Intl.DateTimeFormat(locale, { timeZone: 'UTC', dateStyle: 'short' }).format(ms);
}

/** A number with the report's precision in the user's format; null is a dash. */
export function formatValue(value: number | string | null | undefined, locale: Locale): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 4 }).format(value);
}

export function formatPercent(value: number | null | undefined, locale: Locale): string {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(
    value,
  );
}

/** The user's half of a `{ es, en }` message. */
export const inLocale = (message: { es: string; en: string }, locale: Locale) =>
  locale === 'en' ? message.en : message.es;
