import type { Metadata } from 'next';
import { currentLocale } from '~/lib/locale';
import { OfflineView } from './offline-view';

export const metadata: Metadata = { title: 'Sin conexión / Offline · ANH Smart Reporter' };

/**
 * What a page opened without network shows when this phone has no copy of it. The service
 * worker precaches it at install (scripts/build-sw.mjs): the copy is in the language of
 * that moment, so the view switches to the language chosen since, read from the cookie.
 */
export default async function OfflinePage() {
  return <OfflineView locale={await currentLocale()} />;
}
