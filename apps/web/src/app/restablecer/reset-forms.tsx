'use client';

import { ActionForm, text } from '~/components/action-form';
import { dictionary, type Locale } from '~/lib/i18n';
import { trpc } from '~/lib/trpc';

export function ResetForms({ locale, token }: { locale: Locale; token: string | null }) {
  const t = dictionary(locale);
  return (
    <>
      <h1>{t.resetTitle}</h1>
      {token ? (
        <ActionForm
          locale={locale}
          name={t.resetTitle}
          submitLabel={t.save}
          action={async (form) => {
            await trpc.account.resetPassword.mutate({
              token,
              password:
                typeof form.get('password') === 'string' ? (form.get('password') as string) : '',
            });
            return t.resetDone;
          }}
        >
          <label>
            {t.newPassword}
            <input
              name="password"
              type="password"
              required
              minLength={12}
              autoComplete="new-password"
            />
          </label>
        </ActionForm>
      ) : (
        <ActionForm
          locale={locale}
          name={t.resetTitle}
          submitLabel={t.resetSend}
          action={async (form) => {
            await trpc.account.requestPasswordReset.mutate({ email: text(form, 'email') });
            return t.resetSent;
          }}
        >
          <p className="muted">{t.resetIntro}</p>
          <label>
            {t.email}
            <input name="email" type="email" required autoComplete="email" />
          </label>
        </ActionForm>
      )}
    </>
  );
}
