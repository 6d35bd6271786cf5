/**
 * The deployment files checked as far as this machine allows (no Docker daemon, no running
 * systemd): every variable a unit, the compose file or an example env file names must be one
 * the apps' env.ts declares, and every variable they declare must be documented, so
 * configuration drift fails here; the systemd units pass `systemd-analyze verify` and an
 * offline exposure score; install.sh lays a release out in a temporary root, idempotently;
 * the worker bundle the images and the release run really migrates a database and starts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { connectorConfigSchema } from '../packages/domain/src/contract/connector-config';
import { connectorEnvSchema } from '../apps/connector/src/env';
import { webEnvSchema } from '../apps/web/src/env';
import { workerEnvSchema } from '../apps/worker/src/env';
import { migrateEnvSchema } from '../packages/db/src/cli/env';
import { collectProductionDependencies, readInstalled, type Lockfile } from '../scripts/licenses';
import { testEnv } from '../test/env';
import { bundleServer, externalPackagesOf, ROOT } from './bundle';

const DEPLOY = join(ROOT, 'deploy');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const keysOf = (schema: { shape: Record<string, unknown> }) => Object.keys(schema.shape).sort();
const WEB_KEYS = keysOf(webEnvSchema);
const WORKER_KEYS = keysOf(workerEnvSchema);
const CONNECTOR_KEYS = keysOf(connectorEnvSchema);

/**
 * Variables set for a process that no env.ts of ours reads, each with its reader: they
 * may appear in units and compose files without being declared.
 */
const FRAMEWORK_VARIABLES: Record<string, string> = {
  NEXT_TELEMETRY_DISABLED: 'read by Next.js itself (no usage reports from our servers)',
};
/** deploy/.env variables that only docker-compose.yml reads. */
const COMPOSE_ONLY = ['ANH_VERSION', 'GATEWAY_PUBLIC_PORT', 'POSTGRES_PASSWORD', 'WEB_PUBLIC_PORT'];
/** Names that hold secrets: examples must leave them empty. */
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|PRIVATE_KEY|CREDENTIAL|KEYRING/;

interface EnvFile {
  /** `KEY=value` lines: what the process gets. */
  active: Map<string, string>;
  /** Every key named, set or commented out (`# KEY=…`): what is documented. */
  documented: Set<string>;
}

function parseEnvFile(text: string): EnvFile {
  const active = new Map<string, string>();
  const documented = new Set<string>();
  for (const line of text.split('\n')) {
    const set = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    const commented = /^#\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (set) {
      active.set(set[1]!, set[2]!);
      documented.add(set[1]!);
    } else if (commented) documented.add(commented[1]!);
  }
  return { active, documented };
}

/** Fills the secrets an example leaves empty, as an operator would. */
function filled(file: EnvFile): Record<string, string> {
  const env = Object.fromEntries(file.active);
  for (const [key, value] of file.active)
    if (value === '')
      env[key] =
        key === 'SECRETS_KEYRING'
          ? `k1:${randomBytes(32).toString('base64')}`
          : randomBytes(32).toString('base64url');
  return env;
}

type UnitFile = Map<string, Array<[key: string, value: string]>>;

function parseUnit(text: string): UnitFile {
  const sections: UnitFile = new Map();
  let current: Array<[string, string]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = [];
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`unparseable unit line: ${raw}`);
    current.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return sections;
}

const values = (unit: UnitFile, section: string, key: string) =>
  (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
const value = (unit: UnitFile, section: string, key: string) => values(unit, section, key).at(-1);

const UNITS = {
  'anh-web.service': { envFile: '/etc/anh/web.env', keys: WEB_KEYS },
  'anh-worker.service': { envFile: '/etc/anh/worker.env', keys: WORKER_KEYS },
  'anh-migrate.service': { envFile: '/etc/anh/worker.env', keys: WORKER_KEYS },
  'anh-connector.service': { envFile: '/etc/anh/connector.env', keys: CONNECTOR_KEYS },
} as const;
const EXAMPLE_OF: Record<string, string> = {
  '/etc/anh/web.env': 'deploy/native/etc/web.env.example',
  '/etc/anh/worker.env': 'deploy/native/etc/worker.env.example',
  '/etc/anh/connector.env': 'deploy/native/etc/connector.env.example',
};
const unitText = (name: string) => read(`deploy/systemd/${name}`);

/** The names the example connector.yaml reads passwords from (passwordEnv). */
function passwordEnvNames(): string[] {
  const config = connectorConfigSchema.parse(
    parseYaml(read('deploy/native/etc/connector.yaml.example')),
  );
  return config.sources.flatMap((s) =>
    'passwordEnv' in s && s.passwordEnv ? [s.passwordEnv] : [],
  );
}

describe('example environment files match the apps’ env.ts', () => {
  const cases = [
    ['deploy/native/etc/web.env.example', WEB_KEYS, webEnvSchema],
    ['deploy/native/etc/worker.env.example', WORKER_KEYS, workerEnvSchema],
  ] as const;
  for (const [path, keys, schema] of cases) {
    it(`${path} documents exactly the variables of its env.ts`, () => {
      const file = parseEnvFile(read(path));
      expect([...file.documented].sort()).toEqual(keys);
    });
    it(`${path}, with its empty secrets filled, is a valid configuration`, () => {
      const result = schema.safeParse(filled(parseEnvFile(read(path))));
      expect(result.success ? [] : result.error.issues).toEqual([]);
    });
  }

  it('the native connector.env documents its env.ts and the passwords its YAML names', () => {
    const file = parseEnvFile(read('deploy/native/etc/connector.env.example'));
    expect(passwordEnvNames().length).toBeGreaterThan(0);
    expect([...file.documented].sort()).toEqual(
      [...new Set([...CONNECTOR_KEYS, ...passwordEnvNames()])].sort(),
    );
    expect(connectorEnvSchema.safeParse(filled(file)).success).toBe(true);
  });

  it('deploy/.env.example documents both apps plus the compose-only variables, nothing else', () => {
    const file = parseEnvFile(read('deploy/.env.example'));
    expect([...file.documented].sort()).toEqual(
      [...new Set([...WEB_KEYS, ...WORKER_KEYS, ...COMPOSE_ONLY])].sort(),
    );
  });

  it('no example file carries a secret: secret names are empty, URLs carry placeholders', () => {
    for (const path of [
      'deploy/.env.example',
      'deploy/native/etc/web.env.example',
      'deploy/native/etc/worker.env.example',
      'deploy/native/etc/connector.env.example',
    ]) {
      for (const line of read(path).split('\n')) {
        const m = /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
        if (!m) continue;
        const [, key, text] = m as unknown as [string, string, string];
        if (SECRET_NAME.test(key)) expect(`${path}: ${key}=${text}`).toBe(`${path}: ${key}=`);
        // user:password@ in a URL: only the placeholder.
        const userinfo = /:\/\/[^/@\s]*:([^/@\s]*)@/.exec(text);
        if (userinfo) expect(userinfo[1]).toBe('REPLACE_WITH_PASSWORD');
      }
    }
  });

  it('the migrations need nothing the worker’s environment file lacks', () => {
    for (const key of keysOf(migrateEnvSchema)) expect(WORKER_KEYS).toContain(key);
  });
});

describe('systemd units', () => {
  const names = Object.keys(UNITS) as Array<keyof typeof UNITS>;

  it('name only variables their app declares, and the environment file of that app', () => {
    for (const name of names) {
      const unit = parseUnit(unitText(name));
      const { envFile, keys } = UNITS[name];
      expect(values(unit, 'Service', 'EnvironmentFile'), name).toEqual([envFile]);
      expect(existsSync(join(ROOT, EXAMPLE_OF[envFile]!)), name).toBe(true);
      const assigned = values(unit, 'Service', 'Environment').flatMap((line) =>
        line.split(/\s+/).map((pair) => pair.split('=')[0]!),
      );
      const referenced = [...unitText(name).matchAll(/\$\{?([A-Z][A-Z0-9_]*)\}?/g)].map(
        (m) => m[1]!,
      );
      for (const key of [...assigned, ...referenced])
        expect(
          (keys as readonly string[]).includes(key) || key in FRAMEWORK_VARIABLES,
          `${name}: ${key}`,
        ).toBe(true);
    }
  });

  it('are hardened: no privileges, read-only system, restart always', () => {
    for (const name of names) {
      const unit = parseUnit(unitText(name));
      const is = (key: string, expected: string) =>
        expect(value(unit, 'Service', key), `${name} ${key}`).toBe(expected);
      is('NoNewPrivileges', 'yes');
      is('ProtectSystem', 'strict');
      is('ProtectHome', 'yes');
      is('PrivateTmp', 'yes');
      is('CapabilityBoundingSet', '');
      is('RestrictSUIDSGID', 'yes');
      // V8 cannot run with MemoryDenyWriteExecute (see the units' comments).
      expect(value(unit, 'Service', 'MemoryDenyWriteExecute'), name).toBeUndefined();
      if (name === 'anh-migrate.service') is('Type', 'oneshot');
      else is('Restart', 'always');
      if (name !== 'anh-connector.service') is('DynamicUser', 'yes');
    }
  });

  it('the connector: its own user, its buffer in the state directory, restarts forever', () => {
    const unit = parseUnit(unitText('anh-connector.service'));
    expect(value(unit, 'Service', 'User')).toBe('anh-connector');
    expect(value(unit, 'Service', 'StateDirectory')).toBe('anh-connector');
    expect(value(unit, 'Unit', 'StartLimitIntervalSec')).toBe('0');
    expect(value(unit, 'Service', 'ExecStart')).toContain('--config /etc/anh/connector.yaml');
    // Everything the connector writes must be where ProtectSystem=strict lets it write.
    const config = connectorConfigSchema.parse(
      parseYaml(read('deploy/native/etc/connector.yaml.example')),
    );
    const writable = ['/var/lib/anh-connector/'];
    const written = [
      config.connector.buffer.path,
      config.connector.credentialFile,
      ...config.sources.flatMap((s) => (s.type === 'opcua' ? [s.pkiDir] : [])),
    ];
    for (const path of written)
      expect(
        writable.some((dir) => path.startsWith(dir)),
        `${path} is outside the state directory`,
      ).toBe(true);
  });

  it('web and worker never start before the migrations', () => {
    for (const name of ['anh-web.service', 'anh-worker.service'] as const) {
      const unit = parseUnit(unitText(name));
      expect(value(unit, 'Unit', 'Requires')).toBe('anh-migrate.service');
      expect(value(unit, 'Unit', 'After')).toContain('anh-migrate.service');
    }
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  it.skipIf(analyze.status !== 0)('pass systemd-analyze verify without warnings', () => {
    const files = names.map((n) => join(DEPLOY, 'systemd', n));
    const run = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it.skipIf(analyze.status !== 0)(
    'score 2.0 or better (OK) in systemd-analyze security, offline',
    () => {
      for (const name of names) {
        const run = spawnSync(
          'systemd-analyze',
          ['security', '--offline=yes', '--threshold=20', join(DEPLOY, 'systemd', name)],
          { encoding: 'utf8' },
        );
        expect(run.status, `${name}\n${run.stdout}`).toBe(0);
        const score = /Overall exposure level for \S+: ([\d.]+)/.exec(run.stdout);
        expect(Number(score?.[1]), name).toBeLessThanOrEqual(2);
      }
    },
  );
});

describe('native install (deploy/native/install.sh) into a temporary root', () => {
  let work: string;
  const install = (...args: string[]) =>
    spawnSync('bash', [join(DEPLOY, 'native', 'install.sh'), ...args], { encoding: 'utf8' });

  /** A release as build-release.sh lays it out, with stand-ins for the built files. */
  function fakeRelease(name: string): string {
    const dir = join(work, name);
    const files = {
      'apps/web/.next/BUILD_ID': 'build-1\n',
      'apps/web/.next/cache/images/x': 'cached',
      'node_modules/next/dist/bin/next': '#!/usr/bin/env node\n',
      'dist/server/worker.mjs': '',
      'dist/server/migrate.mjs': '',
      'connector/node_modules/anh-connector/anh-connector.js': '',
      'packages/db/package.json': '{}',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    // npm links workspaces into node_modules: the copy must keep links as links.
    mkdirSync(join(dir, 'node_modules', '@anh'), { recursive: true });
    symlinkSync('../../packages/db', join(dir, 'node_modules', '@anh', 'db'));
    return dir;
  }

  /** Every path under `root`, with its type, mode and (for files) content. */
  function snapshot(root: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        const stat = lstatSync(path);
        const key = relative(root, path);
        const mode = (stat.mode & 0o7777).toString(8);
        if (stat.isSymbolicLink()) out[key] = `link ${readlinkSync(path)}`;
        else if (stat.isDirectory()) {
          out[key] = `dir ${mode}`;
          walk(path);
        } else out[key] = `file ${mode} ${readFileSync(path, 'utf8')}`;
      }
    };
    walk(root);
    return out;
  }

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'anh-install-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('lays out a cloud host: release, current link, configuration, units', () => {
    const release = fakeRelease('release-1');
    const root = join(work, 'cloud');
    const run = install('--from', release, '--version', '1.0.0', '--prefix', root);
    expect(run.status, run.stderr).toBe(0);

    expect(readlinkSync(join(root, 'opt/anh/current'))).toBe('1.0.0');
    const installed = join(root, 'opt/anh/1.0.0');
    expect(readFileSync(join(installed, 'apps/web/.next/BUILD_ID'), 'utf8')).toBe('build-1\n');
    expect(readlinkSync(join(installed, 'node_modules/@anh/db'))).toBe('../../packages/db');
    // Next's cache leaves the read-only release for the unit's CacheDirectory.
    expect(readlinkSync(join(installed, 'apps/web/.next/cache'))).toBe('/var/cache/anh-web');
    expect(statSync(join(installed, 'dist/server')).mode & 0o022).toBe(0);

    for (const [file, example] of [
      ['web.env', 'web.env.example'],
      ['worker.env', 'worker.env.example'],
    ]) {
      const path = join(root, 'etc/anh', file!);
      expect(readFileSync(path, 'utf8')).toBe(read(`deploy/native/etc/${example}`));
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
    for (const unit of ['anh-web.service', 'anh-worker.service', 'anh-migrate.service'])
      expect(readFileSync(join(root, 'etc/systemd/system', unit), 'utf8')).toBe(unitText(unit));
    expect(existsSync(join(root, 'etc/systemd/system/anh-connector.service'))).toBe(false);
    expect(existsSync(join(root, 'etc/anh/connector.env'))).toBe(false);
    expect(existsSync(join(root, 'etc/passwd'))).toBe(false);
  });

  it('is idempotent and never overwrites configuration', () => {
    const root = join(work, 'cloud');
    const release = join(work, 'release-1');
    // An operator filled in the secrets.
    writeFileSync(join(root, 'etc/anh/web.env'), 'TENANT_ROLE_SECRET=filled-in\n');
    const before = snapshot(root);
    const run = install('--from', release, '--version', '1.0.0', '--prefix', root);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('already installed');
    expect(snapshot(root)).toEqual(before);
  });

  it('adds a new version beside the old one and flips current', () => {
    const root = join(work, 'cloud');
    const release = fakeRelease('release-2');
    writeFileSync(join(release, 'apps/web/.next/BUILD_ID'), 'build-2\n');
    const run = install('--from', release, '--version', '1.1.0', '--prefix', root);
    expect(run.status, run.stderr).toBe(0);
    expect(readlinkSync(join(root, 'opt/anh/current'))).toBe('1.1.0');
    expect(readFileSync(join(root, 'opt/anh/current/apps/web/.next/BUILD_ID'), 'utf8')).toBe(
      'build-2\n',
    );
    expect(existsSync(join(root, 'opt/anh/1.0.0/.anh-release-complete'))).toBe(true);
    expect(readFileSync(join(root, 'etc/anh/web.env'), 'utf8')).toBe(
      'TENANT_ROLE_SECRET=filled-in\n',
    );
  });

  const sysusers = spawnSync('systemd-sysusers', ['--version']).status === 0;
  it.skipIf(!sysusers)(
    'lays out a site machine: the connector’s user (once), its state directory, its files',
    () => {
      const root = join(work, 'site');
      const release = join(work, 'release-1');
      for (let i = 0; i < 2; i++) {
        const run = install(
          '--from',
          release,
          '--version',
          '1.0.0',
          '--prefix',
          root,
          '--components',
          'connector',
        );
        expect(run.status, run.stderr).toBe(0);
      }
      const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('anh-connector:'));
      expect(passwd).toHaveLength(1);
      expect(passwd[0]).toMatch(/:\/var\/lib\/anh-connector:\/usr\/sbin\/nologin$/);
      expect(readFileSync(join(root, 'etc/group'), 'utf8')).toMatch(
        /^dialout:x:\d+:anh-connector$/m,
      );
      expect(statSync(join(root, 'etc/anh/connector.env')).mode & 0o777).toBe(0o600);
      expect(statSync(join(root, 'etc/anh/connector.yaml')).mode & 0o777).toBe(0o640);
      expect(statSync(join(root, 'var/lib/anh-connector')).mode & 0o777).toBe(0o750);
      expect(readFileSync(join(root, 'etc/systemd/system/anh-connector.service'), 'utf8')).toBe(
        unitText('anh-connector.service'),
      );
      for (const cloudOnly of ['anh-web.service', 'anh-migrate.service'])
        expect(existsSync(join(root, 'etc/systemd/system', cloudOnly))).toBe(false);
    },
  );

  it('refuses a bad version or a release missing what a component needs, touching nothing', () => {
    const root = join(work, 'refused');
    const bad = install('--from', join(work, 'release-1'), '--version', '../x', '--prefix', root);
    expect(bad.status).toBe(2);
    const partial = join(work, 'partial');
    cpSync(join(work, 'release-1'), partial, { recursive: true, verbatimSymlinks: true });
    rmSync(join(partial, 'dist/server/worker.mjs'));
    const missing = install('--from', partial, '--version', '2.0.0', '--prefix', root);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('dist/server/worker.mjs');
    expect(existsSync(join(root, 'opt'))).toBe(false);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });
});

const composeSchema = z.object({
  services: z.record(
    z.string(),
    z.object({
      image: z.string().optional(),
      build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
      environment: z.record(z.string(), z.string()).optional(),
      env_file: z.string().optional(),
      healthcheck: z.object({ test: z.array(z.string()) }).optional(),
      restart: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).optional(),
      profiles: z.array(z.string()).optional(),
      depends_on: z
        .record(
          z.string(),
          z.object({
            condition: z.enum([
              'service_started',
              'service_healthy',
              'service_completed_successfully',
            ]),
          }),
        )
        .optional(),
    }),
  ),
});

describe('docker-compose.yml and the Dockerfiles (validated offline: no Docker daemon here)', () => {
  const text = read('deploy/docker-compose.yml');
  const compose = composeSchema.parse(parseYaml(text, { merge: true }));
  const services = compose.services;

  it('runs PostgreSQL 15, Redis 7, migrations once, web, worker, and MQTT on request', () => {
    expect(services.postgres?.image).toMatch(/^postgres:15/);
    expect(services.redis?.image).toMatch(/^redis:7/);
    expect(services.mosquitto?.profiles).toEqual(['mqtt']);
    expect(services.migrate?.restart).toBe('no');
    for (const app of ['web', 'worker']) {
      expect(services[app]?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
      expect(services[app]?.depends_on?.redis?.condition).toBe('service_healthy');
    }
    expect(services.migrate?.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('gives every long-running service a healthcheck and a restart policy', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'migrate') continue;
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
      expect(service.restart, name).toBe('unless-stopped');
    }
  });

  it('sets only variables the apps declare, and interpolates only documented ones', () => {
    const schemaOf: Record<string, string[]> = {
      web: WEB_KEYS,
      worker: WORKER_KEYS,
      migrate: WORKER_KEYS, // the worker image; migrations read a subset
    };
    for (const [name, keys] of Object.entries(schemaOf)) {
      expect(services[name]?.env_file, name).toBe('.env');
      for (const key of Object.keys(services[name]?.environment ?? {}))
        expect(keys.includes(key) || key in FRAMEWORK_VARIABLES, `${name}: ${key}`).toBe(true);
    }
    const documented = parseEnvFile(read('deploy/.env.example')).documented;
    const interpolated = [...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);
    expect(interpolated.length).toBeGreaterThan(0);
    for (const key of interpolated) expect(documented.has(key), key).toBe(true);
    // Secrets come from deploy/.env, never from the compose file itself.
    for (const service of Object.values(services))
      for (const [key, v] of Object.entries(service.environment ?? {}))
        if (SECRET_NAME.test(key)) expect(v, key).toMatch(/^\$\{/);
  });

  it('the web and worker containers, with deploy/.env filled in, parse their env.ts', () => {
    const env = filled(parseEnvFile(read('deploy/.env.example')));
    // Compose's own interpolation, for the few ${…} the services use.
    const interpolate = (s: string): string =>
      s.replace(
        /\$\{([A-Z0-9_]+)(?::[-?]((?:[^{}]|\{[^{}]*\})*))?\}/g,
        (_, key: string, fallback?: string) =>
          env[key] ?? (fallback !== undefined ? interpolate(fallback) : ''),
      );
    for (const [name, schema] of [
      ['web', webEnvSchema],
      ['worker', workerEnvSchema],
    ] as const) {
      const environment = Object.fromEntries(
        Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, interpolate(v)]),
      );
      const result = schema.safeParse({ ...env, ...environment });
      expect(result.success ? [] : result.error.issues, name).toEqual([]);
      if (result.success) {
        expect(result.data.DATABASE_URL).toMatch(/^postgres:\/\/anh:[^@]+@postgres:5432\/anh$/);
        expect(result.data.REDIS_URL).toBe('redis://redis:6379');
      }
    }
  });

  it('builds from multi-stage Dockerfiles that run as a non-root user with production deps', () => {
    const dockerfiles = [
      ...new Map(
        Object.values(services).flatMap((s) => (s.build ? [[s.build.dockerfile, s.build]] : [])),
      ).values(),
    ];
    expect(dockerfiles.map((b) => b.dockerfile).sort()).toEqual([
      'deploy/docker/web.Dockerfile',
      'deploy/docker/worker.Dockerfile',
    ]);
    for (const { context, dockerfile } of dockerfiles) {
      expect(join(DEPLOY, context)).toBe(ROOT);
      const lines = read(dockerfile)
        .replace(/\\\n/g, ' ')
        .split('\n')
        .filter((l) => l.trim() && !l.trim().startsWith('#'));
      const stages = lines.filter((l) => /^FROM\s/i.test(l));
      expect(stages.length, dockerfile).toBeGreaterThanOrEqual(3);
      const finalStage = lines.slice(lines.lastIndexOf(stages.at(-1)!));
      const user = finalStage.filter((l) => /^USER\s/i.test(l)).at(-1);
      expect(user, dockerfile).toBeDefined();
      expect(user!.split(/\s+/)[1], dockerfile).not.toMatch(/^(root|0)(:|$)/);
      expect(
        finalStage.some((l) => /^CMD\s/.test(l)),
        dockerfile,
      ).toBe(true);
      expect(
        finalStage.some((l) => /^HEALTHCHECK\s/.test(l)),
        dockerfile,
      ).toBe(true);
      const npm = lines.filter((l) => /\bnpm (ci|install|i)\b/.test(l));
      expect(
        npm.some((l) => /npm ci --omit=dev/.test(l)),
        dockerfile,
      ).toBe(true);
      expect(
        npm.every((l) => /\bnpm ci\b/.test(l)),
        `${dockerfile}: lockfile installs only`,
      ).toBe(true);
      // What COPY takes from the build context must exist in the repository.
      for (const line of lines.filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l))) {
        const parts = line.split(/\s+/).slice(1, -1);
        for (const source of parts.filter((p) => !p.startsWith('--') && p !== '.'))
          expect(existsSync(join(ROOT, source)), `${dockerfile}: COPY ${source}`).toBe(true);
      }
      expect(existsSync(join(ROOT, `${dockerfile}.dockerignore`)), dockerfile).toBe(true);
    }
  });

  it('the worker image runs the same bundle path the Dockerfile builds', () => {
    const dockerfile = read('deploy/docker/worker.Dockerfile');
    const worker = services.worker!;
    expect(dockerfile).toContain('npx tsx deploy/bundle.ts dist/server');
    expect(dockerfile).toMatch(/CMD \[.*"dist\/server\/worker\.mjs"\]/);
    expect(services.migrate?.image).toBe(worker.image);
    const { command } = z
      .object({ services: z.object({ migrate: z.object({ command: z.array(z.string()) }) }) })
      .parse(parseYaml(text)).services.migrate;
    expect(command).toContain('dist/server/migrate.mjs');
  });
});

describe('vercel.json (the web app only)', () => {
  const path = 'apps/web/vercel.json';
  const config = z
    .object({
      framework: z.literal('nextjs'),
      installCommand: z.string(),
      buildCommand: z.string(),
    })
    .parse(JSON.parse(read(path)));

  it('installs from the lockfile and builds the workspace it sits in', () => {
    expect(config.installCommand).toMatch(/\bnpm ci\b/);
    const filter = /--filter=(\S+)/.exec(config.buildCommand)?.[1];
    expect(filter).toBe((JSON.parse(read('apps/web/package.json')) as { name: string }).name);
    const turbo = JSON.parse(read('turbo.json')) as {
      tasks: Record<string, { outputs?: string[] }>;
    };
    expect(turbo.tasks.build?.outputs).toContain('.next/**');
  });

  it('is the only vercel.json: the Vercel project’s root directory is apps/web', () => {
    expect(existsSync(join(ROOT, 'vercel.json'))).toBe(false);
  });
});

describe('the server bundle (deploy/bundle.ts) the images and the release run', () => {
  const outdir = join(DEPLOY, 'dist', `test-${randomBytes(4).toString('hex')}`);
  const database = `anh_deploy_test_${randomBytes(4).toString('hex')}`;
  const prefix = `anh-deploy-test-${randomBytes(4).toString('hex')}`;
  const databaseUrl = (() => {
    const url = new URL(testEnv.TEST_DATABASE_URL);
    url.pathname = `/${database}`;
    return url.toString();
  })();
  let external: string[] = [];

  beforeAll(async () => {
    external = externalPackagesOf((await bundleServer(outdir)).metafile);
  });
  afterAll(async () => {
    rmSync(outdir, { recursive: true, force: true });
    // deploy/dist (git-ignored) goes too once no other run is using it.
    if (readdirSync(join(DEPLOY, 'dist')).length === 0)
      rmSync(join(DEPLOY, 'dist'), { recursive: true });
    const admin = new pg.Client({ connectionString: testEnv.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(testEnv.TEST_REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  });

  it('imports only packages `npm ci --omit=dev -w @anh/worker` puts at the top level', () => {
    const lock = JSON.parse(read('package-lock.json')) as Lockfile;
    const production = collectProductionDependencies(lock, (key) => readInstalled(ROOT, key))
      .filter((d) => d.workspaces.includes('@anh/worker'))
      .map((d) => `${d.name}@${d.version}`);
    expect(external).toContain('bullmq');
    for (const name of external) {
      const topLevel = lock.packages[`node_modules/${name}`];
      expect(topLevel, name).toBeDefined();
      expect(production, name).toContain(`${name}@${topLevel!.version}`);
    }
  });

  const env = (extra: Record<string, string>) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    ...extra,
  });

  it('links without tsx and stops on a missing secret with the env.ts message', () => {
    for (const entry of ['worker.mjs', 'migrate.mjs']) {
      const run = spawnSync(process.execPath, [join(outdir, entry)], {
        encoding: 'utf8',
        env: env({}),
      });
      expect(run.status, entry).toBe(1);
      expect(run.stderr, entry).not.toContain('ERR_MODULE_NOT_FOUND');
      expect(run.stderr, entry).toContain('TENANT_ROLE_SECRET is required');
    }
  });

  it('migrates an empty database (twice), then the worker starts, is healthy, and drains on SIGTERM', async () => {
    const secret = randomBytes(32).toString('base64url');
    const migrate = () =>
      spawnSync(process.execPath, [join(outdir, 'migrate.mjs')], {
        encoding: 'utf8',
        env: env({ DATABASE_URL: databaseUrl, TENANT_ROLE_SECRET: secret }),
      });
    const first = migrate();
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      databaseCreated: true,
    });
    const second = migrate();
    expect(second.status, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      databaseCreated: false,
      controlApplied: [],
    });

    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const child = spawn(process.execPath, [join(outdir, 'worker.mjs')], {
      env: env({
        DATABASE_URL: databaseUrl,
        REDIS_URL: testEnv.TEST_REDIS_URL,
        TENANT_ROLE_SECRET: secret,
        QUEUE_PREFIX: prefix,
        WORKER_HEALTH_PORT: String(port),
        LOG_LEVEL: 'warn',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      let health: unknown;
      for (let i = 0; i < 120 && health === undefined; i++) {
        await new Promise((r) => setTimeout(r, 250));
        if (child.exitCode !== null) break;
        health = await fetch(`http://127.0.0.1:${port}/ready`)
          .then((r) => (r.ok ? r.json() : undefined))
          .catch(() => undefined);
      }
      expect(health, output).toEqual({ ok: true, postgres: 'ok', redis: 'ok' });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, output).toBe(0);
  });
});

// Operators call the scripts directly: they must be executable and parse.
it('install.sh and build-release.sh are executable shell scripts', () => {
  for (const script of ['install.sh', 'build-release.sh']) {
    const path = join(DEPLOY, 'native', script);
    expect(statSync(path).mode & 0o111, script).not.toBe(0);
    const syntax = spawnSync('bash', ['-n', path], { encoding: 'utf8' });
    expect(syntax.status, syntax.stderr).toBe(0);
  }
});
