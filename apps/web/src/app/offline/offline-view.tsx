'use client';

import { useEffect, useState } from 'react';
import { isLocale, LOCALE_COOKIE, type Locale } from '~/lib/i18n';
import { fieldDictionary } from '~/lib/i18n-field';
import { listReadings } from '~/lib/offline-queue';

function cookieLocale(): Locale | null {
  const match = document.cookie.match(new RegExp(`(?:^|; )${LOCALE_COOKIE}=([^;]*)`));
  const value = match ? decodeURIComponent(match[1]!) : null;
  return isLocale(value) ? value : null;
}

export function OfflineView({ locale: rendered }: { locale: Locale }) {
  const [locale, setLocale] = useState(rendered);
  const [pending, setPending] = useState(0);
  useEffect(() => {
    const chosen = cookieLocale();
    if (chosen && chosen !== rendered) {
      setLocale(chosen);
      document.documentElement.lang = chosen;
    }
    listReadings()
      .then((all) => setPending(all.filter((r) => r.state === 'pending').length))
      .catch(() => undefined);
    // Back online: try the page that was asked for again.
    const retry = () => window.location.reload();
    window.addEventListener('online', retry);
    return () => window.removeEventListener('online', retry);
  }, [rendered]);
  const t = fieldDictionary(locale);
  return (
    <main style={{ maxWidth: '30rem', paddingTop: '3rem' }}>
      <h1>{t.offline.title}</h1>
      <p>{t.offline.body}</p>
      <p className="muted">{t.offline.queued}</p>
      {pending > 0 && (
        <p>
          <strong data-pending-count={pending}>{t.pendingCount(pending)}</strong>
        </p>
      )}
      <p className="actions">
        <button type="button" className="primary" onClick={() => window.location.reload()}>
          {t.offline.retry}
        </button>
        <a href="/">{t.offline.home}</a>
      </p>
    </main>
  );
}
