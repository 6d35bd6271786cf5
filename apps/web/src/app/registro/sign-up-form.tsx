'use client';

import Link from 'next/link';
import { useState } from 'react';
import { ActionForm, text } from '~/components/action-form';
import { dictionary, type Locale } from '~/lib/i18n';
import { trpc } from '~/lib/trpc';

export function SignUpForm({ locale }: { locale: Locale }) {
  const t = dictionary(locale);
  const [done, setDone] = useState(false);
  if (done)
    return (
      <section className="card" role="status">
        <h1>{t.signUpTitle}</h1>
        <p>{t.signUpDone}</p>
        <Link href="/login">{t.signIn}</Link>
      </section>
    );
  return (
    <>
      <h1>{t.signUpTitle}</h1>
      <p className="muted">{t.signUpIntro}</p>
      <ActionForm
        locale={locale}
        name={t.signUpTitle}
        submitLabel={t.createCompany}
        reset={false}
        action={async (form) => {
          await trpc.account.signUp.mutate({
            name: text(form, 'name'),
            email: text(form, 'email'),
            password:
              typeof form.get('password') === 'string' ? (form.get('password') as string) : '',
            locale,
            company: {
              legalName: text(form, 'legalName'),
              nit: text(form, 'nit'),
              anhOperatorCode: text(form, 'anhOperatorCode'),
            },
          });
          setDone(true);
        }}
      >
        <label>
          {t.yourName}
          <input name="name" required autoComplete="name" />
        </label>
        <label>
          {t.email}
          <input name="email" type="email" required autoComplete="email" />
        </label>
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
        <label>
          {t.legalName}
          <input name="legalName" required />
        </label>
        <label>
          {t.nit}
          <input name="nit" required placeholder="900.123.456-7" />
        </label>
        <label>
          {t.anhOperatorCode}
          <input name="anhOperatorCode" required />
        </label>
      </ActionForm>
    </>
  );
}
