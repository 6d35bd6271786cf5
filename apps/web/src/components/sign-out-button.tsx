'use client';

import { signOut } from 'next-auth/react';
import { forgetDelivered } from '~/lib/offline-queue';
import { trpc } from '~/lib/trpc';
import { USER_CACHES } from '~/sw/constants';

/** This phone's Web Push subscription ends: the next person must not get these alerts. */
async function endPushSubscription(tenantSlug: string | undefined): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager?.getSubscription();
  if (!subscription) return;
  if (tenantSlug)
    await trpc.push.unsubscribe
      .mutate({ tenantSlug, endpoint: subscription.endpoint })
      .catch(() => undefined); // offline: the push service's "gone" answer retires it later
  await subscription.unsubscribe();
}

/**
 * Phones are shared between shifts: before signing out, this device forgets the pages and
 * data the person saw (the service worker's caches), the history of readings already
 * delivered and its push subscription. Readings still waiting to be sent stay, and are
 * sent only when their author signs in again. The service worker empties the same caches
 * whenever the sign-in page opens, which covers sessions that end any other way.
 */
export async function forgetThisPersonOnDevice(tenantSlug?: string): Promise<void> {
  const work: Array<Promise<unknown>> = [];
  if (typeof caches !== 'undefined') work.push(...USER_CACHES.map((name) => caches.delete(name)));
  if (typeof indexedDB !== 'undefined') work.push(forgetDelivered());
  work.push(endPushSubscription(tenantSlug));
  await Promise.allSettled(work);
}

export function SignOutButton({ label, tenantSlug }: { label: string; tenantSlug?: string }) {
  return (
    <button
      type="button"
      onClick={() => {
        void forgetThisPersonOnDevice(tenantSlug).then(() => signOut({ callbackUrl: '/login' }));
      }}
    >
      {label}
    </button>
  );
}
