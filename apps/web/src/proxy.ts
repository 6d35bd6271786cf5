import { NextResponse, type NextRequest } from 'next/server';
import { webEnv } from '~/env';

/**
 * Next 16 Proxy (formerly middleware; Node.js runtime): a strict, nonce-based
 * Content-Security-Policy on every page, following Next's CSP guide. The policy and the
 * nonce also go on the *request* headers: Next reads the nonce from the request's
 * Content-Security-Policy while rendering and puts it on its own inline and bundle scripts,
 * and server components can read it from `x-nonce` (`(await headers()).get('x-nonce')`)
 * for a <Script nonce>. A nonce is per request, so it only reaches pages rendered per
 * request: a statically prerendered page keeps scripts without it and does not hydrate.
 * The other security headers, for every response, are in next.config.ts.
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64');
  const env = webEnv();
  const policy = contentSecurityPolicy(nonce, {
    appUrl: env.NEXTAUTH_URL,
    liveGatewayUrl: env.LIVE_TOKEN_SECRET ? env.LIVE_GATEWAY_URL : null,
    development: env.NODE_ENV === 'development',
  });

  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('Content-Security-Policy', policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('Content-Security-Policy', policy);
  return response;
}

function contentSecurityPolicy(
  nonce: string,
  {
    appUrl,
    liveGatewayUrl,
    development,
  }: { appUrl: string; liveGatewayUrl: string | null; development: boolean },
): string {
  const app = new URL(appUrl);
  // The app's own WebSocket origin. CSP3 browsers count same-host ws:/wss: as 'self'
  // already; older Safari does not, hence the explicit origin.
  const webSocket = `${app.protocol === 'https:' ? 'wss:' : 'ws:'}//${app.host}`;
  // The live-alert gateway (the worker's socket.io), usually on its own host or port.
  const live = liveGatewayUrl ? new URL(liveGatewayUrl) : null;
  const liveSources = live
    ? ` ${live.protocol === 'https:' ? 'wss:' : 'ws:'}//${live.host} ${live.origin}`
    : '';
  const directives = [
    `default-src 'self'`,
    // 'strict-dynamic': scripts run only with this request's nonce, or when loaded by such
    // a script (Next's chunks); 'self' is only the fallback of browsers without CSP3.
    // `next dev` needs 'unsafe-eval' (React rebuilds server error stacks with eval);
    // production does not.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? ` 'unsafe-eval'` : ''}`,
    // 'unsafe-inline' for styles, without a nonce: React `style={…}` props render as style
    // attributes, which no nonce can allow, and chart/UI libraries set them all the time.
    // (With a nonce in the list browsers would ignore 'unsafe-inline'.) Inline CSS cannot
    // run script; the script policy above is what stops XSS.
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data: blob:`,
    `font-src 'self'`,
    // In development Next's hot reload socket may be on another host name (localhost
    // versus 127.0.0.1), so any ws:/wss: is allowed there.
    `connect-src 'self' ${webSocket}${liveSources}${development ? ' ws: wss:' : ''}`,
    `frame-ancestors 'none'`,
    `base-uri 'self'`,
    `form-action 'self'`,
    `object-src 'none'`,
    // The field app: its service worker (/sw.js) and web app manifest, both our own.
    `worker-src 'self'`,
    `manifest-src 'self'`,
  ];
  // Only when served over https: on http://127.0.0.1 it would break every subresource.
  if (app.protocol === 'https:') directives.push('upgrade-insecure-requests');
  return directives.join('; ');
}

export const config = {
  matcher: [
    {
      // Pages only: not the API routes (machines and JSON), Next's static files and image
      // optimizer, nor the favicon, the web app manifest and its icons, robots.txt or the
      // service worker. (/offline is a page: it gets the policy like any other.)
      source:
        '/((?!api/|_next/static|_next/image|favicon\\.ico|manifest\\.webmanifest|icons/|robots\\.txt|sitemap\\.xml|sw\\.js).*)',
      // Link prefetches carry no HTML to protect (as Next's guide recommends).
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
