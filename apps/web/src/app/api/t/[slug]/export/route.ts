import { getServerSession } from 'next-auth';
import { currentLocale } from '~/lib/locale';
import { authOptions, sessionUserId } from '~/server/auth';
import { getDb } from '~/server/db';
import { handleExport } from './handle';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** A series as CSV or Excel (see ./handle.ts). */
export async function GET(
  request: Request,
  { params }: { params: Promise<{ slug: string }> },
): Promise<Response> {
  const { slug } = await params;
  return handleExport({
    db: getDb(),
    userId: sessionUserId(await getServerSession(authOptions())),
    slug,
    locale: await currentLocale(),
    searchParams: new URL(request.url).searchParams,
  });
}
