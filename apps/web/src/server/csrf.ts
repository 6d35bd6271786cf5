/**
 * CSRF defence for state-changing requests that authenticate with the session cookie
 * (tRPC mutations). A forged request needs the victim's browser, and browsers say where a
 * request comes from: `Origin` on every cross-origin request and on same-origin POSTs, and
 * the Fetch Metadata header `Sec-Fetch-Site` in current browsers. So:
 *
 * - `Origin` present: allowed only if it is exactly the app's origin (scheme, host and
 *   port). The opaque origin `null` (sandboxed iframes, `data:` pages, some redirects)
 *   never matches.
 * - `Origin` absent, `Sec-Fetch-Site` present: allowed for `same-origin` and `none` (typed
 *   in by the user); `same-site` (a sibling subdomain) and `cross-site` are refused.
 * - Both absent: not a browser (curl, server-to-server). CSRF rides on the victim's
 *   cookies, so such a request is allowed only if it carries no cookie at all; then it
 *   has no session and the procedures' own authorization decides.
 *
 * Complements, does not replace, the session cookie's SameSite=Lax (next-auth's default).
 */
export function checkSameOrigin(request: Request, appUrl: string): boolean {
  const headers = request.headers;
  const origin = headers.get('origin');
  // 'null' (an opaque origin) and anything but the exact app origin are refused.
  if (origin !== null) return sameOrigin(origin, appUrl);

  const fetchSite = headers.get('sec-fetch-site');
  if (fetchSite !== null) return fetchSite === 'same-origin' || fetchSite === 'none';

  return headers.get('cookie') === null;
}

/** Browsers send the serialized origin (lowercase, no default port, no path), as `URL#origin` gives it. */
function sameOrigin(origin: string, appUrl: string): boolean {
  return origin === new URL(appUrl).origin;
}
