/** Names shared by the service worker and the pages that talk to it. */

/** Precached at install: what a navigation gets when there is no network and no copy. */
export const OFFLINE_URL = '/offline';
/** Pages and tRPC answers one person saw: emptied on sign-out. */
export const PAGE_CACHE = 'anh-pages';
export const DATA_CACHE = 'anh-data';
export const USER_CACHES = [PAGE_CACHE, DATA_CACHE] as const;
/** Hashed static files outside the precache (shared, no personal data). */
export const STATIC_CACHE = 'anh-static';
/** `postMessage({ type })` from a page: the person signed out. */
export const SIGNED_OUT_MESSAGE = 'anh:signed-out';
export const SW_URL = '/sw.js';
/** `postMessage({ type, urls })` from a page first opened before this worker ran: keep these pages. */
export const CACHE_PAGES_MESSAGE = 'anh:cache-pages';
