import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { getServerSession } from 'next-auth';
import { authOptions, sessionUserId } from '~/server/auth';
import { getDb } from '~/server/db';
import { webEnv } from '~/env';
import { ingestDeps, keyRing, mailerFromEnv, queues } from '~/server/ingest/deps';
import { wakeDelivery } from '@anh/worker/queues';
import { appRouter } from '~/server/trpc/root';

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: async () => ({
      db: getDb(),
      userId: sessionUserId(await getServerSession(authOptions())),
      wakePipeline: ingestDeps().wake,
      retentionMonths: ingestDeps().retentionMonths,
      wakeDelivery: (tenantId: string, reportId: string) =>
        wakeDelivery(queues(), tenantId, reportId),
      ring: keyRing(),
      clientAddress: (req.headers.get('x-forwarded-for') ?? 'direct').split(',')[0]!.trim(),
      ...(mailerFromEnv() ? { mailer: mailerFromEnv()! } : {}),
      appUrl: webEnv().NEXTAUTH_URL,
    }),
  });
}

export { handler as GET, handler as POST };
