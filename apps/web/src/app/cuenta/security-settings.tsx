'use client';

import { signOut } from 'next-auth/react';
import { useState } from 'react';
import { ActionForm, text } from '~/components/action-form';
import { dictionary, type Locale } from '~/lib/i18n';
import { errorMessages, trpc } from '~/lib/trpc';

export function SecuritySettings({
  locale,
  totpEnabled,
}: {
  locale: Locale;
  totpEnabled: boolean;
}) {
  const t = dictionary(locale);
  const [setup, setSetup] = useState<{ secret: string; uri: string } | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  return (
    <>
      <section className="card">
        <h2>{t.twoStep}</h2>
        <p className="muted">{t.totpIntro}</p>
        {totpEnabled ? (
          <>
            <p className="ok">{t.totpOn}</p>
            <ActionForm
              locale={locale}
              name={t.totpOff}
              submitLabel={t.totpOff}
              className="inline-form"
              action={async (form) => {
                await trpc.me.totpDisable.mutate({ code: text(form, 'code') });
              }}
            >
              <label>
                {t.totpCode}
                <input name="code" inputMode="numeric" autoComplete="one-time-code" required />
              </label>
            </ActionForm>
          </>
        ) : setup ? (
          <>
            <p>{t.totpSecret}</p>
            <p>
              <code data-testid="totp-secret">{setup.secret}</code>
            </p>
            <p>
              <a href={setup.uri}>otpauth://</a>
            </p>
            <ActionForm
              locale={locale}
              name={t.totpConfirm}
              submitLabel={t.totpConfirm}
              className="inline-form"
              action={async (form) => {
                await trpc.me.totpEnable.mutate({ code: text(form, 'code') });
                setSetup(null);
                return t.totpOn;
              }}
            >
              <label>
                {t.totpCode}
                <input name="code" inputMode="numeric" autoComplete="one-time-code" required />
              </label>
            </ActionForm>
          </>
        ) : (
          <button
            type="button"
            onClick={() =>
              void trpc.me.totpSetup
                .mutate()
                .then(setSetup)
                .catch((e: unknown) => setProblems(errorMessages(e, locale)))
            }
          >
            {t.totpStart}
          </button>
        )}
      </section>
      <section className="card">
        <button
          type="button"
          className="danger"
          onClick={() =>
            void trpc.me.signOutEverywhere
              .mutate()
              .then(() => signOut({ callbackUrl: '/login' }))
              .catch((e: unknown) => setProblems(errorMessages(e, locale)))
          }
        >
          {t.signOutEverywhere}
        </button>
        {problems.length > 0 && (
          <div className="error" role="alert">
            {problems.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        )}
      </section>
    </>
  );
}
