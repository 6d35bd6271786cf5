import { handleEnroll } from '~/server/ingest/enroll';
import { ingestDeps } from '~/server/ingest/deps';

// Connector enrollment (docs/connector.md): a one-time code for an id and a credential.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  const deps = ingestDeps();
  return handleEnroll(request, { db: deps.db, limiter: deps.limiter, now: deps.now });
}
