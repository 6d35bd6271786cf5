'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { dictionary, type Locale } from '~/lib/i18n';
import { errorMessages, trpc } from '~/lib/trpc';

/**
 * Confirms the address from the page's script, not on GET: mail scanners that open links
 * (and run no script) cannot spend the token.
 */
export function VerifyEmail({ locale, token }: { locale: Locale; token: string }) {
  const t = dictionary(locale);
  const [state, setState] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    trpc.account.verifyEmail
      .mutate({ token })
      .then(() => setState({ ok: true, text: t.verified }))
      .catch((e: unknown) => setState({ ok: false, text: errorMessages(e, locale).join(' ') }));
  }, [token, locale, t.verified]);
  return (
    <section className="card">
      <h1>{t.verifyTitle}</h1>
      {state === null && <p className="muted">{t.busy}</p>}
      {state && (
        <p className={state.ok ? 'ok' : 'error'} role={state.ok ? 'status' : 'alert'}>
          {state.text}
        </p>
      )}
      <Link href="/login">{t.signIn}</Link>
    </section>
  );
}
