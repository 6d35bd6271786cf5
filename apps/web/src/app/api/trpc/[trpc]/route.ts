import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { getServerSession } from 'next-auth';
import { authOptions, sessionUserId } from '~/server/auth';
import { getDb } from '~/server/db';
import { ingestDeps } from '~/server/ingest/deps';
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
    }),
  });
}

export { handler as GET, handler as POST };
