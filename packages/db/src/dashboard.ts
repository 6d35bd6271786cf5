import type pg from 'pg';
import {
  bogotaDayOf,
  bogotaDayStart,
  previousBogotaDay,
  SLOT_MS,
  SLOTS_PER_DAY,
} from '@anh/domain/bogota-day';
import { variableByCode } from '@anh/domain/catalog';
import {
  closedSlots,
  dailyQuantity,
  fieldSourceOf,
  PRODUCTS,
  sumQuantities,
  WELL_SOURCES,
  type DailyQuantity,
  type DaySlotSums,
  type Product,
  type ProductionSource,
} from '@anh/domain/dashboard';
import { buildTimeOf, deadlineOf } from '@anh/domain/delivery-schedule';
import { AppError } from '@anh/domain/errors';
import { QUALITY_FLAGS, type QualityFlag } from '@anh/domain/rules';

/**
 * The dashboard's reads of one tenant (through a tenant-scoped client: `withTenantClient`).
 * Everything is computed from the stored 10-minute slots with a few grouped queries; the
 * quantities themselves come from `@anh/domain/dashboard`.
 */
export interface DashboardScope {
  /** One site, or the whole tenant. */
  siteId: string | null;
  nowMs: number;
}

interface ScopedVariable {
  id: string;
  code: string;
  unit: string;
  pointId: string;
  pointCode: string;
  pointName: string;
  pointKind: string;
  latitude: number | null;
  longitude: number | null;
  siteId: string;
  siteCode: string;
}

async function variablesInScope(
  client: pg.ClientBase,
  siteId: string | null,
): Promise<ScopedVariable[]> {
  if (siteId) {
    const site = await client.query('SELECT 1 FROM sites WHERE id = $1', [siteId]);
    if (site.rowCount === 0)
      throw new AppError('NOT_FOUND', 'Estación no encontrada / site not found');
  }
  const { rows } = await client.query<ScopedVariable>(
    `SELECT v.id, v.code, v.unit, p.id AS "pointId", p.code AS "pointCode", p.name AS "pointName",
            p.kind AS "pointKind", p.latitude, p.longitude, s.id AS "siteId", s.code AS "siteCode"
       FROM variables v
       JOIN measurement_points p ON p.id = v.point_id
       JOIN sites s ON s.id = p.site_id
      WHERE ($1::uuid IS NULL OR s.id = $1)
      ORDER BY s.code, p.code, v.code`,
    [siteId],
  );
  return rows;
}

function dayBounds(day: string): { start: number; end: number } {
  const start = bogotaDayStart(day);
  if (!start.ok) throw new AppError('VALIDATION', `invalid day ${day}`);
  return { start: start.ms, end: start.ms + SLOTS_PER_DAY * SLOT_MS };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The slots of `$1` (variable ids) in [`$2`, `$3`) as the daily report reads them: the
 * corrections in force laid over the stored slots (a totalizer's correction replaces its
 * delta, any other's its mean; flag S for a substitution, E for an estimate; a corrected
 * slot that had no data keeps completeness 0). `$4`: the ids that are totalizers. The same
 * rule as `applyCorrections` in @anh/domain, so the dashboard and the report agree.
 */
const REPORTED_SLOTS = `(
  SELECT coalesce(s.variable_id, c.variable_id) AS variable_id,
         coalesce(s.slot_start, c.slot_start) AS slot_start,
         CASE WHEN c.id IS NULL OR c.variable_id = ANY($4) THEN s.mean ELSE c.value END AS mean,
         CASE WHEN c.id IS NOT NULL AND c.variable_id = ANY($4) THEN c.value ELSE s.delta END AS delta,
         coalesce(s.completeness, 0) AS completeness,
         CASE WHEN c.id IS NULL THEN s.flag WHEN c.method = 'substitute' THEN 'S' ELSE 'E' END AS flag
    FROM (SELECT * FROM slots WHERE variable_id = ANY($1) AND slot_start >= $2 AND slot_start < $3) s
    FULL JOIN (SELECT * FROM slot_corrections
                WHERE superseded_at IS NULL AND variable_id = ANY($1) AND slot_start >= $2 AND slot_start < $3) c
      ON c.variable_id = s.variable_id AND c.slot_start = s.slot_start
) AS reported`;

function totalizerIds(variables: readonly ScopedVariable[]): string[] {
  return variables.filter((v) => variableByCode(v.code)?.kind === 'totalizer').map((v) => v.id);
}

/** Σ per variable and day over closed slots: what `dailyQuantity` needs. */
async function daySums(
  client: pg.ClientBase,
  variables: readonly ScopedVariable[],
  fromMs: number,
  toMs: number,
): Promise<Map<string, DaySlotSums>> {
  const sums = new Map<string, DaySlotSums>();
  if (variables.length === 0 || toMs <= fromMs) return sums;
  const { rows } = await client.query<{
    variable_id: string;
    day: string;
    mean_slots: number;
    sum_mean: number | null;
    delta_slots: number;
    sum_delta: number | null;
    last_delta_ms: number | null;
  }>(
    `SELECT variable_id, to_char(slot_start AT TIME ZONE 'America/Bogota', 'YYYY-MM-DD') AS day,
            count(mean)::int AS mean_slots, sum(mean) AS sum_mean,
            count(delta)::int AS delta_slots, sum(delta) AS sum_delta,
            (extract(epoch from max(slot_start) FILTER (WHERE delta IS NOT NULL)) * 1000)::float8 AS last_delta_ms
       FROM ${REPORTED_SLOTS}
      GROUP BY 1, 2`,
    [variables.map((v) => v.id), iso(fromMs), iso(toMs), totalizerIds(variables)],
  );
  for (const r of rows) {
    const dayStart = dayBounds(r.day).start;
    sums.set(`${r.variable_id}|${r.day}`, {
      meanSlots: r.mean_slots,
      sumMean: r.sum_mean ?? 0,
      deltaSlots: r.delta_slots,
      sumDelta: r.sum_delta ?? 0,
      lastDeltaSlot:
        r.last_delta_ms === null
          ? null
          : Math.floor((Number(r.last_delta_ms) - dayStart) / SLOT_MS),
    });
  }
  return sums;
}

export interface ProductionLine {
  product: Product;
  source: ProductionSource | null;
  /** Points the source was read at (e.g. the fiscal meter LACT-01). */
  points: string[];
  today: DailyQuantity;
  yesterday: DailyQuantity;
}

export interface WellRow {
  id: string;
  code: string;
  name: string;
  siteCode: string;
  /** Average rates per product, today so far and yesterday (bbl/d, kscf/d). */
  today: Record<Product, number | null>;
  yesterday: Record<Product, number | null>;
  /** Share of today's closed slots with data, over the well's variables. */
  completeness: number;
  lastDataAt: number | null;
  /** Last value of `well_status` (1 open, 0 shut); null when not measured. */
  open: number | null;
  latitude: number | null;
  longitude: number | null;
}

export interface Gauge {
  point: string;
  code: string;
  unit: string;
  value: number | null;
  at: number | null;
  typical: readonly [number, number];
  physical: readonly [number, number];
}

export interface SubmissionDay {
  day: string;
  sites: number;
  delivered: number;
  blocking: number;
  /** The latest version's state per site, worst first. */
  state: 'delivered' | 'late' | 'failed' | 'pending' | 'missing';
  deliveredAt: number | null;
  deadline: number;
}

export interface DashboardData {
  day: string;
  yesterday: string;
  asOf: number;
  elapsedSlots: number;
  sites: Array<{
    id: string;
    code: string;
    name: string;
    fieldName: string;
    latitude: number | null;
    longitude: number | null;
  }>;
  production: ProductionLine[];
  wells: WellRow[];
  quality: {
    variables: number;
    expectedSlots: number;
    completeness: number;
    slotsByFlag: Record<QualityFlag, number>;
  };
  alerts: {
    bySeverity: Record<'critical' | 'warning' | 'info', number>;
    latest: Array<{
      id: string;
      kind: string;
      severity: string;
      message: string;
      raisedAt: number;
      occurrences: number;
    }>;
  };
  submissions: {
    nextDay: string;
    nextBuildAt: number;
    nextDeadlineAt: number;
    days: SubmissionDay[];
  };
  trend: { slotStarts: number[]; series: Record<Product, Array<number | null>> };
  gauges: Gauge[];
}

const PRESSURE_GAUGES = [
  'separator_pressure',
  'fiscal_pressure',
  'gas_static_pressure',
  'tubing_head_pressure',
];

export async function loadDashboard(
  client: pg.ClientBase,
  scope: DashboardScope,
): Promise<DashboardData> {
  const day = bogotaDayOf(scope.nowMs);
  const yesterday = previousBogotaDay(day);
  const todayBounds = dayBounds(day);
  const elapsedSlots = closedSlots(todayBounds.start, scope.nowMs);
  const closedEnd = todayBounds.start + elapsedSlots * SLOT_MS;
  const yesterdayStart = dayBounds(yesterday).start;

  // One connection answers one query at a time: the reads run in turn.
  const variables = await variablesInScope(client, scope.siteId);
  const sites = await client.query<DashboardData['sites'][number]>(
    `SELECT id, code, name, field_name AS "fieldName", latitude, longitude FROM sites
      WHERE ($1::uuid IS NULL OR id = $1) ORDER BY code`,
    [scope.siteId],
  );

  // Production: the field's chosen source per product, and every well's rates.
  const codes = new Set(variables.map((v) => v.code));
  const sources = new Map(PRODUCTS.map((p) => [p, fieldSourceOf(p, codes)] as const));
  const wellRateCodes = new Set(Object.values(WELL_SOURCES).map((s) => s.code));
  const productionVariables = variables.filter(
    (v) => [...sources.values()].some((s) => s?.code === v.code) || wellRateCodes.has(v.code),
  );
  const sums = await daySums(client, productionVariables, yesterdayStart, closedEnd);
  const quantityOf = (v: ScopedVariable, kind: ProductionSource['kind'], d: string) =>
    dailyQuantity(kind, sums.get(`${v.id}|${d}`), d === day ? elapsedSlots : SLOTS_PER_DAY);

  const production: ProductionLine[] = PRODUCTS.map((product) => {
    const source = sources.get(product) ?? null;
    const at = source ? variables.filter((v) => v.code === source.code) : [];
    return {
      product,
      source,
      points: at.map((v) => v.pointCode),
      today: sumQuantities(
        at.map((v) => quantityOf(v, source!.kind, day)),
        elapsedSlots,
      ),
      yesterday: sumQuantities(
        at.map((v) => quantityOf(v, source!.kind, yesterday)),
        SLOTS_PER_DAY,
      ),
    };
  });

  // Quality of today's closed slots, per variable (for wells) and overall.
  const quality = await client.query<{
    variable_id: string;
    flag: QualityFlag;
    n: number;
    completeness: number;
    last_ms: number;
  }>(
    `SELECT variable_id, flag, count(*)::int AS n, sum(completeness)::float8 AS completeness,
            (extract(epoch from max(slot_start)) * 1000)::float8 AS last_ms
       FROM ${REPORTED_SLOTS}
      GROUP BY 1, 2`,
    [variables.map((v) => v.id), iso(todayBounds.start), iso(closedEnd), totalizerIds(variables)],
  );
  const slotsByFlag = Object.fromEntries(QUALITY_FLAGS.map((f) => [f, 0])) as Record<
    QualityFlag,
    number
  >;
  const perVariable = new Map<string, { completeness: number; last: number | null }>();
  let stored = 0;
  let completenessSum = 0;
  for (const r of quality.rows) {
    slotsByFlag[r.flag] += r.n;
    stored += r.n;
    completenessSum += r.completeness;
    const seen = perVariable.get(r.variable_id) ?? { completeness: 0, last: null };
    seen.completeness += r.completeness;
    seen.last = Math.max(seen.last ?? 0, Number(r.last_ms));
    perVariable.set(r.variable_id, seen);
  }
  const expectedSlots = variables.length * elapsedSlots;
  slotsByFlag.M += Math.max(0, expectedSlots - stored); // a slot never stored is missing

  // Last values: well status and the pressure gauges.
  const lastOf = await client.query<{ variable_id: string; mean: number | null; at_ms: number }>(
    // One backwards index probe per variable (slots_pk), not a sort of two days of slots.
    `SELECT v.id AS variable_id, l.mean, l.at_ms
       FROM unnest($1::uuid[]) AS v(id)
       CROSS JOIN LATERAL (
         SELECT mean, (extract(epoch from slot_start) * 1000)::float8 AS at_ms
           FROM slots
          WHERE variable_id = v.id AND slot_start >= $2 AND slot_start < $3 AND mean IS NOT NULL
          ORDER BY slot_start DESC LIMIT 1) l`,
    [
      variables
        .filter((v) => v.code === 'well_status' || PRESSURE_GAUGES.includes(v.code))
        .map((v) => v.id),
      iso(yesterdayStart),
      iso(closedEnd),
    ],
  );
  const last = new Map(
    lastOf.rows.map((r) => [r.variable_id, { value: r.mean, at: Number(r.at_ms) }]),
  );

  const wells: WellRow[] = [];
  const byPoint = new Map<string, ScopedVariable[]>();
  for (const v of variables) byPoint.set(v.pointId, [...(byPoint.get(v.pointId) ?? []), v]);
  for (const [pointId, vars] of byPoint) {
    const first = vars[0]!;
    if (first.pointKind !== 'well') continue;
    const rates = (d: string) =>
      Object.fromEntries(
        PRODUCTS.map((p) => {
          const v = vars.find((x) => x.code === WELL_SOURCES[p].code);
          return [p, v ? quantityOf(v, 'rate', d).rate : null];
        }),
      ) as Record<Product, number | null>;
    const status = vars.find((v) => v.code === 'well_status');
    const seen = vars.map((v) => perVariable.get(v.id));
    wells.push({
      id: pointId,
      code: first.pointCode,
      name: first.pointName,
      siteCode: first.siteCode,
      today: rates(day),
      yesterday: rates(yesterday),
      completeness: elapsedSlots
        ? seen.reduce((s, x) => s + (x?.completeness ?? 0), 0) / (vars.length * elapsedSlots)
        : 0,
      lastDataAt: seen.reduce<number | null>(
        (m, x) => (x?.last ? Math.max(m ?? 0, x.last) : m),
        null,
      ),
      open: status ? (last.get(status.id)?.value ?? null) : null,
      latitude: first.latitude,
      longitude: first.longitude,
    });
  }

  const gauges: Gauge[] = variables
    .filter((v) => PRESSURE_GAUGES.includes(v.code) && v.pointKind !== 'well')
    .map((v) => {
      const definition = variableByCode(v.code)!;
      const value = last.get(v.id);
      return {
        point: v.pointCode,
        code: v.code,
        unit: definition.canonicalUnit,
        value: value?.value ?? null,
        at: value?.at ?? null,
        typical: definition.typicalRange,
        physical: definition.physicalRange,
      };
    });

  const alerts = await loadAlertSummary(client);
  const submissions = await loadSubmissions(client, scope, day);
  const trend = await loadTrend(client, variables, sources, closedEnd);

  return {
    day,
    yesterday,
    asOf: scope.nowMs,
    elapsedSlots,
    sites: sites.rows,
    production,
    wells,
    quality: {
      variables: variables.length,
      expectedSlots,
      completeness: expectedSlots ? completenessSum / expectedSlots : 0,
      slotsByFlag,
    },
    alerts,
    submissions,
    trend,
    gauges,
  };
}

async function loadAlertSummary(client: pg.ClientBase): Promise<DashboardData['alerts']> {
  const { rows } = await client.query<{
    id: string;
    kind: string;
    severity: 'critical' | 'warning' | 'info';
    message: string;
    raised_ms: number;
    occurrences: number;
    open_by_severity: number;
  }>(
    `SELECT id, kind, severity, message, (extract(epoch from raised_at) * 1000)::float8 AS raised_ms,
            occurrences, count(*) OVER (PARTITION BY severity)::int AS open_by_severity
       FROM alerts WHERE resolved_at IS NULL
      ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, raised_at DESC`,
  );
  const bySeverity = { critical: 0, warning: 0, info: 0 };
  for (const r of rows) bySeverity[r.severity] = r.open_by_severity;
  return {
    bySeverity,
    latest: rows.slice(0, 5).map((r) => ({
      id: r.id,
      kind: r.kind,
      severity: r.severity,
      message: r.message,
      raisedAt: Number(r.raised_ms),
      occurrences: r.occurrences,
    })),
  };
}

/** The last 30 reportable days: per day, the latest version of each site's report. */
async function loadSubmissions(
  client: pg.ClientBase,
  scope: DashboardScope,
  today: string,
): Promise<DashboardData['submissions']> {
  const yesterday = previousBogotaDay(today);
  const nextDay = scope.nowMs < buildTimeOf(yesterday) ? yesterday : today;
  const days: string[] = [];
  for (let d = previousBogotaDay(nextDay), i = 0; i < 30; i++, d = previousBogotaDay(d))
    days.push(d);
  const { rows } = await client.query<{
    day: string;
    sites: number;
    delivered: number;
    blocking: number;
    failed: number;
    delivered_ms: number | null;
  }>(
    `WITH latest AS (
       SELECT DISTINCT ON (r.day, r.site_id) r.id, r.day, r.site_id, r.delivered_at, r.blocking_errors
         FROM reports r
        WHERE r.day >= $1::date AND r.day <= $2::date AND ($3::uuid IS NULL OR r.site_id = $3)
        ORDER BY r.day, r.site_id, r.version DESC)
     SELECT to_char(l.day, 'YYYY-MM-DD') AS day, count(*)::int AS sites,
            count(l.delivered_at)::int AS delivered,
            count(*) FILTER (WHERE l.blocking_errors > 0)::int AS blocking,
            count(*) FILTER (WHERE l.delivered_at IS NULL AND EXISTS (
              SELECT 1 FROM report_deliveries d WHERE d.report_id = l.id AND d.outcome = 'failed'))::int AS failed,
            (extract(epoch from max(l.delivered_at)) * 1000)::float8 AS delivered_ms
       FROM latest l GROUP BY l.day`,
    [days[days.length - 1], days[0], scope.siteId],
  );
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return {
    nextDay,
    nextBuildAt: buildTimeOf(nextDay),
    nextDeadlineAt: deadlineOf(nextDay),
    days: days.map((d) => {
      const r = byDay.get(d);
      const deadline = deadlineOf(d);
      const deliveredAt = r?.delivered_ms == null ? null : Number(r.delivered_ms);
      const state: SubmissionDay['state'] = !r
        ? 'missing'
        : r.delivered === r.sites
          ? deliveredAt !== null && deliveredAt > deadline
            ? 'late'
            : 'delivered'
          : r.failed > 0
            ? 'failed'
            : 'pending';
      return {
        day: d,
        sites: r?.sites ?? 0,
        delivered: r?.delivered ?? 0,
        blocking: r?.blocking ?? 0,
        state,
        deliveredAt,
        deadline,
      };
    }),
  };
}

/** The last 24 hours of closed slots as rates per day, per product (Σ over points). */
async function loadTrend(
  client: pg.ClientBase,
  variables: readonly ScopedVariable[],
  sources: ReadonlyMap<Product, ProductionSource | null>,
  closedEnd: number,
): Promise<DashboardData['trend']> {
  const from = closedEnd - SLOTS_PER_DAY * SLOT_MS;
  const slotStarts = Array.from({ length: SLOTS_PER_DAY }, (_, k) => from + k * SLOT_MS);
  const series = Object.fromEntries(
    PRODUCTS.map((p) => [p, Array<number | null>(SLOTS_PER_DAY).fill(null)]),
  ) as Record<Product, Array<number | null>>;
  const productOf = new Map<string, { product: Product; kind: ProductionSource['kind'] }>();
  for (const [product, source] of sources)
    if (source)
      for (const v of variables)
        if (v.code === source.code) productOf.set(v.id, { product, kind: source.kind });
  if (productOf.size === 0) return { slotStarts, series };
  // The slot before the window gives the first delta's span (a delta that closes a gap
  // stands for every slot since the previous reading).
  const { rows } = await client.query<{
    variable_id: string;
    ms: number;
    mean: number | null;
    delta: number | null;
  }>(
    `SELECT variable_id, (extract(epoch from slot_start) * 1000)::float8 AS ms, mean, delta
       FROM ${REPORTED_SLOTS}
      ORDER BY variable_id, slot_start`,
    [
      [...productOf.keys()],
      iso(from - SLOTS_PER_DAY * SLOT_MS),
      iso(closedEnd),
      [...productOf].filter(([, p]) => p.kind === 'totalizer').map(([id]) => id),
    ],
  );
  let previous: { variable: string; ms: number } | null = null;
  for (const r of rows) {
    const ms = Number(r.ms);
    const { product, kind } = productOf.get(r.variable_id)!;
    const k = Math.round((ms - from) / SLOT_MS);
    let value: number | null = null;
    if (kind === 'rate') value = r.mean;
    else if (r.delta !== null) {
      const span =
        previous && previous.variable === r.variable_id
          ? Math.round((ms - previous.ms) / SLOT_MS)
          : 1;
      value = (r.delta * SLOTS_PER_DAY) / Math.max(1, span);
    }
    if (kind === 'totalizer' && r.delta !== null) previous = { variable: r.variable_id, ms };
    if (k < 0 || value === null) continue;
    series[product][k] = (series[product][k] ?? 0) + value;
  }
  return { slotStarts, series };
}

/** Completeness of each variable code (averaged over its points) in each slot of a day. */
export interface CompletenessHeatmap {
  day: string;
  elapsedSlots: number;
  rows: Array<{ code: string; points: number; slots: Array<number | null> }>;
}

export async function loadCompletenessHeatmap(
  client: pg.ClientBase,
  scope: DashboardScope & { day: string },
): Promise<CompletenessHeatmap> {
  const bounds = dayBounds(scope.day);
  const elapsedSlots =
    scope.day === bogotaDayOf(scope.nowMs)
      ? closedSlots(bounds.start, scope.nowMs)
      : bounds.start > scope.nowMs
        ? 0
        : SLOTS_PER_DAY;
  const variables = await variablesInScope(client, scope.siteId);
  const pointsOf = new Map<string, number>();
  for (const v of variables) pointsOf.set(v.code, (pointsOf.get(v.code) ?? 0) + 1);
  const { rows } = await client.query<{ code: string; k: number; completeness: number }>(
    `SELECT v.code, floor(extract(epoch from s.slot_start - $2::timestamptz) / 600)::int AS k,
            sum(s.completeness)::float8 AS completeness
       FROM slots s JOIN variables v ON v.id = s.variable_id
      WHERE s.variable_id = ANY($1) AND s.slot_start >= $2 AND s.slot_start < $3
      GROUP BY 1, 2`,
    [variables.map((v) => v.id), iso(bounds.start), iso(bounds.start + elapsedSlots * SLOT_MS)],
  );
  const cells = new Map<string, Array<number | null>>();
  for (const code of pointsOf.keys())
    cells.set(
      code,
      Array.from({ length: SLOTS_PER_DAY }, (_, k) => (k < elapsedSlots ? 0 : null)),
    );
  for (const r of rows) cells.get(r.code)![r.k] = r.completeness / pointsOf.get(r.code)!;
  return {
    day: scope.day,
    elapsedSlots,
    rows: [...cells].map(([code, slots]) => ({ code, points: pointsOf.get(code)!, slots })),
  };
}

/**
 * The field's daily volumes per product over the last `days` complete days (oldest
 * first): what the 7-day forecast is fitted on. A day with under half its time measured
 * is null (not measured), not a low value.
 */
export async function loadDailyProduction(
  client: pg.ClientBase,
  scope: DashboardScope & { days: number },
): Promise<Record<Product, Array<{ day: string; value: number | null }>>> {
  const today = bogotaDayOf(scope.nowMs);
  const days: string[] = [];
  for (let d = previousBogotaDay(today), i = 0; i < scope.days; i++, d = previousBogotaDay(d))
    days.unshift(d);
  const variables = await variablesInScope(client, scope.siteId);
  const codes = new Set(variables.map((v) => v.code));
  const result = {} as Record<Product, Array<{ day: string; value: number | null }>>;
  const sources = PRODUCTS.map((p) => [p, fieldSourceOf(p, codes)] as const);
  const measured = variables.filter((v) => sources.some(([, s]) => s?.code === v.code));
  const sums = await daySums(client, measured, dayBounds(days[0]!).start, dayBounds(today).start);
  for (const [product, source] of sources) {
    const at = source ? variables.filter((v) => v.code === source.code) : [];
    result[product] = days.map((d) => {
      const q = sumQuantities(
        at.map((v) => dailyQuantity(source!.kind, sums.get(`${v.id}|${d}`), SLOTS_PER_DAY)),
        SLOTS_PER_DAY,
      );
      // A rate's volume only counts covered time: with most of the day missing it would
      // read as a production drop.
      const enough = q.coveredSlots >= SLOTS_PER_DAY / 2;
      return {
        day: d,
        value: q.volume !== null && enough ? (source!.kind === 'rate' ? q.rate : q.volume) : null,
      };
    });
  }
  return result;
}
