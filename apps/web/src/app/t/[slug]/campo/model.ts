import type { inferRouterOutputs } from '@trpc/server';
import type { PointKind } from '@anh/domain/tenancy';
import type { AppRouter } from '~/server/trpc/root';
import type { FieldPointState } from '~/server/trpc/routers/field';

/**
 * What the field page shows, shaped the same whether it came from the server render or
 * from a tRPC query made by the phone later (maybe answered by the service worker's copy).
 */
export type FieldOverview = inferRouterOutputs<AppRouter>['field']['overview'];

export interface FieldPoint {
  id: string;
  code: string;
  name: string;
  kind: PointKind;
  siteId: string;
  siteCode: string;
  state: FieldPointState;
}

export interface FieldAlert {
  id: string;
  severity: string;
  /** `español / English` as raised; the page shows the reader's half. */
  message: string;
  raisedAt: number;
  occurrences: number;
  acknowledgedAt: number | null;
  comment: string | null;
}

export interface FieldData {
  asOf: number;
  sites: Array<{ id: string; code: string; name: string }>;
  points: FieldPoint[];
  alerts: FieldAlert[];
}

const ms = (value: unknown): number | null =>
  value instanceof Date
    ? value.getTime()
    : typeof value === 'string' || typeof value === 'number'
      ? new Date(value).getTime()
      : null;

/** `field.overview({ last: true })` and `anomalies.alerts` → the page's data. */
export function fieldData(
  overview: FieldOverview,
  alerts: Array<Record<string, unknown>>,
): FieldData {
  return {
    asOf: overview.asOf,
    sites: overview.sites.map((s) => ({ id: s.id, code: s.code, name: s.name })),
    points: overview.sites.flatMap((site) =>
      site.points.flatMap((p) =>
        p.state
          ? [
              {
                id: p.id,
                code: p.code,
                name: p.name,
                kind: p.kind,
                siteId: site.id,
                siteCode: site.code,
                state: p.state,
              },
            ]
          : [],
      ),
    ),
    alerts: alerts.map((a) => ({
      id: String(a.id),
      severity: String(a.severity),
      message: String(a.message),
      raisedAt: ms(a.raisedAt) ?? 0,
      occurrences: Number(a.occurrences ?? 1),
      acknowledgedAt: ms(a.acknowledgedAt),
      comment: typeof a.acknowledgeComment === 'string' ? a.acknowledgeComment : null,
    })),
  };
}

/**
 * How late data may be before the point shows "data late": a well's connector reports
 * every minute, so an hour is already long; tanks are often gauged by hand once a day.
 */
const STALE_AFTER_MS: Partial<Record<PointKind, number>> = {
  well: 3600_000,
  tank: 26 * 3600_000,
};

export type PointStatus = 'alert' | 'noData' | 'stale' | 'ok';

export function pointStatus(point: FieldPoint, nowMs: number): PointStatus {
  const { state } = point;
  if (state.openAlerts > 0 && state.worstSeverity !== 'info') return 'alert';
  if (state.lastDataAt === null) return 'noData';
  if (nowMs - state.lastDataAt > (STALE_AFTER_MS[point.kind] ?? 3600_000)) return 'stale';
  return 'ok';
}

export const MANUAL_KINDS = ['tank_gauging', 'lab_bsw', 'meter_ticket', 'other'] as const;
export type ManualKind = (typeof MANUAL_KINDS)[number];

/** Which variables a kind of manual reading is about (first choice in the form). */
export function suits(kind: ManualKind, code: string): boolean {
  switch (kind) {
    case 'tank_gauging':
      return code.startsWith('tank_') && !code.endsWith('_bsw');
    case 'lab_bsw':
      return code.endsWith('_bsw');
    case 'meter_ticket':
      return code.includes('totalizer') || code.endsWith('_volume');
    default:
      return true;
  }
}

/** Points that have a variable for this kind of reading (all points when none has). */
export function pointsFor(kind: ManualKind, points: FieldPoint[]): FieldPoint[] {
  const fitting = points.filter((p) => p.state.variables.some((v) => suits(kind, v.code)));
  return fitting.length > 0 ? fitting : points;
}

/** Bogotá has no daylight saving time: always UTC−5. */
const BOGOTA_OFFSET = '-05:00';

/** `2026-11-28T14:30` as typed in a datetime-local field, read as Bogotá time → ISO 8601. */
export function bogotaInputToIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const withSeconds = value.length === 16 ? `${value}:00` : value;
  const ms = Date.parse(`${withSeconds}${BOGOTA_OFFSET}`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** An instant as a datetime-local value in Bogotá time (minutes). */
export function isoToBogotaInput(ms: number): string {
  return new Date(ms - 5 * 3600_000).toISOString().slice(0, 16);
}
