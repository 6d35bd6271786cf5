import type pg from 'pg';
import { canonicalJson } from '@anh/domain/canonical-json';
import { reportDigest, type DailyReport } from '@anh/domain/report';

/**
 * Checks every stored daily report of a tenant against its own bytes and its field's
 * hash chain, the way an auditor (or a restore) would: nothing is trusted but the stored
 * content. Per report, in build order (`chain_seq`) within its site:
 *  - the content is canonical JSON (re-serialising it gives the same bytes);
 *  - the SHA-256 recomputed from those bytes equals the stored `sha256` and the one the
 *    report states in `integrity.sha256`;
 *  - the `previous_sha256` column and the report's `integrity.previousReportSha256` are
 *    both the hash of the site's previous report (null for the first).
 * Takes the tenant's own client (search_path on its schema), so it reads one tenant only.
 */
export type ReportChainProblemKind =
  | 'not_json'
  | 'not_canonical'
  | 'hash_mismatch'
  | 'stated_hash_mismatch'
  | 'broken_link'
  | 'stated_link_mismatch';

export interface ReportChainProblem {
  reportId: string;
  siteId: string;
  chainSeq: number;
  day: string;
  version: number;
  kind: ReportChainProblemKind;
}

export interface SiteChain {
  siteId: string;
  reports: number;
  /** sha256 of the newest report in the chain. */
  head: string;
}

export interface ReportChainVerification {
  ok: boolean;
  reports: number;
  sites: SiteChain[];
  problems: ReportChainProblem[];
}

interface ReportRow {
  id: string;
  site_id: string;
  chain_seq: string;
  day: string;
  version: number;
  content: string;
  sha256: string;
  previous_sha256: string | null;
}

/** Reports are read in pages: one content can be a few hundred kilobytes. */
const PAGE = 200;

function checkReport(row: ReportRow, previous: string | null): ReportChainProblemKind[] {
  let parsed: DailyReport;
  try {
    parsed = JSON.parse(row.content) as DailyReport;
  } catch {
    return ['not_json'];
  }
  const problems: ReportChainProblemKind[] = [];
  let canonical: string | null = null;
  try {
    canonical = canonicalJson(parsed);
  } catch {
    canonical = null;
  }
  if (canonical !== row.content) problems.push('not_canonical');
  let digest: string | null = null;
  try {
    digest = reportDigest(parsed);
  } catch {
    digest = null;
  }
  if (digest !== row.sha256) problems.push('hash_mismatch');
  if (parsed.integrity?.sha256 !== row.sha256) problems.push('stated_hash_mismatch');
  if (row.previous_sha256 !== previous) problems.push('broken_link');
  if ((parsed.integrity?.previousReportSha256 ?? null) !== row.previous_sha256)
    problems.push('stated_link_mismatch');
  return problems;
}

export async function verifyReportChains(client: pg.ClientBase): Promise<ReportChainVerification> {
  const heads = new Map<string, SiteChain>();
  const problems: ReportChainProblem[] = [];
  let reports = 0;
  // Keyset paging over (site_id, chain_seq): the unique order in which chains were built.
  let after: { site: string; seq: string } | null = null;
  for (;;) {
    const page: pg.QueryResult<ReportRow> = await client.query<ReportRow>(
      `SELECT id, site_id, chain_seq, to_char(day, 'YYYY-MM-DD') AS day, version, content,
              sha256, previous_sha256
         FROM reports
        WHERE $1::uuid IS NULL OR (site_id, chain_seq) > ($1::uuid, $2::bigint)
        ORDER BY site_id, chain_seq
        LIMIT ${PAGE}`,
      [after?.site ?? null, after?.seq ?? null],
    );
    const rows = page.rows;
    for (const row of rows) {
      const site = heads.get(row.site_id);
      for (const kind of checkReport(row, site?.head ?? null)) {
        problems.push({
          reportId: row.id,
          siteId: row.site_id,
          chainSeq: Number(row.chain_seq),
          day: row.day,
          version: row.version,
          kind,
        });
      }
      heads.set(row.site_id, {
        siteId: row.site_id,
        reports: (site?.reports ?? 0) + 1,
        head: row.sha256,
      });
      reports++;
    }
    if (rows.length < PAGE) break;
    const last: ReportRow = rows[rows.length - 1]!;
    after = { site: last.site_id, seq: last.chain_seq };
  }
  return { ok: problems.length === 0, reports, sites: [...heads.values()], problems };
}
