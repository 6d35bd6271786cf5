'use client';

import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '~/server/trpc/root';
import { localize, type Locale } from './i18n';

/** The browser's tRPC client (same origin: the session cookie and CSRF check apply). */
export const trpc = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url: '/api/trpc', transformer: superjson })],
});

/**
 * What to tell the user about a failed call, in their language: each input problem, or
 * the server's message. Never a stack trace, never raw JSON.
 */
export function errorMessages(error: unknown, locale: Locale): string[] {
  if (error instanceof TRPCClientError) {
    const data = (error as TRPCClientError<AppRouter>).data as
      { issues?: Array<{ path: string; message: string }> | null; code?: string } | undefined;
    if (data?.issues && data.issues.length > 0)
      return data.issues.map((issue) => localize(issue.message, locale));
    if (data?.code === 'INTERNAL_SERVER_ERROR')
      return [
        locale === 'en'
          ? 'Something failed on our side; try again in a moment.'
          : 'Algo falló de nuestro lado; intente de nuevo en un momento.',
      ];
    return [localize(error.message, locale)];
  }
  return [locale === 'en' ? 'No connection with the server.' : 'Sin conexión con el servidor.'];
}
