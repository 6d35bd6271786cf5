import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'ANH Smart Reporter',
  description: 'Reporte diario de producción a la ANH / Daily production reporting to the ANH',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1, themeColor: '#1f2937' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="es-CO">
      <body>{children}</body>
    </html>
  );
}
