import { handleIngest } from '~/server/ingest/handle';
import { ingestDeps } from '~/server/ingest/deps';

// The connector upload endpoint (docs/upload-protocol.md). Node runtime: it needs pg and zlib.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return handleIngest(request, ingestDeps());
}
