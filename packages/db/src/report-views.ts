import type pg from 'pg';

/**
 * Read-only views of a tenant's stored daily reports for people: the list with each
 * report's delivery state, one report with its receipts, the versions of its day and its
 * neighbours in the hash chain. Every function takes the tenant's own client (inside
 * `withTenantClient`): nothing here can name another tenant.
 */

/**
 * delivered: the server has it (verified). superseded: not delivered, and a newer version
 * of the same day and field exists (it goes instead). failed: the last attempt failed.
 * pending: not delivered and not tried yet (or held for a correction).
 */
export const REPORT_STATES = ['delivered', 'pending', 'failed', 'superseded'] as const;
export type ReportState = (typeof REPORT_STATES)[number];

export interface ReportListFilters {
  siteId?: string | null;
  /** Bogotá days, inclusive. */
  from?: string | null;
  to?: string | null;
  /** A delivery state, or `blocking`: reports with blocking validation errors. */
  state?: ReportState | 'blocking' | null;
  limit: number;
  offset: number;
}

export interface ReportListRow {
  id: string;
  day: string;
  siteId: string;
  siteCode: string;
  siteName: string;
  version: number;
  sha256: string;
  fileName: string;
  blockingErrors: number;
  warnings: number;
  amendmentReason: string | null;
  builtAt: Date;
  deliveredAt: Date | null;
  state: ReportState;
  attempts: number;
  lastAttempt: { outcome: string; at: Date; error: string | null } | null;
}

const STATE_SQL = `CASE WHEN r.delivered_at IS NOT NULL THEN 'delivered'
         WHEN EXISTS (SELECT 1 FROM reports n WHERE n.site_id = r.site_id AND n.day = r.day
                        AND n.version > r.version) THEN 'superseded'
         WHEN la.outcome = 'failed' THEN 'failed'
         ELSE 'pending' END`;

const LIST_COLUMNS = `r.id, to_char(r.day, 'YYYY-MM-DD') AS day, r.site_id, s.code AS site_code,
       s.name AS site_name, r.version, r.sha256, r.file_name, r.blocking_errors, r.warnings,
       r.amendment_reason, r.built_at, r.delivered_at, ${STATE_SQL} AS state,
       coalesce(la.attempts, 0)::int AS attempts, la.outcome AS last_outcome,
       la.finished_at AS last_at, la.error AS last_error`;

const LAST_ATTEMPT = `LEFT JOIN LATERAL (
         SELECT d.outcome, d.finished_at, d.error, count(*) OVER () AS attempts
           FROM report_deliveries d WHERE d.report_id = r.id ORDER BY d.id DESC LIMIT 1
       ) la ON true`;

interface ListRow {
  id: string;
  day: string;
  site_id: string;
  site_code: string;
  site_name: string;
  version: number;
  sha256: string;
  file_name: string;
  blocking_errors: number;
  warnings: number;
  amendment_reason: string | null;
  built_at: Date;
  delivered_at: Date | null;
  state: ReportState;
  attempts: number;
  last_outcome: string | null;
  last_at: Date | null;
  last_error: string | null;
}

function listRow(r: ListRow): ReportListRow {
  return {
    id: r.id,
    day: r.day,
    siteId: r.site_id,
    siteCode: r.site_code,
    siteName: r.site_name,
    version: r.version,
    sha256: r.sha256,
    fileName: r.file_name,
    blockingErrors: r.blocking_errors,
    warnings: r.warnings,
    amendmentReason: r.amendment_reason,
    builtAt: r.built_at,
    deliveredAt: r.delivered_at,
    state: r.state,
    attempts: r.attempts,
    lastAttempt:
      r.last_outcome && r.last_at
        ? { outcome: r.last_outcome, at: r.last_at, error: r.last_error }
        : null,
  };
}

/** Newest day first, then field code, then newest version; `limit + 1` tells if there is more. */
export async function listReports(
  client: pg.ClientBase,
  filters: ReportListFilters,
): Promise<{ items: ReportListRow[]; hasMore: boolean }> {
  const state = filters.state ?? null;
  const { rows } = await client.query<ListRow>(
    `SELECT * FROM (
       SELECT ${LIST_COLUMNS}, s.code AS sort_code
         FROM reports r JOIN sites s ON s.id = r.site_id ${LAST_ATTEMPT}
        WHERE ($1::uuid IS NULL OR r.site_id = $1)
          AND ($2::date IS NULL OR r.day >= $2)
          AND ($3::date IS NULL OR r.day <= $3)
     ) x
     WHERE ($4::text IS NULL OR ($4 = 'blocking' AND x.blocking_errors > 0) OR x.state = $4)
     ORDER BY x.day DESC, x.sort_code, x.version DESC
     LIMIT $5 OFFSET $6`,
    [
      filters.siteId ?? null,
      filters.from ?? null,
      filters.to ?? null,
      state,
      filters.limit + 1,
      filters.offset,
    ],
  );
  return { items: rows.slice(0, filters.limit).map(listRow), hasMore: rows.length > filters.limit };
}

export interface StoredReportRow extends ReportListRow {
  chainSeq: number;
  previousSha256: string | null;
  amendedBy: string | null;
  /** The canonical JSON exactly as stored and delivered. */
  content: string;
}

export async function loadReport(
  client: pg.ClientBase,
  reportId: string,
): Promise<StoredReportRow | null> {
  const { rows } = await client.query<
    ListRow & {
      chain_seq: string;
      previous_sha256: string | null;
      amended_by: string | null;
      content: string;
    }
  >(
    `SELECT ${LIST_COLUMNS}, r.chain_seq, r.previous_sha256, r.amended_by, r.content
       FROM reports r JOIN sites s ON s.id = r.site_id ${LAST_ATTEMPT}
      WHERE r.id = $1`,
    [reportId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    ...listRow(row),
    chainSeq: Number(row.chain_seq),
    previousSha256: row.previous_sha256,
    amendedBy: row.amended_by,
    content: row.content,
  };
}

/** Just what a download needs: the file name and the stored bytes. */
export async function loadReportFile(
  client: pg.ClientBase,
  reportId: string,
): Promise<{ fileName: string; content: string } | null> {
  const { rows } = await client.query<{ file_name: string; content: string }>(
    'SELECT file_name, content FROM reports WHERE id = $1',
    [reportId],
  );
  return rows[0] ? { fileName: rows[0].file_name, content: rows[0].content } : null;
}

export interface DeliveryReceipt {
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  outcome: 'verified' | 'failed' | 'already_there';
  host: string;
  remotePath: string;
  bytes: number | null;
  readBackSha256: string | null;
  replies: Array<{ step: string; code: number | null; message: string }>;
  error: string | null;
}

/** Every delivery attempt of a report, first attempt first. */
export async function reportDeliveries(
  client: pg.ClientBase,
  reportId: string,
): Promise<DeliveryReceipt[]> {
  const { rows } = await client.query<{
    started_at: Date;
    finished_at: Date;
    outcome: DeliveryReceipt['outcome'];
    host: string;
    remote_path: string;
    bytes: number | null;
    read_back_sha256: string | null;
    replies: unknown;
    error: string | null;
  }>(
    `SELECT started_at, finished_at, outcome, host, remote_path, bytes, read_back_sha256,
            replies, error
       FROM report_deliveries WHERE report_id = $1 ORDER BY id`,
    [reportId],
  );
  return rows.map((r, i) => ({
    attempt: i + 1,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    outcome: r.outcome,
    host: r.host,
    remotePath: r.remote_path,
    bytes: r.bytes,
    readBackSha256: r.read_back_sha256,
    replies: Array.isArray(r.replies) ? (r.replies as DeliveryReceipt['replies']) : [],
    error: r.error,
  }));
}

export interface ReportVersion {
  id: string;
  version: number;
  sha256: string;
  builtAt: Date;
  deliveredAt: Date | null;
  amendmentReason: string | null;
  blockingErrors: number;
}

/** The versions of one day and field, oldest first. */
export async function reportVersions(
  client: pg.ClientBase,
  siteId: string,
  day: string,
): Promise<ReportVersion[]> {
  const { rows } = await client.query<{
    id: string;
    version: number;
    sha256: string;
    built_at: Date;
    delivered_at: Date | null;
    amendment_reason: string | null;
    blocking_errors: number;
  }>(
    `SELECT id, version, sha256, built_at, delivered_at, amendment_reason, blocking_errors
       FROM reports WHERE site_id = $1 AND day = $2 ORDER BY version`,
    [siteId, day],
  );
  return rows.map((r) => ({
    id: r.id,
    version: r.version,
    sha256: r.sha256,
    builtAt: r.built_at,
    deliveredAt: r.delivered_at,
    amendmentReason: r.amendment_reason,
    blockingErrors: r.blocking_errors,
  }));
}

export interface ChainNeighbour {
  id: string;
  day: string;
  version: number;
  sha256: string;
  previousSha256: string | null;
}

/** The reports just before and just after one in its field's hash chain (build order). */
export async function chainNeighbours(
  client: pg.ClientBase,
  siteId: string,
  chainSeq: number,
): Promise<{ previous: ChainNeighbour | null; next: ChainNeighbour | null }> {
  const { rows } = await client.query<{
    side: 'previous' | 'next';
    id: string;
    day: string;
    version: number;
    sha256: string;
    previous_sha256: string | null;
  }>(
    `(SELECT 'previous' AS side, id, to_char(day, 'YYYY-MM-DD') AS day, version, sha256, previous_sha256
        FROM reports WHERE site_id = $1 AND chain_seq < $2 ORDER BY chain_seq DESC LIMIT 1)
     UNION ALL
     (SELECT 'next' AS side, id, to_char(day, 'YYYY-MM-DD') AS day, version, sha256, previous_sha256
        FROM reports WHERE site_id = $1 AND chain_seq > $2 ORDER BY chain_seq LIMIT 1)`,
    [siteId, chainSeq],
  );
  const of = (side: 'previous' | 'next'): ChainNeighbour | null => {
    const r = rows.find((row) => row.side === side);
    return r
      ? {
          id: r.id,
          day: r.day,
          version: r.version,
          sha256: r.sha256,
          previousSha256: r.previous_sha256,
        }
      : null;
  };
  return { previous: of('previous'), next: of('next') };
}

/** The fields of the tenant, for filters. */
export async function reportSites(
  client: pg.ClientBase,
): Promise<Array<{ id: string; code: string; name: string }>> {
  const { rows } = await client.query<{ id: string; code: string; name: string }>(
    'SELECT id, code, name FROM sites ORDER BY code',
  );
  return rows;
}

/** Two reports by id (either may be missing), with what a comparison needs. */
export async function loadReportPair(
  client: pg.ClientBase,
  ids: [string, string],
): Promise<Array<{ id: string; day: string; siteId: string; version: number; content: string }>> {
  const { rows } = await client.query<{
    id: string;
    day: string;
    site_id: string;
    version: number;
    content: string;
  }>(
    `SELECT id, to_char(day, 'YYYY-MM-DD') AS day, site_id, version, content
       FROM reports WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return rows.map((r) => ({
    id: r.id,
    day: r.day,
    siteId: r.site_id,
    version: r.version,
    content: r.content,
  }));
}
