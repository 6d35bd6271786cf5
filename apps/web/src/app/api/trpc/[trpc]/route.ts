import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { getServerSession } from 'next-auth';
import { authOptions, sessionUserId } from '~/server/auth';
import { checkSameOrigin } from '~/server/csrf';
import { webEnv } from '~/env';
import { clientAddressOf, requestContext } from '~/server/trpc/context';
import { appRouter } from '~/server/trpc/root';

/**
 * CSRF: tRPC authenticates with the next-auth session cookie, so a mutation (always a POST:
 * tRPC refuses mutations over GET) must come from our own origin; see ~/server/csrf.ts.
 * Refused before tRPC runs, i.e. before the session is even read. Queries (GET) only read,
 * and another origin cannot read the answer (no CORS headers here).
 * next-auth's own POSTs (/api/auth/callback/credentials, /api/auth/signout) need no such
 * check: next-auth v4 verifies its CSRF token there (double-submit: the `csrfToken` form
 * field against the HMAC-signed, httpOnly next-auth.csrf-token cookie).
 */
function crossOriginRefused(): Response {
  return Response.json(
    {
      error: {
        code: 'FORBIDDEN',
        message: 'Solicitud de otro origen rechazada / cross-origin request refused',
      },
    },
    { status: 403 },
  );
}

function handler(req: Request) {
  if (req.method !== 'GET' && req.method !== 'HEAD' && !checkSameOrigin(req, webEnv().NEXTAUTH_URL))
    return crossOriginRefused();
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: async () =>
      requestContext(
        sessionUserId(await getServerSession(authOptions())),
        clientAddressOf(req.headers.get('x-forwarded-for')),
      ),
  });
}

export { handler as GET, handler as POST };
