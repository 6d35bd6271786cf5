import { bogotaDayOf, bogotaDayStart, previousBogotaDay } from '../aggregation/bogota-day';
import { AppError } from '../errors';

/**
 * The daily submission's clock, in Bogotá time (UTC−5, no daylight saving): the report of
 * day D is built at 06:00 of D+1 and must be delivered by 06:50 of D+1.
 */
export const BUILD_AT_MINUTES = 6 * 60;
export const DEADLINE_AT_MINUTES = 6 * 60 + 50;
const DAY_MS = 86_400_000;

function startOf(day: string): number {
  const start = bogotaDayStart(day);
  if (!start.ok) throw new AppError('VALIDATION', `invalid day ${day}`);
  return start.ms;
}

/** When the report of `day` is built (epoch ms): 06:00 Bogotá on the next day. */
export function buildTimeOf(day: string): number {
  return startOf(day) + DAY_MS + BUILD_AT_MINUTES * 60_000;
}

/** When the report of `day` must have been delivered (epoch ms): 06:50 Bogotá on the next day. */
export function deadlineOf(day: string): number {
  return startOf(day) + DAY_MS + DEADLINE_AT_MINUTES * 60_000;
}

/** The latest day whose report is due to be built at `nowMs` (yesterday once it is 06:00). */
export function latestReportableDay(nowMs: number): string {
  const today = bogotaDayOf(nowMs);
  const yesterday = previousBogotaDay(today);
  return nowMs >= buildTimeOf(yesterday) ? yesterday : previousBogotaDay(yesterday);
}

/** Days from `fromDay` to `toDay` inclusive, in order (at most `limit`). */
export function daysBetween(fromDay: string, toDay: string, limit = 400): string[] {
  const days: string[] = [];
  for (let t = startOf(fromDay); t <= startOf(toDay) && days.length < limit; t += DAY_MS)
    days.push(bogotaDayOf(t));
  return days;
}
