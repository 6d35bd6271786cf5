import { getServerSession } from 'next-auth';
import { webEnv } from '~/env';
import { authOptions, sessionUserId } from '~/server/auth';
import { handlePackageDownload } from '~/server/connector-package';
import { getDb } from '~/server/db';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(): Promise<Response> {
  return handlePackageDownload({
    db: getDb(),
    userId: sessionUserId(await getServerSession(authOptions())),
    dir: webEnv().CONNECTOR_PACKAGE_DIR,
  });
}
