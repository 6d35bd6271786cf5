'use client';

import { useRouter } from 'next/navigation';
import { LOCALE_COOKIE, type Locale } from '~/lib/i18n';
import { trpc } from '~/lib/trpc';

/** Español / English: a cookie for this browser, and the user's setting when signed in. */
export function LanguageSwitch({ locale, signedIn }: { locale: Locale; signedIn: boolean }) {
  const router = useRouter();
  async function choose(next: Locale) {
    document.cookie = `${LOCALE_COOKIE}=${next}; path=/; max-age=31536000; samesite=lax`;
    if (signedIn) await trpc.me.setLocale.mutate({ locale: next }).catch(() => undefined);
    router.refresh();
  }
  return (
    <span className="language">
      <button
        type="button"
        aria-pressed={locale === 'es-CO'}
        onClick={() => void choose('es-CO')}
        lang="es"
      >
        ES
      </button>
      <button
        type="button"
        aria-pressed={locale === 'en'}
        onClick={() => void choose('en')}
        lang="en"
      >
        EN
      </button>
    </span>
  );
}
