import { AppError } from '../errors';
/**
 * The regulatory day: America/Bogota, UTC−5 all year (Colombia has no daylight saving
 * time since 1993), so a day is exactly 24 h and splits into 144 slots of 10 minutes.
 */
export const SLOT_MS = 10 * 60_000;
export const SLOTS_PER_DAY = 144;
export const BOGOTA_OFFSET_MS = -5 * 3600_000;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export type DayError = { kind: 'invalid_day'; day: string };

/** Start of a Bogotá calendar day ('2026-11-27') as epoch ms, or an error. */
export function bogotaDayStart(
  day: string,
): { ok: true; ms: number } | { ok: false; error: DayError } {
  const match = DAY_PATTERN.exec(day);
  if (!match) return { ok: false, error: { kind: 'invalid_day', day } };
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(y, m - 1, d) - BOGOTA_OFFSET_MS;
  const check = new Date(ms + BOGOTA_OFFSET_MS);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) {
    return { ok: false, error: { kind: 'invalid_day', day } };
  }
  return { ok: true, ms };
}

/** The Bogotá day an instant belongs to. */
export function bogotaDayOf(epochMs: number): string {
  return new Date(epochMs + BOGOTA_OFFSET_MS).toISOString().slice(0, 10);
}

/** The previous Bogotá day ('2026-11-28' → '2026-11-27'). */
export function previousBogotaDay(day: string): string {
  const start = bogotaDayStart(day);
  if (!start.ok) throw new AppError('VALIDATION', `invalid day ${day}`, { details: { day } });
  return bogotaDayOf(start.ms - 1);
}
