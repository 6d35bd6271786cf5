'use client';

import Link from 'next/link';
import { signIn } from 'next-auth/react';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { dictionary, type Locale } from '~/lib/i18n';

const REFUSALS = ['rate_limited', 'email_unverified', 'totp_required', 'totp_invalid'] as const;
type Refusal = (typeof REFUSALS)[number];

function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

export function LoginForm({ locale, next }: { locale: Locale; next: string }) {
  const t = dictionary(locale);
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [askTotp, setAskTotp] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    const result = await signIn('credentials', {
      email: formText(form, 'email'),
      password: formText(form, 'password'),
      totp: formText(form, 'totp'),
      redirect: false,
    });
    setBusy(false);
    if (result?.ok && !result.error) {
      router.push(next);
      router.refresh();
      return;
    }
    const refusal = REFUSALS.find<Refusal>((r): r is Refusal => r === result?.error);
    if (refusal === 'totp_required' || refusal === 'totp_invalid') setAskTotp(true);
    setError(refusal ? t.refusals[refusal] : t.badCredentials);
  }

  return (
    <>
      <h1>{t.appName}</h1>
      <p className="muted">{t.tagline}</p>
      <form className="stack card" aria-label={t.signIn} onSubmit={(e) => void submit(e)}>
        <label>
          {t.email}
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          {t.password}
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {askTotp && (
          <label>
            {t.totpCode}
            <input
              name="totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              required
            />
          </label>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? t.busy : t.signIn}
        </button>
      </form>
      <p>
        <Link href="/restablecer">{t.forgotPassword}</Link>
      </p>
      <p>
        {t.noAccount} <Link href="/registro">{t.signUpLink}</Link>
      </p>
    </>
  );
}
