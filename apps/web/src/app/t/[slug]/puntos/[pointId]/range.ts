/**
 * The time range of the point page, kept in the URL (`?v=<variable>&rango=24h` or
 * `&desde=…&hasta=…`): presets, a custom range typed as Bogotá local time, and zoom and
 * pan as new ranges. Pure functions, shared by the server page and the client views.
 */
export const SLOT_MS = 10 * 60_000;
const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
/** The longest range the series API serves (series.slots). */
export const MAX_RANGE_MS = 92 * DAY_MS;
const MIN_RANGE_MS = HOUR_MS;
const BOGOTA_OFFSET_MS = -5 * HOUR_MS;

export const PRESETS = { '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS } as const;
export type Preset = keyof typeof PRESETS;

export interface ChosenRange {
  from: number;
  to: number;
  preset: Preset | null;
}

type Param = string | string[] | undefined;
const first = (value: Param) => (Array.isArray(value) ? value[0] : value);

/** An instant from the URL: ISO 8601, or `2026-11-27T06:00` read as Bogotá time. */
export function parseInstant(value: string | undefined): number | null {
  if (!value) return null;
  const local = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value);
  const ms = Date.parse(local ? `${value.length === 16 ? `${value}:00` : value}-05:00` : value);
  if (!Number.isFinite(ms)) return null;
  const year = new Date(ms).getUTCFullYear();
  return year >= 2000 && year <= 2100 ? ms : null;
}

/** `2026-11-27T06:00` in Bogotá: what a datetime-local input shows. */
export function toLocalInput(ms: number): string {
  return new Date(ms + BOGOTA_OFFSET_MS).toISOString().slice(0, 16);
}

const slotCeil = (ms: number) => Math.ceil(ms / SLOT_MS) * SLOT_MS;

export function chooseRange(
  params: { rango?: Param; desde?: Param; hasta?: Param },
  nowMs: number,
): ChosenRange {
  const from = parseInstant(first(params.desde));
  const to = parseInstant(first(params.hasta));
  if (from !== null && to !== null && to > from)
    return { from: Math.max(from, to - MAX_RANGE_MS), to, preset: null };
  const wanted = first(params.rango);
  const preset: Preset = wanted && wanted in PRESETS ? (wanted as Preset) : '24h';
  const end = slotCeil(nowMs);
  return { from: end - PRESETS[preset], to: end, preset };
}

/** Half the span around the same centre (not below an hour). */
export function zoomIn(range: ChosenRange): ChosenRange {
  const span = Math.max(MIN_RANGE_MS, (range.to - range.from) / 2);
  const centre = (range.from + range.to) / 2;
  return { from: Math.round(centre - span / 2), to: Math.round(centre + span / 2), preset: null };
}

/** Twice the span around the same centre (not beyond the longest range, nor the future). */
export function zoomOut(range: ChosenRange, nowMs: number): ChosenRange {
  const span = Math.min(MAX_RANGE_MS, (range.to - range.from) * 2);
  const centre = (range.from + range.to) / 2;
  const to = Math.min(slotCeil(nowMs), Math.round(centre + span / 2));
  return { from: to - span, to, preset: null };
}

/** The range moved by half its span, earlier (−1) or later (+1; never past now). */
export function pan(range: ChosenRange, direction: -1 | 1, nowMs: number): ChosenRange {
  const span = range.to - range.from;
  const to = Math.min(slotCeil(nowMs), range.to + (direction * span) / 2);
  return { from: to - span, to, preset: null };
}

/** The page's URL for a variable and a range. */
export function pointHref(
  base: string,
  variableId: string | null,
  range: Pick<ChosenRange, 'from' | 'to'> & { preset?: Preset | null },
): string {
  const query = new URLSearchParams();
  if (variableId) query.set('v', variableId);
  if (range.preset) query.set('rango', range.preset);
  else {
    query.set('desde', new Date(range.from).toISOString());
    query.set('hasta', new Date(range.to).toISOString());
  }
  return `${base}?${query.toString()}`;
}
