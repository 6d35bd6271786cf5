import { ExpirationPlugin } from 'workbox-expiration';
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from 'workbox-precaching';
import type { PrecacheEntry } from 'workbox-precaching';
import { registerRoute, setCatchHandler } from 'workbox-routing';
import { CacheFirst, NetworkFirst } from 'workbox-strategies';
import { forgetDelivered, replayPending, SYNC_TAG } from '~/lib/offline-queue';
import { notificationOptions, parsePushPayload } from './push';
import {
  OFFLINE_URL,
  PAGE_CACHE,
  DATA_CACHE,
  STATIC_CACHE,
  USER_CACHES,
  SIGNED_OUT_MESSAGE,
  CACHE_PAGES_MESSAGE,
} from './constants';
import type { ServiceWorkerScope } from './types';

/**
 * The field app's service worker, bundled by esbuild and given its precache list by
 * workbox-build (scripts/build-sw.mjs, after `next build`); served as /sw.js.
 *
 * - App shell: Next's static chunks, the icons and the offline page, precached.
 * - The last data each person saw: pages and tRPC queries network-first, the cached copy
 *   when there is no network. Those caches hold one person's data: they are emptied on
 *   sign-out (the page tells us) and whenever the sign-in page is opened.
 * - Manual readings queued offline are sent on Background Sync (`sync`).
 * - Web Push: `push` shows the alert, `notificationclick` opens the page it names.
 */
const sw = self as unknown as ServiceWorkerScope;

// workbox-build replaces the literal `self.__WB_MANIFEST` with the list (keep it spelled so).
precacheAndRoute(
  (self as unknown as { __WB_MANIFEST: Array<PrecacheEntry | string> }).__WB_MANIFEST,
);
cleanupOutdatedCaches();

// Only complete answers of our own origin are kept: no redirects (a redirect to the
// sign-in page must not be replayed offline), no errors.
const completeOnly = {
  cacheWillUpdate: ({ response }: { response: Response }) =>
    Promise.resolve(response.status === 200 && response.type === 'basic' ? response : null),
};

async function forgetUserData(): Promise<void> {
  await Promise.all(USER_CACHES.map((name) => caches.delete(name)));
  await forgetDelivered();
}

// The sign-in page: whoever comes next must not see the last person's pages or data.
registerRoute(
  ({ request, url }) => request.mode === 'navigate' && url.pathname === '/login',
  async ({ request }) => {
    await forgetUserData();
    return fetch(request);
  },
);

// Pages: the network first, else the copy this person last saw, else the offline page
// (the catch handler below). No timeout: a slow server still gives the current page, since
// most pages do not say how old they are (the field page does, and its queries below do).
const pageIsKept = (url: URL) =>
  url.origin === sw.location.origin &&
  !url.pathname.startsWith('/api/') &&
  url.pathname !== '/login';

registerRoute(
  ({ request, url }) => request.mode === 'navigate' && pageIsKept(url),
  new NetworkFirst({
    cacheName: PAGE_CACHE,
    // Next varies pages on its router headers, which navigations never carry.
    matchOptions: { ignoreVary: true },
    plugins: [completeOnly, new ExpirationPlugin({ maxEntries: 60, maxAgeSeconds: 14 * 86_400 })],
  }),
);

// tRPC queries (GET): the same, keyed by their URL (procedure and input); after 8 s of a
// poor connection the copy is served (the field page shows the time of its data).
registerRoute(
  ({ url, request }) => url.pathname.startsWith('/api/trpc/') && request.method === 'GET',
  new NetworkFirst({
    cacheName: DATA_CACHE,
    networkTimeoutSeconds: 8,
    matchOptions: { ignoreVary: true },
    plugins: [completeOnly, new ExpirationPlugin({ maxEntries: 200, maxAgeSeconds: 14 * 86_400 })],
  }),
);

// Static files not in the precache (a newer build's chunks): hashed names, so cache first.
registerRoute(
  ({ url }) => url.pathname.startsWith('/_next/static/') || url.pathname.startsWith('/icons/'),
  new CacheFirst({
    cacheName: STATIC_CACHE,
    plugins: [completeOnly, new ExpirationPlugin({ maxEntries: 300 })],
  }),
);

// Everything else (mutations, sign-in, exports, Next's RSC requests) is not handled here:
// it goes to the network as if there were no service worker.

setCatchHandler(async ({ request }) => {
  if (request.destination === 'document' || request.mode === 'navigate') {
    const offline = await matchPrecache(OFFLINE_URL);
    if (offline) return offline;
  }
  return Response.error();
});

sw.addEventListener('install', () => {
  // The first visit is served by this worker at once (so its data is cached for later).
  void sw.skipWaiting();
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(sw.clients.claim());
});

/**
 * The page that registered this worker was loaded before the worker ran, so its own
 * request went uncached: fetch it once more into the pages cache, so that "after one
 * visit" holds for the very first visit too.
 */
async function keepPages(urls: unknown): Promise<void> {
  if (!Array.isArray(urls)) return;
  const cache = await caches.open(PAGE_CACHE);
  for (const raw of urls.slice(0, 5)) {
    if (typeof raw !== 'string') continue;
    const url = new URL(raw, sw.location.origin);
    if (!pageIsKept(url)) continue;
    try {
      const response = await fetch(url.href, { credentials: 'same-origin' });
      if (response.status === 200 && response.type === 'basic' && !response.redirected)
        await cache.put(url.href, response);
    } catch {
      // No network now: the next visit caches it.
    }
  }
}

sw.addEventListener('message', (event) => {
  const data = event.data as { type?: unknown; urls?: unknown } | null;
  if (data?.type === SIGNED_OUT_MESSAGE) event.waitUntil(forgetUserData());
  if (data?.type === CACHE_PAGES_MESSAGE) event.waitUntil(keepPages(data.urls));
});

sw.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(
    replayPending('sync').then((result) => {
      // Rejecting asks the browser to fire the sync again later (with backoff).
      if (result.unreachable) throw new Error('manual readings: server unreachable, retry later');
    }),
  );
});

sw.addEventListener('push', (event) => {
  let data: unknown = null;
  try {
    data = event.data?.json() ?? null;
  } catch {
    data = event.data?.text() ?? null;
  }
  const payload = parsePushPayload(data, sw.location.origin);
  event.waitUntil(sw.registration.showNotification(payload.title, notificationOptions(payload)));
});

sw.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const path = (event.notification.data as { url?: string } | null)?.url ?? '/';
  const target = new URL(path, sw.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => w.url === target) ?? windows[0];
      if (open) {
        const focused = await open.focus();
        if (focused.url !== target) await focused.navigate(target);
        return;
      }
      await sw.clients.openWindow(target);
    })(),
  );
});
