import { signLiveToken } from '@anh/domain/live-token';
import { createTRPCRouter, tenantProcedure } from '../init';

export const liveRouter = createTRPCRouter({
  /**
   * What a browser needs to open the live-alert socket: the gateway's address and a
   * one-minute token naming the person, the company and the role (checked here, by the
   * tenant gate). Null when live alerts are not configured (LIVE_TOKEN_SECRET unset).
   * A mutation so that nothing (browser, service worker, proxy) ever caches a token.
   */
  connect: tenantProcedure('live.connect').mutation(({ ctx }) => {
    if (!ctx.live) return null;
    const { token, expiresAt } = signLiveToken(ctx.live.secret, {
      userId: ctx.userId,
      tenantId: ctx.tenant.id,
      role: ctx.tenant.role,
      nowMs: Date.now(),
    });
    return { url: ctx.live.url, token, expiresAt, tenantId: ctx.tenant.id };
  }),
});
