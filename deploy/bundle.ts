/**
 * `npx tsx deploy/bundle.ts [outdir]` (default dist/server): the worker and the migration
 * command as plain ESM files that `node` runs without tsx, for the Docker image and the
 * native release. Our workspaces ship TypeScript source, so they are bundled; every other
 * package stays an import, resolved at run time from the node_modules that
 * `npm ci --omit=dev --workspace @anh/worker` installs (the test checks that each such
 * import is in the worker's production tree).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { isAbsolute, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

export const ROOT = join(import.meta.dirname, '..');

/** Entry points: output name → source. */
export const ENTRIES = {
  worker: 'apps/worker/src/main.ts',
  migrate: 'packages/db/src/cli/migrate.ts',
} as const;

const SKIP = Symbol('resolving');

/**
 * Which imports stay imports. Our workspaces (@anh/*) ship TypeScript: bundled. A package
 * that the importing file resolves to the top-level node_modules stays external: that is
 * where `npm ci` puts it in the image and the release too (npm lays the tree out as the
 * lockfile says). A package the importer finds in a nested node_modules (another major
 * version than the top-level one: ajv 8 under packages/domain, ajv 6 at the top for
 * eslint) is bundled, since the bundle no longer sits where that nested copy is visible.
 * A deep import into a package without an `exports` map (`ajv/dist/2020`) keeps the
 * file's extension: tsx and bundlers guess it, Node's ESM loader does not.
 */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === SKIP) return undefined;
      if (args.path.startsWith('@anh/') || isAbsolute(args.path)) return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: SKIP,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      const name = packageOf(args.path);
      const topLevel = join(ROOT, 'node_modules', ...name.split('/'));
      if (!resolved.path.startsWith(topLevel + sep)) return { path: resolved.path };
      if (name === args.path) return { path: args.path, external: true };
      const manifest = JSON.parse(readFileSync(join(topLevel, 'package.json'), 'utf8')) as {
        exports?: unknown;
      };
      if (manifest.exports !== undefined) return { path: args.path, external: true };
      const file = relative(topLevel, resolved.path).split(sep).join('/');
      return { path: `${name}/${file}`, external: true };
    });
  },
};

/** The package a bare import names: `pg/lib/x` → `pg`, `@scope/a/b` → `@scope/a`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export async function bundleServer(outdir: string): Promise<{ metafile: Metafile }> {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES).map(([name, source]) => [name, join(ROOT, source)]),
    ),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked', // stack traces in production name our source files
    metafile: true,
    plugins: [externalPackages],
    // Bundled CommonJS helpers may call require(); ESM output has none of its own.
    banner: {
      js: "import { createRequire as __anhCreateRequire } from 'node:module'; const require = __anhCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return { metafile: result.metafile };
}

/** Every external package the bundle imports (node: builtins excluded). */
export function externalPackagesOf(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs))
    for (const imported of output.imports)
      if (imported.external && !imported.path.startsWith('node:'))
        names.add(packageOf(imported.path));
  return [...names].sort();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outdir = join(process.cwd(), process.argv[2] ?? join('dist', 'server'));
  const { metafile } = await bundleServer(outdir);
  console.log(
    JSON.stringify({
      outdir,
      entries: Object.keys(ENTRIES),
      external: externalPackagesOf(metafile),
    }),
  );
}
