// @ts-check
/**
 * The service worker, after `next build` (part of `npm run build -w @anh/web`):
 * 1. esbuild bundles src/sw/service-worker.ts (Workbox and the offline queue inside);
 * 2. workbox-build's injectManifest writes public/sw.js with the precache list: Next's
 *    hashed static files, the icons and the offline page (revisioned by the build id);
 * 3. public/sw.js gets the build's own timestamp, so scripts/test.sh (which rebuilds when
 *    anything under public/ is newer than .next/BUILD_ID) does not take the worker it just
 *    wrote for a changed source.
 * Next 16 builds with Turbopack, where webpack plugins (@serwist/next, workbox-webpack-plugin)
 * do not run: hence a step after the build. `next start` serves files added to public/.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { injectManifest } from 'workbox-build';

const web = fileURLToPath(new URL('..', import.meta.url));
const at = (/** @type {string} */ path) => `${web}${path}`;

const buildIdFile = at('.next/BUILD_ID');
const buildId = readFileSync(buildIdFile, 'utf8').trim();
const bundled = at('.next/sw/service-worker.js');
const swDest = at('public/sw.js');

await build({
  entryPoints: [at('src/sw/service-worker.ts')],
  outfile: bundled,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  // Chrome for Android and Safari of the last few years (iOS 15.4 brought Web Locks).
  target: ['chrome100', 'safari15'],
  minify: true,
  legalComments: 'none',
  // Workbox prints its development logs when this is not 'production'.
  define: { 'process.env.NODE_ENV': '"production"' },
  tsconfig: at('tsconfig.json'),
  logLevel: 'warning',
});

const iconEntries = readdirSync(at('public/icons'))
  .filter((name) => name.endsWith('.png'))
  .sort()
  .map((name) => ({
    url: `/icons/${name}`,
    revision: createHash('sha256')
      .update(readFileSync(at(`public/icons/${name}`)))
      .digest('hex')
      .slice(0, 16),
  }));

const { count, size, warnings } = await injectManifest({
  swSrc: bundled,
  swDest,
  globDirectory: at('.next/static'),
  // Scripts, styles and fonts: what a page needs to start. Images are cached when used.
  globPatterns: ['**/*.{js,css,woff2}'],
  modifyURLPrefix: { '': '/_next/static/' },
  // Their names carry a content hash: no cache-busting query needed.
  dontCacheBustURLsMatching: /^\/_next\/static\//,
  maximumFileSizeToCacheInBytes: 5 * 1024 * 1024,
  additionalManifestEntries: [{ url: '/offline', revision: buildId }, ...iconEntries],
});
for (const warning of warnings) console.warn(`build-sw: ${warning}`);

const built = statSync(buildIdFile);
utimesSync(swDest, built.atime, built.mtime);
utimesSync(at('public'), built.atime, built.mtime);
console.log(
  `build-sw: public/sw.js precaches ${count} files (${(size / 1024 / 1024).toFixed(1)} MB), build ${buildId}`,
);
