import { enqueue, wakeDelivery } from '@anh/worker/queues';
import { webEnv } from '~/env';
import { getDb } from '../db';
import { ingestDeps, keyRing, mailerFromEnv, queues } from '../ingest/deps';
import type { Context } from './init';

/** The tRPC context of one request: the same for HTTP calls and server components. */
export function requestContext(userId: string | null, clientAddress: string): Context {
  const mailer = mailerFromEnv();
  return {
    db: getDb(),
    userId,
    wakePipeline: ingestDeps().wake,
    retentionMonths: ingestDeps().retentionMonths,
    wakeDelivery: (tenantId: string, reportId: string) =>
      wakeDelivery(queues(), tenantId, reportId),
    requestRetrain: async (tenantId: string, pointId: string) => {
      await enqueue(queues(), 'pipeline.detect', { tenantId, retrain: true, pointId });
    },
    ring: keyRing(),
    clientAddress,
    ...(mailer ? { mailer } : {}),
    appUrl: webEnv().NEXTAUTH_URL,
    dashboardFreshSeconds: webEnv().DASHBOARD_FRESH_SECONDS,
    live: webEnv().LIVE_TOKEN_SECRET
      ? { url: webEnv().LIVE_GATEWAY_URL, secret: webEnv().LIVE_TOKEN_SECRET! }
      : null,
  };
}

/** The first x-forwarded-for hop, or `direct`: the key of per-address rate limits. */
export function clientAddressOf(forwardedFor: string | null): string {
  return (forwardedFor ?? 'direct').split(',')[0]!.trim() || 'direct';
}
