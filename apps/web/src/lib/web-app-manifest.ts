import type { Locale } from './i18n';
import { fieldDictionary } from './i18n-field';

/** The installed app's colours: the header's dark slate, the pages' light background. */
export const THEME_COLOR = '#1f2937';
export const BACKGROUND_COLOR = '#f6f7f9';

/** Icons drawn by scripts/make-icons.mjs into public/icons/. */
export const MANIFEST_ICONS = [
  { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
  { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
  { src: '/icons/maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
  { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
] as const;

/** The web app manifest in one language (names and description from i18n-field.ts). */
export function webAppManifest(locale: Locale) {
  const t = fieldDictionary(locale);
  return {
    // One identity whatever the language: installing again replaces, never duplicates.
    id: '/',
    name: t.app.name,
    short_name: t.app.shortName,
    description: t.app.description,
    lang: locale,
    dir: 'ltr',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    orientation: 'portrait',
    theme_color: THEME_COLOR,
    background_color: BACKGROUND_COLOR,
    categories: ['business', 'productivity', 'utilities'],
    icons: MANIFEST_ICONS,
  };
}
