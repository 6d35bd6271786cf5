/**
 * `npm run licenses`: the licence inventory of what we ship, written to docs/DEPENDENCIES.md.
 * `npm run licenses -- --check` exits 1 when the committed file is out of date.
 *
 * "What we ship" is the production dependency tree of every workspace (dependencies,
 * optional and peer dependencies, transitively; never devDependencies), resolved exactly as
 * Node resolves it over the installed tree that package-lock.json describes, deduplicated by
 * (name, version). The licence is read from each installed package's own package.json (the
 * lockfile's copy as a fallback), and we record whether a LICENSE/COPYING file ships with it.
 * Platform-specific binaries (lockfile `os`/`cpu`) are listed from the lockfile alone, so the
 * file comes out the same on every machine.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format, resolveConfig } from 'prettier';

export interface LockEntry {
  name?: string;
  version?: string;
  license?: string;
  link?: boolean;
  resolved?: string;
  dev?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** What is known of an installed package on disk (null: not installed here). */
export interface Installed {
  license: string | null;
  hasLicenseFile: boolean;
}

export interface Dependency {
  name: string;
  version: string;
  license: string;
  /** yes / no, or why it was not checked. */
  licenseFile: 'yes' | 'no' | 'platform binary' | 'not installed';
  /** Workspaces whose production tree holds it, e.g. ['@anh/web', '@anh/worker']. */
  workspaces: string[];
}

export type LicenceClass = 'permissive' | 'weak copyleft' | 'strong copyleft' | 'unknown';

/**
 * Licences we may ship without review, and the copyleft families that need it. Strong
 * copyleft (GPL, AGPL, SSPL…) would bind our own code; weak copyleft (LGPL, MPL, EPL…) is
 * fine to use unmodified but needs a look (source offer, file-level terms).
 */
const PERMISSIVE = new Set([
  '0BSD',
  'Apache-2.0',
  'BlueOak-1.0.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'CC-BY-3.0',
  'CC-BY-4.0',
  'CC0-1.0',
  'ISC',
  'MIT',
  'MIT-0',
  'Python-2.0',
  'Unlicense',
  'WTFPL',
  'Zlib',
]);
/** Spellings older packages use for an SPDX id. */
const ALIASES: Record<string, string> = {
  'Apache 2.0': 'Apache-2.0',
  'Apache License 2.0': 'Apache-2.0',
  'MIT/X11': 'MIT',
  BSD: 'BSD-3-Clause',
};
const STRONG = /^(A?GPL|SSPL|OSL|CC-BY-(NC-)?SA|EUPL)/i;
const WEAK = /^(LGPL|MPL|EPL|CDDL|CPL)/i;

function classifyOne(id: string): LicenceClass {
  const raw = id.replace(/[()]/g, '').replace(/\+$/, '').trim();
  const bare = ALIASES[raw] ?? raw;
  if (PERMISSIVE.has(bare)) return 'permissive';
  if (STRONG.test(bare)) return 'strong copyleft';
  if (WEAK.test(bare)) return 'weak copyleft';
  return 'unknown';
}

const RANK: Record<LicenceClass, number> = {
  permissive: 0,
  'weak copyleft': 1,
  unknown: 2,
  'strong copyleft': 3,
};

/**
 * An SPDX expression's class: with OR we may pick the most permissive option; with AND
 * every part binds us. Anything we cannot read is `unknown` (reviewed by a person).
 */
export function classifyLicense(expression: string): LicenceClass {
  const text = expression.trim();
  if (!text || /^(UNKNOWN|UNLICENSED|SEE LICEN[CS]E IN)/i.test(text)) return 'unknown';
  const options = text.replace(/^\((.*)\)$/, '$1').split(/\s+OR\s+/i);
  const ofOption = (option: string): LicenceClass =>
    option
      .split(/\s+AND\s+/i)
      .map(classifyOne)
      .reduce((worst, c) => (RANK[c] > RANK[worst] ? c : worst), 'permissive' as LicenceClass);
  return options.map(ofOption).reduce((best, c) => (RANK[c] < RANK[best] ? c : best));
}

/**
 * Production packages a person reviewed, by name (a trailing `*` matches a prefix): why each
 * is acceptable. A strong-copyleft or unknown licence fails the test unless it is listed
 * here; an entry that no longer matches any shipped package fails it too (stale review).
 */
export const REVIEWED: Record<string, string> = {
  '@img/sharp-*':
    'libvips (LGPL-3.0-or-later) as the prebuilt shared library of sharp, an optional dependency of next for image resizing; dynamically linked and unmodified, which the LGPL allows.',
  'web-push':
    'MPL-2.0 is file-level copyleft: used unmodified from npm; a change to its files would have to be published.',
  'sparkplug-payload':
    'EPL-2.0 (Eclipse Tahu), file-level copyleft: installed unmodified from npm beside the connector bundle (never bundled or changed); its source is public.',
  dequeue: 'Its LICENSE file is the BSD-2-Clause text (package.json declares none).',
  humanize: 'Its LICENSE file is the MIT text (package.json declares none).',
  precond: 'Its README states the MIT licence (package.json declares none).',
  buffers:
    'Declares no licence anywhere in the published package (exceljs → unzipper → binary → buffers, the Excel export). Cloud side only, never redistributed; to be confirmed with upstream or replaced before it ships to customers.',
};

/** The review note that covers a package, if any. */
export function reviewOf(name: string): string | undefined {
  for (const [pattern, note] of Object.entries(REVIEWED))
    if (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern)
      return note;
  return undefined;
}

/** The lockfile keys Node would try, nearest first, for `name` required from `from`. */
function candidates(from: string, name: string): string[] {
  const parts = from ? from.split('/') : [];
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--) {
    const dir = parts.slice(0, i).join('/');
    if (dir.endsWith('node_modules') && i > 0) continue; // "x/node_modules/node_modules/…"
    out.push(dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`);
  }
  return out;
}

function licenseOf(manifest: Record<string, unknown>): string | null {
  const license = manifest.license as string | { type?: string } | undefined;
  if (typeof license === 'string') return license;
  if (license && typeof license.type === 'string') return license.type;
  // The long-deprecated `licenses: [{type}]` form: all of them apply.
  const list = manifest.licenses as Array<{ type?: string } | string> | undefined;
  if (Array.isArray(list) && list.length > 0)
    return list.map((l) => (typeof l === 'string' ? l : (l.type ?? 'UNKNOWN'))).join(' OR ');
  return null;
}

/** Reads an installed package's licence and looks for its licence file. */
export function readInstalled(root: string, key: string): Installed | null {
  const dir = join(root, key);
  const manifestPath = join(dir, 'package.json');
  if (!existsSync(manifestPath)) return null;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  const hasLicenseFile = readdirSync(dir).some((file) =>
    /^(licen[cs]e|copying|notice)([._-].*)?$/i.test(file),
  );
  return { license: licenseOf(manifest), hasLicenseFile };
}

/**
 * Walks every workspace's production tree through the lockfile. `installed(key)` tells what
 * is on disk (injected so tests can use a synthetic tree).
 */
export function collectProductionDependencies(
  lock: Lockfile,
  installed: (key: string) => Installed | null,
): Dependency[] {
  const packages = lock.packages;
  const workspaceKeys = Object.keys(packages)
    .filter(
      (key) => key !== '' && !key.includes('node_modules/') && !key.startsWith('node_modules'),
    )
    .sort();
  const found = new Map<string, Dependency>();

  for (const workspaceKey of workspaceKeys) {
    const workspace = packages[workspaceKey]!;
    const workspaceName = workspace.name ?? workspaceKey;
    const seen = new Set<string>();
    const queue: string[] = [workspaceKey];
    while (queue.length > 0) {
      const key = queue.shift()!;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = packages[key]!;
      const isWorkspace = !key.includes('node_modules/') && !key.startsWith('node_modules');
      if (!isWorkspace) {
        const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 13);
        const version = entry.version ?? '0.0.0';
        const id = `${name}@${version}`;
        let dependency = found.get(id);
        if (!dependency) {
          const platform = Boolean(entry.os ?? entry.cpu);
          const disk = platform ? null : installed(key);
          const license = disk?.license ?? entry.license ?? 'UNKNOWN';
          dependency = {
            name,
            version,
            license,
            licenseFile: platform
              ? 'platform binary'
              : disk
                ? disk.hasLicenseFile
                  ? 'yes'
                  : 'no'
                : 'not installed',
            workspaces: [],
          };
          found.set(id, dependency);
        }
        if (!dependency.workspaces.includes(workspaceName))
          dependency.workspaces.push(workspaceName);
      }
      const required = Object.keys(entry.dependencies ?? {});
      const optional = [
        ...Object.keys(entry.optionalDependencies ?? {}),
        ...Object.keys(entry.peerDependencies ?? {}),
      ];
      for (const [names, mustExist] of [
        [required, true],
        [optional, false],
      ] as const) {
        for (const name of names) {
          let target = candidates(key, name).find((candidate) => packages[candidate]);
          if (!target) {
            // An optional or peer dependency npm did not install (other platform, not wanted).
            if (!mustExist || entry.optional) continue;
            throw new Error(`${key} needs ${name}, which package-lock.json does not hold`);
          }
          const resolved = packages[target]!;
          // npm flags what only dev dependencies reach (`--omit=dev` leaves it out): an
          // optional peer such as `typescript` that resolves to the dev toolchain is not
          // shipped. A required dependency flagged so would be a broken lockfile.
          if (resolved.dev) {
            if (!mustExist) continue;
            throw new Error(`${key} needs ${name}, which package-lock.json marks dev-only`);
          }
          if (resolved.link && resolved.resolved) target = resolved.resolved;
          if (!seen.has(target)) queue.push(target);
        }
      }
    }
  }
  for (const dependency of found.values()) dependency.workspaces.sort();
  return [...found.values()].sort((a, b) =>
    a.name === b.name ? a.version.localeCompare(b.version) : a.name.localeCompare(b.name),
  );
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|');

/** docs/DEPENDENCIES.md, before formatting. */
export function renderMarkdown(dependencies: Dependency[]): string {
  const byLicense = new Map<string, number>();
  for (const d of dependencies) byLicense.set(d.license, (byLicense.get(d.license) ?? 0) + 1);
  const flagged = dependencies.filter((d) => classifyLicense(d.license) !== 'permissive');
  const workspaces = [...new Set(dependencies.flatMap((d) => d.workspaces))].sort();
  const lines = [
    '# Production dependencies and their licences',
    '',
    '<!-- Generated by `npm run licenses` (scripts/licenses.ts) from package-lock.json and the installed packages. Do not edit: a test compares this file with a fresh run. -->',
    '',
    `What we ship: the production dependency tree of every workspace (${workspaces.map((w) => `\`${w}\``).join(', ')}), transitively, from the lockfile, never devDependencies; one row per package version. **${dependencies.length}** packages.`,
    '',
    'The cloud apps (`@anh/web`, `@anh/worker`) run on our servers; `@anh/connector` is installed on customer sites, so its tree is redistributed: its licences travel with it.',
    '',
    '## By licence',
    '',
    '| licence | class | packages |',
    '| --- | --- | --- |',
    ...[...byLicense.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([license, n]) => `| ${escapeCell(license)} | ${classifyLicense(license)} | ${n} |`),
    '',
    '## For review: copyleft and unknown',
    '',
    'Strong copyleft (GPL, AGPL, SSPL…) and unknown licences are refused in production unless a person reviewed them and wrote why in `REVIEWED` (scripts/licenses.ts); weak copyleft (LGPL, MPL, EPL…) is allowed unmodified and listed here with its review.',
    '',
    ...(flagged.length === 0
      ? ['None.']
      : [
          '| package | version | licence | class | pulled in by | reviewed |',
          '| --- | --- | --- | --- | --- | --- |',
          ...flagged.map(
            (d) =>
              `| ${d.name} | ${d.version} | ${escapeCell(d.license)} | ${classifyLicense(d.license)} | ${d.workspaces.join(', ')} | ${escapeCell(reviewOf(d.name) ?? '—')} |`,
          ),
        ]),
    '',
    '## All packages',
    '',
    '`licence file`: whether a LICENSE, LICENCE, COPYING or NOTICE file ships in the package; platform binaries (built for one OS or CPU) are listed from the lockfile and not opened.',
    '',
    '| package | version | licence | licence file | pulled in by |',
    '| --- | --- | --- | --- | --- |',
    ...dependencies.map(
      (d) =>
        `| ${d.name} | ${d.version} | ${escapeCell(d.license)} | ${d.licenseFile} | ${d.workspaces.join(', ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

export const ROOT = join(import.meta.dirname, '..');
export const OUTPUT = join(ROOT, 'docs', 'DEPENDENCIES.md');

/** The file as `npm run licenses` writes it (formatted with the repository's Prettier settings). */
export async function generate(root = ROOT): Promise<string> {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lockfile;
  const dependencies = collectProductionDependencies(lock, (key) => readInstalled(root, key));
  const options = (await resolveConfig(OUTPUT)) ?? {};
  return format(renderMarkdown(dependencies), { ...options, parser: 'markdown' });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const text = await generate();
  if (process.argv.includes('--check')) {
    const current = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : '';
    if (current !== text) {
      console.error('docs/DEPENDENCIES.md is out of date: run `npm run licenses`');
      process.exit(1);
    }
    console.log('docs/DEPENDENCIES.md is up to date');
  } else {
    writeFileSync(OUTPUT, text);
    console.log(`wrote ${OUTPUT}`);
  }
}
