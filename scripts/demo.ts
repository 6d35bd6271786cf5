/**
 * The demo: seeds a recognisable tenant with a field and one user per role (idempotent),
 * then runs the web app and the worker until Ctrl-C. Started by scripts/demo.sh, which
 * prepares services, secrets and migrations first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { count } from 'drizzle-orm';
import { z } from 'zod';
import { createDatabase, provisionTenant, tenantTables } from '@anh/db';
import { seedField, seedMembership, seedUser } from '@anh/db/seed';
import { DEMO_FIELD, DEMO_OPERATOR } from '@anh/domain/simulation';
import type { MemberRole } from '@anh/domain/tenancy';

const env = z
  .object({
    DATABASE_URL: z.string().url(),
    TENANT_ROLE_SECRET: z.string().min(32),
    NEXTAUTH_URL: z.string().url(),
    DEMO_PASSWORD: z.string().min(8),
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
await db.close();

console.log('demo: building the web app (about 20 s)…');
const build = spawnSync('npm', ['run', 'build', '-w', '@anh/web'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// Both run as direct children of this process (not through npm or npx, which do not
// pass SIGTERM on), so stopping the demo stops them.
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
const children: ChildProcess[] = [
  spawn(process.execPath, [nextBin, 'start', '--hostname', '127.0.0.1', '--port', '3000'], {
    cwd: 'apps/web',
    stdio: 'inherit',
  }),
  spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: 'apps/worker',
    stdio: 'inherit',
  }),
];

console.log(`
  ANH Smart Reporter — demo
  Web:     ${env.NEXTAUTH_URL}
  Worker:  http://127.0.0.1:3001/health
  Empresa: ${DEMO_TENANT.legalName} (NIT ${DEMO_TENANT.nit})
  Login:   ${DEMO_USERS.map((u) => u.email).join(', ')}
  Clave / password: ${env.DEMO_PASSWORD}   (kept in .data/dev.env)
  Ctrl-C stops everything.
`);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
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
