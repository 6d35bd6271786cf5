/**
 * The licence inventory (scripts/licenses.ts → docs/DEPENDENCIES.md): the walk over the
 * lockfile on a synthetic tree (so we know the answer), then the real one — the committed
 * file must be what a fresh run writes, and nothing strong-copyleft or unknown may ship
 * without a written review.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyLicense,
  collectProductionDependencies,
  generate,
  OUTPUT,
  readInstalled,
  REVIEWED,
  reviewOf,
  ROOT,
  type Installed,
  type Lockfile,
} from '../scripts/licenses';

describe('classifyLicense', () => {
  it.each([
    ['MIT', 'permissive'],
    ['(MIT OR GPL-3.0-or-later)', 'permissive'], // we may choose MIT
    ['MIT AND GPL-3.0-only', 'strong copyleft'], // both bind
    ['AGPL-3.0', 'strong copyleft'],
    ['GPL-2.0+', 'strong copyleft'],
    ['LGPL-3.0-or-later', 'weak copyleft'],
    ['Apache-2.0 AND LGPL-3.0-or-later', 'weak copyleft'],
    ['MPL-2.0', 'weak copyleft'],
    ['EPL-2.0', 'weak copyleft'],
    ['Apache 2.0', 'permissive'], // an old spelling of Apache-2.0
    ['UNKNOWN', 'unknown'],
    ['SEE LICENSE IN LICENSE.txt', 'unknown'],
    ['Commercial', 'unknown'],
  ])('%s is %s', (license, expected) => {
    expect(classifyLicense(license)).toBe(expected);
  });
});

describe('collectProductionDependencies on a synthetic lockfile', () => {
  const lock: Lockfile = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'root', devDependencies: { tool: '^1' } },
      'apps/web': { name: '@x/web', dependencies: { '@x/lib': '*', a: '^1' } },
      'apps/site': { name: '@x/site', dependencies: { a: '^2' }, devDependencies: { tool: '^1' } },
      'packages/lib': { name: '@x/lib', dependencies: { c: '^1' } },
      'node_modules/@x/lib': { resolved: 'packages/lib', link: true },
      'node_modules/@x/web': { resolved: 'apps/web', link: true },
      'node_modules/a': { version: '1.0.0', license: 'MIT', dependencies: { b: '^1' } },
      // apps/site needs a@2: npm nests it under the workspace.
      'apps/site/node_modules/a': { version: '2.0.0', license: 'ISC', dependencies: { b: '^2' } },
      'apps/site/node_modules/b': { version: '2.0.0', license: 'MIT' },
      'node_modules/b': {
        version: '1.0.0',
        license: 'MIT',
        optionalDependencies: { 'b-linux': '1', 'b-never-installed': '1' },
      },
      'node_modules/b-linux': { version: '1.0.0', license: 'MIT', os: ['linux'], optional: true },
      // A peer that only the dev toolchain installs (npm flags it dev) is not shipped.
      'node_modules/c': {
        version: '1.0.0',
        license: 'Apache-2.0',
        peerDependencies: { d: '*', tool: '*' },
      },
      'node_modules/d': { version: '3.0.0', license: 'BSD-3-Clause' },
      'node_modules/tool': { version: '9.0.0', license: 'GPL-3.0', dev: true },
    },
  };
  const disk: Record<string, Installed> = {
    'node_modules/a': { license: 'MIT', hasLicenseFile: true },
    'apps/site/node_modules/a': { license: 'ISC', hasLicenseFile: false },
    'node_modules/c': { license: 'Apache-2.0', hasLicenseFile: true },
  };
  const found = collectProductionDependencies(lock, (key) => disk[key] ?? null);
  const byId = new Map(found.map((d) => [`${d.name}@${d.version}`, d]));

  it('follows dependencies, optional and peer ones, through workspace links, never dev', () => {
    expect([...byId.keys()].sort()).toEqual([
      'a@1.0.0',
      'a@2.0.0',
      'b-linux@1.0.0',
      'b@1.0.0',
      'b@2.0.0',
      'c@1.0.0',
      'd@3.0.0',
    ]);
    expect(byId.has('tool@9.0.0')).toBe(false);
  });

  it('resolves each name as Node would: the nearest node_modules first', () => {
    expect(byId.get('a@2.0.0')?.workspaces).toEqual(['@x/site']);
    expect(byId.get('b@2.0.0')?.workspaces).toEqual(['@x/site']);
    expect(byId.get('a@1.0.0')?.workspaces).toEqual(['@x/web']);
    // Reached through the linked workspace @x/lib, and from it directly.
    expect(byId.get('c@1.0.0')?.workspaces).toEqual(['@x/lib', '@x/web']);
  });

  it('reads licence and licence file from disk, platform binaries from the lockfile only', () => {
    expect(byId.get('a@1.0.0')).toMatchObject({ license: 'MIT', licenseFile: 'yes' });
    expect(byId.get('a@2.0.0')).toMatchObject({ license: 'ISC', licenseFile: 'no' });
    expect(byId.get('b-linux@1.0.0')?.licenseFile).toBe('platform binary');
    expect(byId.get('d@3.0.0')?.licenseFile).toBe('not installed');
  });

  it('refuses a lockfile that lacks a required dependency', () => {
    const broken: Lockfile = {
      lockfileVersion: 3,
      packages: { 'apps/x': { name: 'x', dependencies: { missing: '1' } } },
    };
    expect(() => collectProductionDependencies(broken, () => null)).toThrow(/missing/);
  });
});

describe('docs/DEPENDENCIES.md', () => {
  it('is what `npm run licenses` writes from the current lockfile', async () => {
    expect(readFileSync(OUTPUT, 'utf8')).toBe(await generate());
  });

  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const shipped = collectProductionDependencies(lock, (key) => readInstalled(ROOT, key));

  it('ships no strong copyleft (GPL, AGPL…) and no unknown licence without a review', () => {
    const unreviewed = shipped.filter(
      (d) =>
        ['strong copyleft', 'unknown'].includes(classifyLicense(d.license)) && !reviewOf(d.name),
    );
    expect(unreviewed.map((d) => `${d.name}@${d.version} ${d.license}`)).toEqual([]);
  });

  it('lists no review for a package we no longer ship', () => {
    const stale = Object.keys(REVIEWED).filter(
      (pattern) =>
        !shipped.some((d) =>
          pattern.endsWith('*') ? d.name.startsWith(pattern.slice(0, -1)) : d.name === pattern,
        ),
    );
    expect(stale).toEqual([]);
  });

  it('covers the packages the apps import at run time', () => {
    const names = new Set(shipped.map((d) => d.name));
    for (const name of ['next', 'bullmq', 'pg', 'better-sqlite3', 'node-opcua', 'zod'])
      expect(names.has(name), name).toBe(true);
    // Dev-only tools never count as shipped. (typescript does: @trpc/server declares it a
    // peer, so npm installs it even with --omit=dev.)
    for (const name of ['vitest', 'eslint', 'prettier', 'turbo'])
      expect(names.has(name), name).toBe(false);
  });
});
