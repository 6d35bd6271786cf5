import { TRPCError } from '@trpc/server';
import type { Database } from '@anh/db';
import { createCaller } from '~/server/trpc/root';

/**
 * GET /api/t/[slug]/reports/[id] — a stored daily report, byte for byte as it was
 * delivered, as an attachment under its delivery file name. Goes through the tenant gate
 * (`reports.file`): a non-member, or another company's report id, gets 404.
 */
const STATUS: Partial<Record<TRPCError['code'], number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  // A malformed slug or id names nothing.
  BAD_REQUEST: 404,
};

/** `filename=` for old clients (ASCII only) and `filename*=` (RFC 6266) for the rest. */
export function attachmentHeader(fileName: string): string {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export async function handleReportDownload(deps: {
  db: Database;
  userId: string | null;
  slug: string;
  reportId: string;
}): Promise<Response> {
  const caller = createCaller({ db: deps.db, userId: deps.userId });
  try {
    const file = await caller.reports.file({ tenantSlug: deps.slug, reportId: deps.reportId });
    const body = Buffer.from(file.content, 'utf8');
    return new Response(body, {
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-disposition': attachmentHeader(file.fileName),
        'content-length': String(body.length),
        'cache-control': 'private, no-store',
        'x-content-type-options': 'nosniff',
      },
    });
  } catch (error) {
    const status = error instanceof TRPCError ? STATUS[error.code] : undefined;
    if (!status) throw error;
    return Response.json({ error: { message: (error as TRPCError).message } }, { status });
  }
}
