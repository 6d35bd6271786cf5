import Link from 'next/link';
import type { ReactNode } from 'react';
import { dictionary, type Locale } from '~/lib/i18n';
import { LanguageSwitch } from './language-switch';

/** Pages before sign-in: the product's name, the language switch, the content. */
export function PublicShell({ locale, children }: { locale: Locale; children: ReactNode }) {
  const t = dictionary(locale);
  return (
    <>
      <header className="bar">
        <Link href="/login">
          <strong>{t.appName}</strong>
        </Link>
        <LanguageSwitch locale={locale} signedIn={false} />
      </header>
      <main>{children}</main>
    </>
  );
}
