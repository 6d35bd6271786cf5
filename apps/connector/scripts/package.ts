/**
 * `npm run package -w @anh/connector`: the one artifact a site technician installs.
 * Bundles our code (the connector and the domain package it uses) into
 * dist/anh-connector/, with a package.json that names the runtime dependencies, the
 * systemd unit, the operator guide and an example configuration, then packs it:
 *
 *   npm install -g anh-connector-<version>.tgz     (on the site machine, Node 20)
 *   anh-connector check-config --config connector.yaml
 *   ANH_CONNECTOR_CREDENTIAL=… anh-connector run --config connector.yaml
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist', 'anh-connector');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};
// Native or heavy libraries stay real dependencies, installed from the npm registry.
const external = [
  'better-sqlite3',
  'modbus-serial',
  'mqtt',
  'node-opcua',
  'node-opcua-crypto',
  'sparkplug-payload',
  'yaml',
  'zod',
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'src', 'cli.ts')],
  outdir: out,
  entryNames: 'anh-connector',
  bundle: true,
  splitting: true, // keeps node-opcua and mqtt.js loading only when a source needs them
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  banner: {
    js: "import { createRequire as __anhCreateRequire } from 'node:module'; const require = __anhCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
writeFileSync(
  join(out, 'package.json'),
  JSON.stringify(
    {
      name: 'anh-connector',
      version: manifest.version,
      description:
        'ANH Smart Reporter field connector: SCADA (Modbus, OPC UA, MQTT) to the ANH reporting cloud, store-and-forward.',
      type: 'module',
      bin: { 'anh-connector': 'anh-connector.js' },
      engines: { node: '>=20.19 <21 || >=22' },
      dependencies: Object.fromEntries(
        external.map((name) => [name, manifest.dependencies[name] ?? '*']),
      ),
    },
    null,
    2,
  ),
);
// npm makes `bin` executable; the shebang comes from cli.ts.
copyFileSync(join(root, 'deploy', 'anh-connector.service'), join(out, 'anh-connector.service'));
copyFileSync(join(root, '..', '..', 'docs', 'connector.md'), join(out, 'README.md'));
writeFileSync(
  join(out, 'connector.example.yaml'),
  readFileSync(join(root, 'deploy', 'connector.example.yaml'), 'utf8'),
);
const tarball = execFileSync(
  'npm',
  ['pack', '--silent', '--pack-destination', join(root, 'dist')],
  { cwd: out, encoding: 'utf8' },
).trim();
console.log(JSON.stringify({ artifact: join(root, 'dist', tarball) }));
