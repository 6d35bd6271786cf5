'use client';

import { signIn } from 'next-auth/react';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { dictionary } from '~/lib/i18n';

function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

export default function LoginPage() {
  const t = dictionary();
  const router = useRouter();
  const [error, setError] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    const result = await signIn('credentials', {
      email: formText(form, 'email'),
      password: formText(form, 'password'),
      redirect: false,
    });
    setBusy(false);
    if (result?.ok) router.push('/');
    else setError(true);
  }

  return (
    <main>
      <h1>{t.appName}</h1>
      <p className="muted">{t.tagline}</p>
      <form className="stack card" onSubmit={(e) => void submit(e)}>
        <label>
          {t.email}
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          {t.password}
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error && (
          <p className="error" role="alert">
            {t.badCredentials}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {t.signIn}
        </button>
      </form>
    </main>
  );
}
