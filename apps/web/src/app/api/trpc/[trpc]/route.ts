import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { getServerSession } from 'next-auth';
import { authOptions, sessionUserId } from '~/server/auth';
import { checkSameOrigin } from '~/server/csrf';
import { webEnv } from '~/env';
import { clientAddressOf, requestContext } from '~/server/trpc/context';
import { appRouter } from '~/server/trpc/root';
import { requestIdOf, webLog, withRequestId } from '~/server/log';
import { outcomeOfStatus, webMetrics } from '~/server/metrics';

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

/** The router's own procedure paths: a label must not be whatever path a client sends. */
const procedureLabel = (path: string | undefined) =>
  path && Object.hasOwn(appRouter._def.procedures, path) ? path : 'unknown';

/** The tenant a failed call was for, when its input names one (logs only, not metrics). */
function tenantSlugOf(input: unknown): string | undefined {
  const slug = (input as { tenantSlug?: unknown } | null | undefined)?.tenantSlug;
  return typeof slug === 'string' && /^[a-z0-9-]{1,63}$/.test(slug) ? slug : undefined;
}

async function handler(req: Request): Promise<Response> {
  const started = performance.now();
  const requestId = requestIdOf(req);
  // tRPC sends queries over GET and mutations over POST (a batch is one or the other).
  const type = req.method === 'POST' ? 'mutation' : 'query';
  const response =
    req.method !== 'GET' && req.method !== 'HEAD' && !checkSameOrigin(req, webEnv().NEXTAUTH_URL)
      ? crossOriginRefused()
      : await fetchRequestHandler({
          endpoint: '/api/trpc',
          req,
          router: appRouter,
          createContext: async () =>
            requestContext(
              sessionUserId(await getServerSession(authOptions())),
              clientAddressOf(req.headers.get('x-forwarded-for')),
            ),
          onError({ error, path, input }) {
            const procedure = procedureLabel(path);
            webMetrics().trpcErrors.inc({ procedure, code: error.code });
            // Refusals (bad input, not signed in, not allowed) are part of normal use: info,
            // without a stack. Anything else is our fault: an error, with where it happened.
            const cause = error.cause ?? error;
            const fields = {
              requestId,
              procedure,
              type,
              code: error.code,
              tenantSlug: tenantSlugOf(input),
              error: cause,
            };
            if (error.code === 'INTERNAL_SERVER_ERROR')
              webLog().error('trpc call failed', { ...fields, stack: cause.stack });
            else webLog().info('trpc call refused', fields);
          },
        });
  webMetrics().trpcDuration.observe(
    { type, outcome: outcomeOfStatus(response.status) },
    (performance.now() - started) / 1000,
  );
  return withRequestId(response, requestId);
}

export { handler as GET, handler as POST };
