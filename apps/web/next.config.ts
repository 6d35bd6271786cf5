import type { NextConfig } from 'next';

/**
 * On every response, API routes and static files included. The Content-Security-Policy is
 * not here: it carries a per-request nonce, so src/proxy.ts sets it on the pages.
 */
const securityHeaders = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  // Old browsers' frame-ancestors 'none' (the CSP says the same to new ones).
  { key: 'X-Frame-Options', value: 'DENY' },
  // Field staff may attach their location; nothing uses camera or microphone.
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(self)' },
  // Browsers honour it only over https (ignored on http://127.0.0.1).
  { key: 'Strict-Transport-Security', value: 'max-age=63072000; includeSubDomains' },
];

const config: NextConfig = {
  // Internal packages ship TypeScript source (see docs/ARCHITECTURE.md).
  transpilePackages: ['@anh/db', '@anh/domain', '@anh/worker'],
  serverExternalPackages: ['pg', 'pg-copy-streams', 'bullmq', 'ioredis', 'basic-ftp', 'exceljs'],
  poweredByHeader: false,
  // Responses are compressed by what stands in front of the app (Vercel's edge, or the
  // reverse proxy of a self-hosted install): gzip here costs the one Node process CPU on
  // every request (measured: see the dashboard benchmark in docs/ARCHITECTURE.md).
  compress: false,
  typedRoutes: false,
  headers: () => Promise.resolve([{ source: '/:path*', headers: securityHeaders }]),
};

export default config;
