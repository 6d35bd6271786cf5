import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { ServiceWorkerRegistration } from '~/components/service-worker-registration';
import { webEnv } from '~/env';
import { fieldDictionary } from '~/lib/i18n-field';
import { currentLocale } from '~/lib/locale';
import { THEME_COLOR } from '~/lib/web-app-manifest';
import './tailwind.css';
import './globals.css';

// Every page renders per request: the CSP nonce (src/proxy.ts) must reach each page's
// scripts, and the language comes from the request. A prerendered page would carry
// scripts without the nonce, which the browser then refuses to run.
export const dynamic = 'force-dynamic';

export async function generateMetadata(): Promise<Metadata> {
  const locale = await currentLocale();
  return {
    title: 'ANH Smart Reporter',
    description: 'Reporte diario de producción a la ANH / Daily production reporting to the ANH',
    // In the page's language: browsers fetch the manifest without cookies.
    manifest: `/manifest.webmanifest?lang=${locale}`,
    // Given here, these replace the file-based icon (src/app/icon.svg): list it again.
    icons: {
      icon: [
        { url: '/icon.svg', type: 'image/svg+xml' },
        { url: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
      ],
      apple: [{ url: '/icons/apple-touch-icon.png', sizes: '180x180' }],
    },
    // Installed from Safari ("Add to Home Screen"): its own window, its own name.
    appleWebApp: {
      capable: true,
      title: fieldDictionary(locale).app.shortName,
      statusBarStyle: 'default',
    },
    // Next writes the standard mobile-web-app-capable; iOS before 17 reads only this one.
    other: { 'apple-mobile-web-app-capable': 'yes' },
    formatDetection: { telephone: false },
  };
}

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: THEME_COLOR,
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const locale = await currentLocale();
  return (
    <html lang={locale}>
      <body>
        {children}
        <ServiceWorkerRegistration enabled={webEnv().NODE_ENV === 'production'} />
      </body>
    </html>
  );
}
