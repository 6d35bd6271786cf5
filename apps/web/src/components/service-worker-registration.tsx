'use client';

import { useEffect } from 'react';
import { CACHE_PAGES_MESSAGE, SW_URL } from '~/sw/constants';

/**
 * Registers the field app's service worker (public/sw.js, written by the production build)
 * once the page has loaded, so it never competes with the page's own first requests. Not
 * in `next dev`: there is no built worker, and caching would hide code changes.
 */
export function ServiceWorkerRegistration({ enabled }: { enabled: boolean }) {
  useEffect(() => {
    if (!enabled || !('serviceWorker' in navigator)) return;
    // Not controlled yet: this page's own request did not pass through the worker.
    const firstVisit = navigator.serviceWorker.controller === null;
    const register = () => {
      navigator.serviceWorker
        .register(SW_URL, { scope: '/' })
        .then(async () => {
          if (!firstVisit) return;
          const ready = await navigator.serviceWorker.ready;
          ready.active?.postMessage({ type: CACHE_PAGES_MESSAGE, urls: [window.location.href] });
        })
        .catch((error: unknown) => console.warn('service worker not registered', error));
    };
    if (document.readyState === 'complete') register();
    else window.addEventListener('load', register, { once: true });
    return () => window.removeEventListener('load', register);
  }, [enabled]);
  return null;
}
