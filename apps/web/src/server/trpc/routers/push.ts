import { z } from 'zod';
import { deletePushSubscription, savePushSubscription } from '@anh/db/notifications';
import { pushEndpointSchema, pushKeysSchema } from '@anh/domain/notify';
import { vapidPublicKey } from '~/env';
import { createTRPCRouter, tenantProcedure } from '../init';

/**
 * Web Push subscriptions of the signed-in member's browsers (the field page calls these).
 * A subscription is kept with the member's role; the worker sends it the alerts whose
 * audience has that role (with the role the person holds when the alert is sent).
 * Contract: vapidPublicKey → { publicKey: string | null }; subscribe and unsubscribe take
 * `{ endpoint, keys: { p256dh, auth } }` / `{ endpoint }` (https, or http on 127.0.0.1).
 */
export function createPushRouter(publicKey: () => string | null) {
  return createTRPCRouter({
    vapidPublicKey: tenantProcedure('push.vapidPublicKey').query(() => ({
      publicKey: publicKey(),
    })),

    subscribe: tenantProcedure('push.subscribe')
      .input(z.object({ endpoint: pushEndpointSchema, keys: pushKeysSchema }))
      .mutation(async ({ ctx, input }) => {
        await ctx.withTenant((tx) =>
          savePushSubscription(tx, {
            userId: ctx.userId,
            role: ctx.tenant.role,
            subscription: { endpoint: input.endpoint, keys: input.keys },
            userAgent: null,
          }),
        );
        return { subscribed: true };
      }),

    unsubscribe: tenantProcedure('push.unsubscribe')
      .input(z.object({ endpoint: pushEndpointSchema }))
      .mutation(async ({ ctx, input }) => ({
        removed: await ctx.withTenant((tx) =>
          deletePushSubscription(tx, ctx.userId, input.endpoint),
        ),
      })),
  });
}

export const pushRouter = createPushRouter(() => vapidPublicKey());
