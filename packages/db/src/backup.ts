import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { z } from 'zod';
import { AppError } from '@anh/domain/errors';
import { seal, type KeyRing } from '@anh/domain/secret-box';
import type { TENANT_STATUSES } from '@anh/domain/tenancy';
import {
  BACKUP_FORMAT,
  CONTROL_TABLES,
  KEY_CHECK,
  MANIFEST_FILE,
  MANIFEST_SEAL_FILE,
  PART_FILES,
  keyCheckContext,
  parse,
  partAad,
  sealToFile,
  writeManifest,
  type BackupManifest,
  type ControlPart,
  type ControlTable,
  type Row,
} from './backup-archive';
import { countTenantTables, runTool, toolConnection, toolVersion, type ToolRun } from './backup-pg';
import { quoteIdent, tenantIdSchema, tenantRoleName, tenantSchemaName } from './names';

/**
 * Backup and restore of one tenant (`@anh/db/backup`): its PostgreSQL schema (pg_dump,
 * custom format, no owners or privileges) and its rows in the control schema, read in one
 * snapshot, sealed with the product's key ring (AES-256-GCM, SECRETS_KEYRING), described
 * by a manifest. The archive format and its checks are in backup-archive.ts, the restore
 * (into another database, with that database's TENANT_ROLE_SECRET, then verified: row
 * counts, audit chain with anchors, every report hash chain) in backup-restore.ts.
 * Operators: `npm run db:backup` / `npm run db:restore`, docs/OPERATIONS.md.
 */

export {
  BACKUP_FORMAT,
  backupManifestSchema,
  checkArchiveMigrations,
  openArchive,
  readArchivePart,
  writeManifest,
  type BackupManifest,
  type OpenedArchive,
  type RestoreRefusal,
} from './backup-archive';
export {
  restoreOptionsSchema,
  restoreTenant,
  type RestoreOptions,
  type RestoreResult,
} from './backup-restore';

const CONTROL_SELECT: Record<ControlTable, string> = {
  tenants: 'SELECT to_jsonb(t) AS row FROM control.tenants t WHERE t.id = $1',
  users: `SELECT to_jsonb(u) AS row FROM control.users u
           WHERE u.id IN (SELECT user_id FROM control.memberships WHERE tenant_id = $1) ORDER BY u.id`,
  memberships:
    'SELECT to_jsonb(m) AS row FROM control.memberships m WHERE m.tenant_id = $1 ORDER BY m.user_id',
  connector_credentials:
    'SELECT to_jsonb(c) AS row FROM control.connector_credentials c WHERE c.tenant_id = $1 ORDER BY c.id',
  invitations:
    'SELECT to_jsonb(i) AS row FROM control.invitations i WHERE i.tenant_id = $1 ORDER BY i.id',
  enrollment_codes:
    'SELECT to_jsonb(e) AS row FROM control.enrollment_codes e WHERE e.tenant_id = $1 ORDER BY e.id',
  audit_anchors:
    'SELECT to_jsonb(a) AS row FROM control.audit_anchors a WHERE a.tenant_id = $1 ORDER BY a.seq',
};

const pgBinDir = z.string().min(1).default('/usr/bin');

export const backupOptionsSchema = z.object({
  /** The platform connection of the database the tenant lives in. */
  databaseUrl: z.url({ protocol: /^postgres(ql)?$/ }),
  /** Tenant id or slug. */
  tenant: z.string().min(1).max(100),
  /** Directory to create for the archive; it must not exist yet. */
  outDir: z.string().min(1),
  pgBinDir,
});
export type BackupOptions = z.input<typeof backupOptionsSchema>;

// ---------------------------------------------------------------------------------------
// Backup

async function findTenant(
  client: pg.ClientBase,
  key: string,
): Promise<{ id: string; slug: string; status: (typeof TENANT_STATUSES)[number] }> {
  const byId = tenantIdSchema.safeParse(key).success;
  const { rows } = await client.query<{
    id: string;
    slug: string;
    status: (typeof TENANT_STATUSES)[number];
  }>(`SELECT id, slug, status FROM control.tenants WHERE ${byId ? 'id = $1::uuid' : 'slug = $1'}`, [
    key,
  ]);
  if (!rows[0]) throw new AppError('NOT_FOUND', 'Tenant not found', { details: { tenant: key } });
  return rows[0];
}

async function readMigrations(
  client: pg.ClientBase,
  table: string,
): Promise<Array<{ tag: string; hash: string }>> {
  const { rows } = await client.query<{ tag: string; hash: string }>(
    `SELECT tag, hash FROM ${table} ORDER BY tag`,
  );
  return rows;
}

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
  /** Bytes written (all files of the archive). */
  bytes: number;
  durationMs: number;
}

/**
 * Backs up one tenant into a new directory. Everything is read in one snapshot (a
 * repeatable-read transaction whose snapshot pg_dump imports), so the control rows, the
 * counts and the schema dump agree with each other. Nothing is written unsealed but the
 * manifest, which holds no secret. On failure the directory is removed.
 */
export async function backupTenant(input: BackupOptions, ring: KeyRing): Promise<BackupResult> {
  const started = performance.now();
  const options = parse(backupOptionsSchema, input, 'Backup options');
  const key = ring.keys.get(ring.current)!;
  const dir = resolve(options.outDir);
  await mkdir(dirname(dir), { recursive: true });
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST')
      throw new AppError('CONFLICT', `${dir} already exists: choose a new directory`);
    throw error;
  }

  let complete = false;
  let dump: ToolRun | null = null;
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: 'anh:backup',
  });
  try {
    await client.connect();
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id'))
      .rows[0]!.id;
    const tenant = await findTenant(client, options.tenant);
    const schemaName = tenantSchemaName(tenant.id);
    const roleName = tenantRoleName(tenant.id);
    const schemaExists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      schemaName,
    ]);
    if (schemaExists.rowCount !== 1)
      throw new AppError('NOT_FOUND', "The tenant's data was dropped: nothing to back up", {
        details: { tenantId: tenant.id },
      });

    const tables = {} as ControlPart['tables'];
    const controlCounts: Record<string, number> = {};
    for (const table of CONTROL_TABLES) {
      const { rows } = await client.query<{ row: Row }>(CONTROL_SELECT[table], [tenant.id]);
      tables[table] = rows.map((r) => r.row);
      controlCounts[table] = rows.length;
    }
    const controlDoc: ControlPart = {
      format: 'anh-tenant-control',
      version: 1,
      tenantId: tenant.id,
      tables,
    };
    const migrations = {
      control: await readMigrations(client, 'anh_migrations.control'),
      tenant: await readMigrations(client, `${quoteIdent(schemaName)}._migrations`),
    };
    const tenantCounts = await countTenantTables(client, schemaName);
    const serverVersion = (await client.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v;
    const pgDump = join(options.pgBinDir, 'pg_dump');

    const backupId = randomUUID();
    const ids = { backupId, tenant: { id: tenant.id } } as BackupManifest;
    const controlPart = await sealToFile(
      Readable.from([Buffer.from(JSON.stringify(controlDoc))]),
      join(dir, PART_FILES.control),
      key,
      partAad(ids, 'control'),
    );
    const connection = toolConnection(options.databaseUrl);
    dump = runTool(
      pgDump,
      [
        '--format=custom',
        `--snapshot=${snapshot}`,
        `--schema=${schemaName}`,
        '--no-owner',
        '--no-privileges',
        '--no-tablespaces',
        `--dbname=${connection.target}`,
      ],
      connection.env,
      { stdin: false, captureStdout: false },
    );
    const [schemaPart] = await Promise.all([
      sealToFile(dump.child.stdout!, join(dir, PART_FILES.schema), key, partAad(ids, 'schema')),
      dump.done,
    ]);
    await client.query('COMMIT');

    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: 1,
      backupId,
      createdAt: new Date().toISOString(),
      tenant: { id: tenant.id, slug: tenant.slug, status: tenant.status, schemaName, roleName },
      source: { serverVersion, pgDump: await toolVersion(pgDump) },
      migrations,
      sealing: {
        algorithm: 'AES-256-GCM',
        keyId: ring.current,
        keyCheck: seal(ring, KEY_CHECK, keyCheckContext(backupId)),
      },
      parts: {
        control: { ...controlPart, file: PART_FILES.control },
        schema: { ...schemaPart, file: PART_FILES.schema },
      },
      counts: { control: controlCounts, tenant: tenantCounts },
    };
    await writeManifest(dir, manifest, ring);
    complete = true;
    const bytes = (
      await Promise.all(
        [MANIFEST_FILE, MANIFEST_SEAL_FILE, ...Object.values(PART_FILES)].map((f) =>
          stat(join(dir, f)),
        ),
      )
    ).reduce((sum, s) => sum + s.size, 0);
    return { dir, manifest, bytes, durationMs: Math.round(performance.now() - started) };
  } finally {
    if (dump && dump.child.exitCode === null) dump.child.kill();
    await client.end().catch(() => undefined);
    if (!complete) await rm(dir, { recursive: true, force: true });
  }
}
