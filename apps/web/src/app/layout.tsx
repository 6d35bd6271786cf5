import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { currentLocale } from '~/lib/locale';
import './tailwind.css';
import './globals.css';

// Every page renders per request: the CSP nonce (src/proxy.ts) must reach each page's
// scripts, and the language comes from the request. A prerendered page would carry
// scripts without the nonce, which the browser then refuses to run.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: 'ANH Smart Reporter',
  description: 'Reporte diario de producción a la ANH / Daily production reporting to the ANH',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1, themeColor: '#1f2937' };

export default async function RootLayout({ children }: { children: ReactNode }) {
  const locale = await currentLocale();
  return (
    <html lang={locale}>
      <body>{children}</body>
    </html>
  );
}
