import { z } from 'zod';
import {
  chainNeighbours,
  listReports,
  loadReport,
  loadReportFile,
  loadReportPair,
  REPORT_STATES,
  reportDeliveries,
  reportSites,
  reportVersions,
} from '@anh/db/report-views';
import { ruleDefinition } from '@anh/domain/day-rules';
import { AppError } from '@anh/domain/errors';
import { reportDigest, type DailyReport, type ReportCheck } from '@anh/domain/report';
import { diffReports } from '@anh/domain/report-diff';
import { validateDailyReport, type ReportViolation } from '@anh/domain/report-validate';
import type { Severity } from '@anh/domain/rules';
import { createTRPCRouter, tenantProcedure } from '../init';
import { memberNames } from './audit';

/**
 * The stored daily reports, for people: the list with delivery states, one report with
 * its validation, receipts, chain link and versions, the stored file, and what changed
 * between two versions of a day. Read-only: corrections go through `delivery.amend`.
 */

// Reports exist from this product's first day; year 0000 is no PostgreSQL date.
const day = z.iso.date().refine((d) => d >= '2000-01-01' && d <= '2100-12-31', {
  message: 'Fecha fuera de rango / date out of range',
});

const NOT_FOUND = 'Informe no encontrado / report not found';

function parseContent(content: string): DailyReport | null {
  try {
    return JSON.parse(content) as DailyReport;
  } catch {
    return null;
  }
}

function severityOf(rule: string): Severity {
  try {
    return ruleDefinition(rule).severity;
  } catch {
    return 'error';
  }
}

/** The digest of the stored JSON, recomputed (null: not a report the digest can read). */
function recomputedDigest(report: DailyReport | null): string | null {
  try {
    return report ? reportDigest(report) : null;
  } catch {
    return null;
  }
}

export type CheckWithSeverity = ReportCheck & { severity: Severity };

export const reportsRouter = createTRPCRouter({
  /** Newest day first; filters by field, days, and delivery state or blocking errors. */
  list: tenantProcedure('reports.list')
    .input(
      z.object({
        siteId: z.uuid().nullish(),
        from: day.nullish(),
        to: day.nullish(),
        state: z.enum([...REPORT_STATES, 'blocking']).nullish(),
        limit: z.number().int().min(1).max(200).default(50),
        offset: z.number().int().min(0).max(1_000_000).default(0),
      }),
    )
    .query(({ ctx, input }) =>
      ctx.db.withTenantClient(ctx.tenant.id, async (client) => {
        const page = await listReports(client, {
          siteId: input.siteId ?? null,
          from: input.from ?? null,
          to: input.to ?? null,
          state: input.state ?? null,
          limit: input.limit,
          offset: input.offset,
        });
        return {
          ...page,
          nextOffset: page.hasMore ? input.offset + input.limit : null,
          sites: await reportSites(client),
        };
      }),
    ),

  /**
   * One report: its JSON, the validator run again on the stored bytes, its own checks,
   * balances and events, every delivery attempt, its link in the field's hash chain and
   * the versions of its day.
   */
  detail: tenantProcedure('reports.detail')
    .input(z.object({ reportId: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const loaded = await ctx.db.withTenantClient(ctx.tenant.id, async (client) => {
        const row = await loadReport(client, input.reportId);
        if (!row) return null;
        const [deliveries, versions, neighbours] = [
          await reportDeliveries(client, row.id),
          await reportVersions(client, row.siteId, row.day),
          await chainNeighbours(client, row.siteId, row.chainSeq),
        ];
        return { row, deliveries, versions, neighbours };
      });
      if (!loaded) throw new AppError('NOT_FOUND', NOT_FOUND);
      const { row, deliveries, versions, neighbours } = loaded;
      const { content: stored, chainSeq: _chainSeq, ...summary } = row;
      const report = parseContent(stored);
      const schema: { ok: boolean; violations: ReportViolation[] } = report
        ? validateDailyReport(report)
        : {
            ok: false,
            violations: [
              {
                path: '/',
                keyword: 'json',
                message: { es: 'el contenido no es JSON', en: 'the content is not JSON' },
              },
            ],
          };
      const checks: CheckWithSeverity[] = (report?.checks ?? []).map((check) => ({
        ...check,
        severity: severityOf(check.rule),
      }));
      const violations = checks.filter((c) => c.status === 'violation');
      const recomputed = recomputedDigest(report);
      const names = row.amendedBy ? await memberNames(ctx.db, ctx.tenant.id, [row.amendedBy]) : {};
      return {
        report: {
          ...summary,
          bytes: Buffer.byteLength(stored),
          amendedByName: row.amendedBy ? (names[row.amendedBy] ?? null) : null,
        },
        content: report,
        validation: {
          schemaOk: schema.ok,
          violations: schema.violations,
          checks,
          blocking:
            schema.violations.length + violations.filter((c) => c.severity === 'error').length,
          warnings: violations.filter((c) => c.severity !== 'error').length,
        },
        balances: report?.balances ?? [],
        events: report?.events ?? [],
        completeness: report?.completeness ?? null,
        deliveries,
        chain: {
          sha256: row.sha256,
          previousSha256: row.previousSha256,
          /** The stored hash is the digest of the stored canonical JSON. */
          recomputedSha256: recomputed,
          hashOk: recomputed === row.sha256 && report?.integrity?.sha256 === row.sha256,
          previous: neighbours.previous,
          /** This report names the one built before it for the same field (or none, if first). */
          linked: (neighbours.previous?.sha256 ?? null) === row.previousSha256,
          next: neighbours.next,
          /** The one built after it names this one. */
          nextLinked: neighbours.next ? neighbours.next.previousSha256 === row.sha256 : null,
        },
        versions,
      };
    }),

  /** The stored file, byte for byte as delivered (for the download route). */
  file: tenantProcedure('reports.file')
    .input(z.object({ reportId: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const file = await ctx.db.withTenantClient(ctx.tenant.id, (client) =>
        loadReportFile(client, input.reportId),
      );
      if (!file) throw new AppError('NOT_FOUND', NOT_FOUND);
      return file;
    }),

  /**
   * What changed from `againstReportId` (before) to `reportId` (after): two versions of
   * the same day and field, nothing else.
   */
  diff: tenantProcedure('reports.diff')
    .input(z.object({ reportId: z.uuid(), againstReportId: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const rows = await ctx.db.withTenantClient(ctx.tenant.id, (client) =>
        loadReportPair(client, [input.reportId, input.againstReportId]),
      );
      const after = rows.find((r) => r.id === input.reportId);
      const before = rows.find((r) => r.id === input.againstReportId);
      if (!after || !before) throw new AppError('NOT_FOUND', NOT_FOUND);
      const refused = () =>
        new AppError(
          'VALIDATION',
          'Solo se comparan versiones del mismo día y estación / only versions of the same day and field can be compared',
        );
      if (after.day !== before.day || after.siteId !== before.siteId) throw refused();
      const a = parseContent(before.content);
      const b = parseContent(after.content);
      if (!a || !b)
        throw new AppError('INTEGRITY', 'Informe ilegible / the stored report is not JSON');
      const result = diffReports(a, b);
      if (!result.ok) throw refused();
      return {
        before: { id: before.id, version: before.version },
        after: { id: after.id, version: after.version },
        day: after.day,
        diff: result.diff,
      };
    }),
});
