import { getServerSession } from 'next-auth';
import { authOptions, sessionUserId } from '~/server/auth';
import { getDb } from '~/server/db';
import { handleReportDownload } from './download';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(
  _request: Request,
  { params }: { params: Promise<{ slug: string; id: string }> },
): Promise<Response> {
  const { slug, id } = await params;
  return handleReportDownload({
    db: getDb(),
    userId: sessionUserId(await getServerSession(authOptions())),
    slug,
    reportId: id,
  });
}
