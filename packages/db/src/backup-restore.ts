import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { z } from 'zod';
import { verifyAuditChain } from '@anh/domain/audit';
import { AppError } from '@anh/domain/errors';
import type { KeyRing } from '@anh/domain/secret-box';
import { ensureDatabaseExists } from './admin';
import { appendControlAudit, appendTenantAudit, readAuditChain } from './audit-store';
import {
  CONTROL_TABLES,
  checkArchiveMigrations,
  controlPartSchema,
  openArchive,
  parse,
  readArchivePart,
  refuse,
  streamPart,
  type BackupManifest,
  type ControlPart,
  type ControlTable,
  type OpenedArchive,
  type Row,
} from './backup-archive';
import { countTenantTables, runTool, toolConnection, type ToolRun } from './backup-pg';
import { createDatabase } from './client';
import {
  applyControlMigrations,
  applyTenantMigrationsInTransaction,
  ensureTenantRoleAndSchema,
  hardenDatabase,
  inTransaction,
  withMigrationLock,
} from './migrate';
import { quoteIdent, tenantRoleName, tenantSchemaName } from './names';
import { verifyReportChains, type ReportChainProblem } from './report-chain';
import { auditLog as tenantAuditLog } from './schema/tenant';
import { verifyTenantAudit } from './tenants';

/**
 * Restore of one tenant from an archive (backup-archive.ts) into a database that does not
 * have it, checked end to end. See restoreTenant and docs/OPERATIONS.md.
 */

const pgBinDir = z.string().min(1).default('/usr/bin');

export const restoreOptionsSchema = z.object({
  /** The platform connection of the target database (created if it does not exist). */
  databaseUrl: z.url({ protocol: /^postgres(ql)?$/ }),
  archiveDir: z.string().min(1),
  /** The TARGET's secret: the restored tenant role's password is derived from it. */
  tenantRoleSecret: z.string().min(32),
  pgBinDir,
  actor: z.string().min(1).max(200).default('system:restore'),
});
export type RestoreOptions = z.input<typeof restoreOptionsSchema>;

/**
 * Columns that name a person who may not be in the archive (someone who invited or
 * registered and has since left the tenant). A restore keeps the reference when that
 * user exists in the target and clears it otherwise, as their ON DELETE SET NULL would.
 */
const USER_REFERENCES: Partial<Record<ControlTable, string[]>> = {
  invitations: ['invited_by'],
  connector_credentials: ['created_by'],
  enrollment_codes: ['created_by'],
};

// ---------------------------------------------------------------------------------------
// Restore

async function readControlPart(archive: OpenedArchive): Promise<ControlPart> {
  const bytes = await readArchivePart(archive, 'control');
  const part = parse(controlPartSchema, JSON.parse(bytes.toString('utf8')), 'Backup control part');
  const id = archive.manifest.tenant.id;
  const foreign = Object.entries(part.tables).some(([table, rows]) =>
    rows.some((row) =>
      table === 'tenants' ? row.id !== id : 'tenant_id' in row && row.tenant_id !== id,
    ),
  );
  if (part.tenantId !== id || foreign)
    throw refuse('INTEGRITY', 'tampered', 'the control part names another tenant');
  return part;
}

async function columnsOf(client: pg.ClientBase, table: ControlTable): Promise<Set<string>> {
  const { rows } = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = 'control' AND table_name = $1`,
    [table],
  );
  return new Set(rows.map((r) => r.column_name));
}

async function insertRow(
  client: pg.ClientBase,
  table: ControlTable,
  row: Row,
  columns: Set<string>,
): Promise<void> {
  const keys = Object.keys(row);
  const unknown = keys.filter((k) => !columns.has(k));
  if (unknown.length)
    throw refuse(
      'CONFLICT',
      'newer_migrations',
      `control.${table} here has no column ${unknown.join(', ')}: migrate the target first`,
    );
  const list = keys.map(quoteIdent).join(', ');
  // jsonb_populate_record turns each JSON value back into its column's type, exactly as
  // to_jsonb wrote it (timestamps to the microsecond, enums, bigints).
  await client.query(
    `INSERT INTO control.${quoteIdent(table)} (${list})
     SELECT ${list} FROM jsonb_populate_record(NULL::control.${quoteIdent(table)}, $1::jsonb)`,
    [JSON.stringify(row)],
  );
}

export interface RestoreResult {
  tenantId: string;
  slug: string;
  backupId: string;
  counts: BackupManifest['counts'];
  users: { created: number; alreadyThere: number };
  /** References to people not in the archive nor in the target, cleared (ON DELETE SET NULL). */
  referencesCleared: number;
  /** Tenant migrations newer than the backup, applied after the restore. */
  migrationsApplied: string[];
  audit: { entries: number; anchors: number };
  reports: { reports: number; sites: number };
  durationMs: number;
}

async function preflight(
  client: pg.ClientBase,
  manifest: BackupManifest,
  control: ControlPart,
): Promise<void> {
  const t = control.tables.tenants[0]!;
  const { id, schemaName, roleName } = manifest.tenant;
  if ((await client.query('SELECT 1 FROM control.tenants WHERE id = $1', [id])).rowCount)
    throw refuse('CONFLICT', 'tenant_exists', 'this tenant already exists in the target', {
      tenantId: id,
    });
  const clash = await client.query(
    `SELECT 1 FROM control.tenants WHERE slug = $1 OR nit_base = $2 OR anh_operator_code = $3`,
    [t.slug, t.nit_base, t.anh_operator_code],
  );
  if (clash.rowCount)
    throw refuse(
      'CONFLICT',
      'identity_taken',
      'another tenant of the target has this slug, NIT or ANH operator code',
    );
  if ((await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schemaName])).rowCount)
    throw refuse('CONFLICT', 'schema_exists', `schema ${schemaName} already exists in the target`);
  if ((await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [roleName])).rowCount)
    throw refuse(
      'CONFLICT',
      'role_exists',
      `role ${roleName} already exists in this PostgreSQL cluster (roles are cluster-wide: ` +
        'another database of the cluster holds this tenant)',
    );
  for (const user of control.tables.users) {
    const taken = await client.query(
      'SELECT 1 FROM control.users WHERE lower(email) = lower($1) AND id <> $2',
      [user.email, user.id],
    );
    if (taken.rowCount)
      throw refuse(
        'CONFLICT',
        'user_email_taken',
        'a different user of the target has the e-mail address of a member of this tenant',
        { userId: user.id },
      );
  }
}

async function dropRestored(client: pg.ClientBase, manifest: BackupManifest): Promise<void> {
  const role = quoteIdent(manifest.tenant.roleName);
  await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(manifest.tenant.schemaName)} CASCADE`);
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [
    manifest.tenant.roleName,
  ]);
  if (exists.rowCount) {
    await client.query(`DROP OWNED BY ${role}`);
    await client.query(`DROP ROLE ${role}`);
  }
}

/**
 * Restores one tenant from an archive into a database that does not have it (an empty
 * one is created and migrated). Refuses, before changing anything, an archive that was
 * changed (`tampered`), sealed with another key (`wrong_key`), made by newer code
 * (`newer_migrations`), or a tenant, schema, role, slug/NIT or member e-mail already there.
 * Then: the role and schema as provisioning makes them (password from this target's
 * TENANT_ROLE_SECRET), pg_restore as the tenant role (so it owns every object, as after
 * provisioning), and in one transaction the control rows, the checks (row counts, audit
 * chain with anchors, report hash chains), newer tenant migrations and the `tenant.restored`
 * audit entries. Any failure after the role was created drops the role and the schema again.
 * Last, the tenant is opened through the application path (its own role and password).
 */
export async function restoreTenant(input: RestoreOptions, ring: KeyRing): Promise<RestoreResult> {
  const started = performance.now();
  const options = parse(restoreOptionsSchema, input, 'Restore options');
  const archive = await openArchive(options.archiveDir, ring);
  const { manifest } = archive;
  checkArchiveMigrations(manifest);
  const control = await readControlPart(archive);
  const names = { schemaName: manifest.tenant.schemaName, roleName: manifest.tenant.roleName };
  if (
    names.schemaName !== tenantSchemaName(manifest.tenant.id) ||
    names.roleName !== tenantRoleName(manifest.tenant.id)
  )
    throw refuse('INTEGRITY', 'tampered', 'schema or role name does not match the tenant id');

  await ensureDatabaseExists(options.databaseUrl);
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: 'anh:restore',
  });
  await client.connect();
  let result: Omit<RestoreResult, 'durationMs' | 'reports' | 'audit'> & {
    audit: { anchors: number };
  };
  try {
    result = await withMigrationLock(client, async () => {
      await applyControlMigrations(client);
      await hardenDatabase(client);
      await preflight(client, manifest, control);

      await inTransaction(client, () =>
        ensureTenantRoleAndSchema(client, names, options.tenantRoleSecret),
      );
      try {
        await restoreSchema(archive, options);
        await checkOwnership(client, names);
        return await inTransaction(client, () =>
          restoreControlAndCheck(client, archive, control, options),
        );
      } catch (error) {
        try {
          await dropRestored(client, manifest);
        } catch (cleanup) {
          throw new AppError(
            'INTERNAL',
            `restore failed (${(error as Error).message}) and so did its clean-up: drop schema ` +
              `${names.schemaName} and role ${names.roleName} by hand before trying again`,
            { cause: error, details: { cleanup: (cleanup as Error).message } },
          );
        }
        throw error;
      }
    });
  } finally {
    await client.end().catch(() => undefined);
  }

  // Through the application path: the tenant's own role, with the password derived from
  // this target's secret, in its own schema.
  const db = createDatabase({
    url: options.databaseUrl,
    tenantRoleSecret: options.tenantRoleSecret,
    applicationName: 'anh:restore',
  });
  try {
    const open = manifest.tenant.status !== 'deprovisioned';
    const audit = open ? await verifyTenantAudit(db, manifest.tenant.id) : null;
    const chains = open
      ? await db.withTenantClient(manifest.tenant.id, verifyReportChains, { allowSuspended: true })
      : null;
    if ((audit && !audit.ok) || (chains && !chains.ok))
      throw refuse(
        'INTEGRITY',
        audit?.ok === false ? 'audit_chain' : 'report_chain',
        'the restored tenant does not verify through the application',
      );
    return {
      ...result,
      audit: { entries: audit?.count ?? 0, anchors: result.audit.anchors },
      reports: { reports: chains?.reports ?? 0, sites: chains?.sites.length ?? 0 },
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await db.close();
  }
}

/**
 * Streams the opened schema dump into a tool. When the tool stops early (pg_restore met an
 * error), the write side only sees a closed pipe: the tool's own failure is the one to
 * report. `pg_restore --list` stops, successfully, once it has read the table of contents.
 */
async function feed(
  archive: OpenedArchive,
  run: ToolRun,
  options: { readsOnlyTheStart?: boolean } = {},
): Promise<void> {
  const [streamed, exited] = await Promise.allSettled([
    streamPart(archive, 'schema', run.child.stdin!),
    run.done,
  ]);
  if (exited.status === 'rejected') throw exited.reason;
  if (streamed.status === 'rejected') {
    const code = (streamed.reason as { code?: string }).code;
    if (options.readsOnlyTheStart && (code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE'))
      return;
    throw streamed.reason;
  }
}

/** pg_restore as the tenant role: it creates (and so owns) every object, as migrations do. */
async function restoreSchema(
  archive: OpenedArchive,
  options: z.output<typeof restoreOptionsSchema>,
): Promise<void> {
  const pgRestore = join(options.pgBinDir, 'pg_restore');
  const { roleName } = archive.manifest.tenant;
  // First pass: the archive's table of contents, without the CREATE SCHEMA (the schema
  // exists already, owned by the tenant role, exactly as provisioning made it).
  const list = runTool(
    pgRestore,
    ['--list'],
    { LC_ALL: 'C.UTF-8' },
    { stdin: true, captureStdout: true },
  );
  await feed(archive, list, { readsOnlyTheStart: true });
  const toc = list
    .stdout()
    .split('\n')
    .filter((line) => !/^\d+;\s+\d+\s+\d+\s+SCHEMA\s+-\s/.test(line));
  const work = await mkdtemp(join(tmpdir(), 'anh-restore-'));
  try {
    const listFile = join(work, 'toc.list');
    await writeFile(listFile, toc.join('\n'), { mode: 0o600 });
    const connection = toolConnection(options.databaseUrl);
    const restore = runTool(
      pgRestore,
      [
        `--dbname=${connection.target}`,
        `--role=${roleName}`,
        `--use-list=${listFile}`,
        '--single-transaction',
        '--exit-on-error',
        '--no-owner',
        '--no-privileges',
        '--no-tablespaces',
      ],
      connection.env,
      { stdin: true, captureStdout: false },
    );
    await feed(archive, restore);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function checkOwnership(
  client: pg.ClientBase,
  names: { schemaName: string; roleName: string },
): Promise<void> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM (
       SELECT relowner AS owner FROM pg_class WHERE relnamespace = $1::regnamespace
       UNION ALL SELECT proowner FROM pg_proc WHERE pronamespace = $1::regnamespace
       UNION ALL SELECT typowner FROM pg_type WHERE typnamespace = $1::regnamespace
       UNION ALL SELECT nspowner FROM pg_namespace WHERE oid = $1::regnamespace
     ) o WHERE owner <> (SELECT oid FROM pg_roles WHERE rolname = $2)`,
    [names.schemaName, names.roleName],
  );
  if (Number(rows[0]!.n) > 0)
    throw refuse(
      'INTEGRITY',
      'ownership',
      `${rows[0]!.n} restored objects are not owned by the tenant role`,
    );
}

async function restoreControlAndCheck(
  client: pg.Client,
  archive: OpenedArchive,
  control: ControlPart,
  options: z.output<typeof restoreOptionsSchema>,
): Promise<
  Omit<RestoreResult, 'durationMs' | 'reports' | 'audit'> & { audit: { anchors: number } }
> {
  const { manifest } = archive;
  const tenantId = manifest.tenant.id;
  const names = { schemaName: manifest.tenant.schemaName, roleName: manifest.tenant.roleName };

  // 1. What pg_restore wrote, table by table, against the counts taken with the dump.
  const restored = await countTenantTables(client, names.schemaName);
  const expected = manifest.counts.tenant;
  const tables = new Set([...Object.keys(restored), ...Object.keys(expected)]);
  const mismatched = [...tables].filter((t) => restored[t] !== expected[t]);
  if (mismatched.length)
    throw refuse('INTEGRITY', 'count_mismatch', `row counts differ in ${mismatched.join(', ')}`, {
      tables: mismatched.map((t) => ({ table: t, expected: expected[t], restored: restored[t] })),
    });

  // 2. The control rows. A member who is already a user of the target keeps that account.
  const users = { created: 0, alreadyThere: 0 };
  let referencesCleared = 0;
  for (const table of CONTROL_TABLES) {
    const columns = await columnsOf(client, table);
    for (const row of control.tables[table]) {
      if (table === 'users') {
        const there = await client.query('SELECT 1 FROM control.users WHERE id = $1', [row.id]);
        if (there.rowCount) {
          users.alreadyThere++;
          continue;
        }
        users.created++;
      }
      const copy = { ...row };
      for (const column of USER_REFERENCES[table] ?? []) {
        const ref = copy[column];
        if (typeof ref !== 'string') continue;
        const found = await client.query('SELECT 1 FROM control.users WHERE id = $1', [ref]);
        if (!found.rowCount) {
          copy[column] = null;
          referencesCleared++;
        }
      }
      await insertRow(client, table, copy, columns);
    }
  }
  const userIds = control.tables.users.map((u) => u.id as string);
  for (const table of CONTROL_TABLES) {
    const where =
      table === 'tenants'
        ? 'id = $1::uuid'
        : table === 'users'
          ? 'id = ANY($1::uuid[])'
          : 'tenant_id = $1::uuid';
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM control.${quoteIdent(table)} WHERE ${where}`,
      [table === 'users' ? userIds : tenantId],
    );
    if (Number(rows[0]!.n) !== manifest.counts.control[table])
      throw refuse('INTEGRITY', 'count_mismatch', `control.${table} has the wrong number of rows`);
  }

  // 3. The chains, read as the tenant role: the audit log against the anchors just
  // restored, and every field's report chain from the stored bytes.
  const { rows: anchors } = await client.query<{ seq: string; hash: string }>(
    'SELECT seq, hash FROM control.audit_anchors WHERE tenant_id = $1',
    [tenantId],
  );
  await client.query(`SET LOCAL ROLE ${quoteIdent(names.roleName)}`);
  await client.query(`SET LOCAL search_path TO ${quoteIdent(names.schemaName)}`);
  const tenantSql = drizzle({ client });
  const entries = await readAuditChain(tenantSql, tenantAuditLog);
  const audit = verifyAuditChain(
    entries,
    anchors.map((a) => ({ seq: Number(a.seq), hash: a.hash })),
  );
  if (!audit.ok)
    throw refuse('INTEGRITY', 'audit_chain', 'the restored audit chain does not verify', {
      audit,
    });
  const chains = await verifyReportChains(client);
  if (!chains.ok)
    throw refuse('INTEGRITY', 'report_chain', 'a restored report chain does not verify', {
      problems: chains.problems.slice(0, 20) satisfies ReportChainProblem[],
    });

  // 4. Migrations newer than the backup, then the restore itself, in both audit logs.
  const migrationsApplied = await applyTenantMigrationsInTransaction(client, names);
  const event = {
    actor: options.actor,
    action: 'tenant.restored',
    entity: 'tenant',
    entityId: tenantId,
    data: {
      backupId: manifest.backupId,
      backupCreatedAt: manifest.createdAt,
      migrationsApplied,
    },
  };
  await appendTenantAudit(tenantSql, event);
  await client.query('RESET ROLE');
  await appendControlAudit(drizzle({ client }), {
    ...event,
    data: { ...event.data, slug: manifest.tenant.slug },
  });
  // A tenant backed up after it was taken out of service stays out of service.
  if (manifest.tenant.status === 'deprovisioned')
    await client.query(`ALTER ROLE ${quoteIdent(names.roleName)} NOLOGIN`);

  return {
    tenantId,
    slug: manifest.tenant.slug,
    backupId: manifest.backupId,
    counts: manifest.counts,
    users,
    referencesCleared,
    migrationsApplied,
    audit: { anchors: anchors.length },
  };
}
