/**
 * The demo: seeds a recognisable tenant with a field and one user per role (idempotent),
 * then runs the web app and the worker until Ctrl-C. Started by scripts/demo.sh, which
 * prepares services, secrets and migrations first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { and, count, eq, isNull } from 'drizzle-orm';
import { parseConfig } from '@anh/connector/config';
import { z } from 'zod';
import {
  controlTables,
  createConnectorCredential,
  createDatabase,
  fieldConfig,
  provisionTenant,
  tenantTables,
} from '@anh/db';
import { saveDeliverySettings } from '@anh/db/reports';
import { ensurePartitionsFor, loadBindings } from '@anh/db/telemetry';
import { bogotaDayOf, bogotaDayStart, previousBogotaDay } from '@anh/domain/bogota-day';
import { variableByCode } from '@anh/domain/catalog';
import { readConnectorConfigForImport } from '@anh/domain/tag-mapping';
import { parseKeyRing } from '@anh/domain/secret-box';
import { createTestFtpServer } from '@anh/worker/test-ftp-server';
import { seedField, seedMembership, seedUser } from '@anh/db/seed';
import { seedProductionHistory } from '@anh/db/seed-history';
import { DEMO_FIELD, DEMO_OPERATOR } from '@anh/domain/simulation';
import type { MemberRole } from '@anh/domain/tenancy';

const env = z
  .object({
    DATABASE_URL: z.string().url(),
    TENANT_ROLE_SECRET: z.string().min(32),
    NEXTAUTH_URL: z.string().url(),
    DEMO_PASSWORD: z.string().min(8),
    SECRETS_KEYRING: z.string().min(1),
  })
  .parse(process.env);

const DEMO_TENANT = {
  slug: 'demo-llanos',
  legalName: DEMO_OPERATOR.legalName,
  nit: DEMO_OPERATOR.nit,
  anhOperatorCode: DEMO_OPERATOR.anhOperatorCode,
};
const DEMO_USERS: Array<{ email: string; name: string; role: MemberRole }> = [
  { email: 'admin@demo.local', name: 'Administradora Demo', role: 'admin' },
  { email: 'ingeniero@demo.local', name: 'Ingeniero de Producción Demo', role: 'engineer' },
  { email: 'operador@demo.local', name: 'Operador de Campo Demo', role: 'operator' },
  { email: 'auditor@demo.local', name: 'Auditora Demo', role: 'auditor' },
];

const HISTORY_SITE = 'LLANOS-30D';
const db = createDatabase({
  url: env.DATABASE_URL,
  tenantRoleSecret: env.TENANT_ROLE_SECRET,
  applicationName: 'anh-demo',
});
const { tenant } = await provisionTenant(db, DEMO_TENANT, { actor: 'system:demo' });
for (const user of DEMO_USERS) {
  const row = await seedUser(db, {
    email: user.email,
    name: user.name,
    password: env.DEMO_PASSWORD,
  });
  await seedMembership(db, tenant.id, row.id, user.role);
}
const [sites] = await db.withTenant(tenant.id, (tx) =>
  tx.select({ n: count() }).from(tenantTables.sites),
);
if (sites!.n === 0) {
  await seedField(db, tenant.id, {
    siteCode: DEMO_FIELD.code,
    siteName: DEMO_FIELD.name,
    fieldName: DEMO_FIELD.fieldName,
    wells: 6,
  });
}
// The site connector's credential, made once and kept in .data/ (mode 0600), as
// `anh-connector enroll` would; made again if the database was reset.
const connectorDir = resolve('.data/connector');
mkdirSync(connectorDir, { recursive: true, mode: 0o700 });
const credentialFile = resolve(connectorDir, 'credential.json');
const saved = existsSync(credentialFile)
  ? z
      .object({ connectorId: z.uuid(), token: z.string() })
      .safeParse(JSON.parse(readFileSync(credentialFile, 'utf8')))
  : null;
let connector = saved?.success ? saved.data : null;
if (connector) {
  const [row] = await db.control
    .select({ id: controlTables.connectorCredentials.id })
    .from(controlTables.connectorCredentials)
    .where(
      and(
        eq(controlTables.connectorCredentials.id, connector.connectorId),
        isNull(controlTables.connectorCredentials.revokedAt),
      ),
    );
  if (!row) connector = null;
}
if (!connector) {
  const made = await createConnectorCredential(db, tenant.id, {
    name: 'Conector de la estación (demo)',
    actor: 'system:demo',
  });
  connector = { connectorId: made.connectorId, token: made.token };
  writeFileSync(credentialFile, JSON.stringify(connector), { mode: 0o600 });
}
const bindings = await db.withTenantClient(tenant.id, loadBindings);

// A stand-in for the ANH's FTPS server on 127.0.0.1:2121 (files in .data/anh-ftp/root), the
// demo tenant's delivery target. With yesterday's slots seeded (when missing), the worker's
// catch-up builds yesterday's report as soon as it is past 06:00 Bogotá, and delivers it.
const anhFtpDir = resolve('.data/anh-ftp');
const anhFtp = await createTestFtpServer({
  port: 2121,
  dir: anhFtpDir,
  password: env.DEMO_PASSWORD,
});
await anhFtp.start();
await saveDeliverySettings(
  db,
  tenant.id,
  {
    host: '127.0.0.1',
    port: anhFtp.port,
    tlsMode: 'explicit',
    tlsCaPem: anhFtp.caPem,
    remoteDir: '/reportes',
    username: anhFtp.user,
    password: anhFtp.password,
  },
  { ring: parseKeyRing(env.SECRETS_KEYRING), actor: 'system:demo' },
);
await seedYesterday();
await seedHistory();
await db.close();

/**
 * A second site with 30 days of 20 wells (stored slots, up to now), once: the dashboard's
 * trends, forecast and 30-day views have something to show from the first minute. Nothing
 * feeds it afterwards (the demo connector reads the first site), so its today stays as it was.
 */
async function seedHistory(): Promise<void> {
  const [existing] = await db.withTenant(tenant.id, (tx) =>
    tx
      .select({ n: count() })
      .from(tenantTables.sites)
      .where(eq(tenantTables.sites.code, HISTORY_SITE)),
  );
  if (existing!.n > 0) return;
  await seedProductionHistory(db, tenant.id, {
    wells: 20,
    days: 30,
    nowMs: Date.now(),
    siteCode: HISTORY_SITE,
  });
}

/** Yesterday's 144 slots for every variable (plausible values, counters rising), once. */
async function seedYesterday(): Promise<void> {
  const yesterday = previousBogotaDay(bogotaDayOf(Date.now()));
  const start = (bogotaDayStart(yesterday) as { ok: true; ms: number }).ms;
  await ensurePartitionsFor(db, tenant.id, { first: start, last: start + 86_400_000 });
  await db.withTenantClient(tenant.id, async (client) => {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM slots WHERE slot_start >= $1 AND slot_start < $2',
      [new Date(start).toISOString(), new Date(start + 86_400_000).toISOString()],
    );
    if (Number(rows[0]!.n) > 0) return;
    const variable: string[] = [];
    const slotStart: string[] = [];
    const mean: number[] = [];
    const first: number[] = [];
    const last: number[] = [];
    const delta: Array<number | null> = [];
    for (const b of bindings) {
      const definition = variableByCode(b.code);
      if (!definition) continue;
      const [lo, hi] = definition.typicalRange;
      const counter = definition.kind === 'totalizer';
      for (let k = 0; k < 144; k++) {
        const value = counter ? 100_000 + k * 25 : lo + (hi - lo) * (0.5 + 0.05 * Math.sin(k / 9));
        variable.push(b.id);
        slotStart.push(new Date(start + k * 600_000).toISOString());
        mean.push(value);
        first.push(counter ? value - 25 : value);
        last.push(value);
        delta.push(counter ? 25 : null);
      }
    }
    await client.query(
      `INSERT INTO slots (variable_id, slot_start, count, mean, min, max, first, last, completeness, flag, delta, inner_delta)
       SELECT v, s, 10, m, m, m, f, l, 1, 'G', d, d FROM unnest($1::uuid[], $2::timestamptz[], $3::float8[], $4::float8[], $5::float8[], $6::float8[]) AS u(v, s, m, f, l, d)`,
      [variable, slotStart, mean, first, last, delta],
    );
  });
}

/**
 * The simulator writes a connector configuration whose tags name a point and a variable;
 * here each tag is bound to the demo tenant's variable (its id), as the field
 * configuration screen will do, and the variable takes the unit the field sends.
 */
async function bindSimulatorConfig(text: string): Promise<string> {
  const changes: Array<{ id: string; unit: string }> = [];
  const tag = /binding: ([^,]+), point: ([^,]+), variable: ([^,]+), unit: "([^"]+)"/;
  const lines = text.split('\n').flatMap((line) => {
    const found = tag.exec(line);
    if (!found) return [line];
    const [, , point, variable, unit] = found as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const match = bindings.find((b) => b.pointCode === point && b.code === variable);
    if (!match) return []; // not part of the demo field
    if (match.unit !== unit) changes.push({ id: match.id, unit });
    return [
      line.replace(
        tag,
        `binding: ${match.id}, point: ${point}, variable: ${variable}, unit: "${unit}"`,
      ),
    ];
  });
  const bound = lines.join('\n');
  const again = createDatabase({
    url: env.DATABASE_URL,
    tenantRoleSecret: env.TENANT_ROLE_SECRET,
  });
  await again.withTenantClient(tenant.id, async (client) => {
    for (const change of changes)
      await client.query('UPDATE variables SET unit = $2 WHERE id = $1', [change.id, change.unit]);
  });
  // The web app's tag mapping shows what this connector reads (its file, imported).
  const checked = parseConfig(bound);
  if (!checked.ok) throw new Error(`demo connector config: ${JSON.stringify(checked.problems)}`);
  await again.withTenant(tenant.id, (tx) =>
    fieldConfig.importConnectorMapping(
      tx,
      { actor: 'system:demo' },
      connector!.connectorId,
      readConnectorConfigForImport(checked.config),
    ),
  );
  await again.close();
  return bound;
}

console.log('demo: building the web app (about 20 s)…');
const build = spawnSync('npm', ['run', 'build', '-w', '@anh/web'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
// The installable connector, offered on the connectors page (apps/connector/dist).
const packaged = spawnSync('npm', ['run', 'package', '-w', '@anh/connector'], { stdio: 'inherit' });
if (packaged.status !== 0) process.exit(packaged.status ?? 1);

// A local mail catcher (Debian's aiosmtpd, when installed) so sign-up confirmations,
// password resets and invitations can be followed: every message is appended to
// .data/mail/outbox.txt. Without it the web app sends no e-mail (invitation links are then
// shown to the admin instead).
const outbox = resolve('.data/mail/outbox.txt');
const mailCatcher = spawnSync('/usr/bin/python3', ['-c', 'import aiosmtpd']).status === 0;
mkdirSync(dirname(outbox), { recursive: true });
const mailCatcherProcess = mailCatcher
  ? spawn('/usr/bin/python3', ['-u', '-m', 'aiosmtpd', '-n', '-l', '127.0.0.1:2525'], {
      stdio: ['ignore', openSync(outbox, 'a'), 'inherit'],
    })
  : null;

// Both run as direct children of this process (not through npm or npx, which do not
// pass SIGTERM on), so stopping the demo stops them.
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
const children: ChildProcess[] = [
  spawn(process.execPath, [nextBin, 'start', '--hostname', '127.0.0.1', '--port', '3000'], {
    cwd: 'apps/web',
    env: mailCatcher ? { ...process.env, SMTP_URL: 'smtp://127.0.0.1:2525' } : process.env,
    stdio: 'inherit',
  }),
  spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: 'apps/worker',
    // Slots close every 10 minutes; the demo aggregates 15 s after, and sweeps often.
    env: {
      ...process.env,
      AGGREGATE_GRACE_MS: '15000',
      PIPELINE_SWEEP_EVERY_MS: '5000',
      // Alert e-mails go to the same mail catcher as the web app's.
      ...(mailCatcher ? { SMTP_URL: 'smtp://127.0.0.1:2525' } : {}),
    },
    stdio: 'inherit',
  }),
  ...(mailCatcherProcess ? [mailCatcherProcess] : []),
];

// The simulated field (Modbus TCP PLC, OPC UA fiscal meter, MQTT tank) and the connector
// that reads it and uploads to the web app: the whole path, end to end.
const connectorCli = resolve('apps/connector/src/cli.ts');
const simulatedConfig = resolve(connectorDir, 'simulated.yaml');
const connectorConfig = resolve(connectorDir, 'connector.yaml');
rmSync(simulatedConfig, { force: true });
children.push(
  spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      connectorCli,
      'simulate',
      '--wells',
      '6',
      '--cloud-url',
      env.NEXTAUTH_URL,
      '--write-config',
      simulatedConfig,
    ],
    { cwd: 'apps/connector', stdio: 'inherit' },
  ),
);
for (let i = 0; !existsSync(simulatedConfig); i++) {
  if (i > 600) throw new Error('the field simulator did not start');
  await new Promise((r) => setTimeout(r, 100));
}
writeFileSync(connectorConfig, await bindSimulatorConfig(readFileSync(simulatedConfig, 'utf8')));
children.push(
  spawn(process.execPath, ['--import', 'tsx', connectorCli, 'run', '--config', connectorConfig], {
    cwd: 'apps/connector',
    env: {
      ...process.env,
      ANH_CONNECTOR_ID: connector.connectorId,
      ANH_CONNECTOR_CREDENTIAL: connector.token,
      ANH_CONNECTOR_STATUS_PORT: '7070',
    },
    stdio: 'inherit',
  }),
);

console.log(`
  ANH Smart Reporter — demo
  Web:     ${env.NEXTAUTH_URL}
  Worker:  http://127.0.0.1:3001/health
  Campo simulado / simulated field: Modbus TCP :5020, OPC UA :4840, MQTT :1883
  ANH (FTPS, stand-in): 127.0.0.1:2121 → ${anhFtpDir}/root/reportes (yesterday's report
    is built and delivered once it is past 06:00 Bogotá)
  Conector / connector: http://127.0.0.1:7070/status  (config ${connectorConfig})
  Datos / data: the connector uploads every few seconds; 10-minute slots appear ~15 s
  after each slot closes (the counts are printed here every minute).
  Empresa: ${DEMO_TENANT.legalName} (NIT ${DEMO_TENANT.nit})
  Login:   ${DEMO_USERS.map((u) => u.email).join(', ')}
  Clave / password: ${env.DEMO_PASSWORD}   (kept in .data/dev.env)
  Registro / sign-up: ${env.NEXTAUTH_URL}/registro — ${mailCatcher ? `e-mails (confirmation links) land in ${outbox}` : 'install python3-aiosmtpd to receive the confirmation e-mail'}
  Ctrl-C stops everything.
`);

// Every minute, what has arrived: proof that the path runs end to end.
const statusDb = createDatabase({
  url: env.DATABASE_URL,
  tenantRoleSecret: env.TENANT_ROLE_SECRET,
  applicationName: 'anh-demo-status',
});
const statusTimer = setInterval(() => {
  statusDb
    .withTenantClient(tenant.id, async (client) => {
      const { rows } = await client.query<Record<string, string | null>>(
        `SELECT (SELECT count(*) FROM ingest_batches) AS batches,
                (SELECT count(*) FROM samples) AS samples,
                (SELECT count(*) FROM slots) AS slots,
                (SELECT to_char(max(slot_start) AT TIME ZONE 'America/Bogota', 'YYYY-MM-DD HH24:MI') FROM slots) AS "lastSlotBogota",
                (SELECT count(*) FROM reports) AS reports,
                (SELECT count(*) FROM reports WHERE delivered_at IS NOT NULL) AS "reportsDelivered"`,
      );
      console.log(`demo: ${JSON.stringify(rows[0])}`);
    })
    .catch((error: unknown) => console.error('demo: status query failed', error));
}, 60_000);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  clearInterval(statusTimer);
  void statusDb.close();
  void anhFtp.stop();
  for (const child of children) child.kill('SIGTERM');
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) {
  child.on('exit', (code) => {
    if (!stopping) {
      console.error(`demo: a process exited (code ${code}); stopping the rest`);
      stop();
      process.exitCode = code ?? 1;
    }
  });
}
