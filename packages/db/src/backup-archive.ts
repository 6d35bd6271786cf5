import { createCipheriv, createDecipheriv, createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { AppError, validationError } from '@anh/domain/errors';
import { open, seal, type KeyRing } from '@anh/domain/secret-box';
import { TENANT_STATUSES } from '@anh/domain/tenancy';
import { CONTROL_MIGRATIONS, TENANT_MIGRATIONS } from './migrations.generated';
import { tenantIdSchema } from './names';

/**
 * The tenant backup archive: its format, its sealing and its checks (no database here;
 * backup.ts writes archives, backup-restore.ts restores them).
 *
 * An archive is a directory:
 *   manifest.json          what is inside: tenant, time, migration versions, row counts,
 *                          and for each part its size, SHA-256 (sealed and plain), IV, tag.
 *                          Readable without the key (nothing secret in it).
 *   manifest.seal          the manifest's SHA-256, sealed: a changed manifest is refused.
 *   control.json.sealed    the control rows (tenant, memberships, the users they name with
 *                          their password hashes, connector credentials, …), sealed.
 *   schema.pgdump.sealed   pg_dump of the tenant schema (custom format), sealed.
 * Parts are sealed with AES-256-GCM under a key of the product's key ring
 * (SECRETS_KEYRING; the manifest names the key id), the additional data binding each part
 * to its archive, tenant and name.
 */

export const BACKUP_FORMAT = 'anh-tenant-backup';
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_SEAL_FILE = 'manifest.seal';
export const PART_FILES = {
  control: 'control.json.sealed',
  schema: 'schema.pgdump.sealed',
} as const;
export type PartName = keyof typeof PART_FILES;
export const KEY_CHECK = 'anh-backup key check';
const MAX_MANIFEST_BYTES = 1 << 20;
const MAX_CONTROL_PART_BYTES = 256 << 20;

/**
 * The control tables that hold a tenant's rows, in the order a restore inserts them.
 * `users` are those the tenant's memberships name. Left out on purpose: `audit_log` (the
 * platform's own hash chain, shared by all tenants: a restore appends `tenant.restored`
 * to the target's instead), `accounts` and `sessions` (per person, not per tenant: OAuth
 * links and database sessions are not in use; sign-in is JWT) and `verification_tokens`
 * (short-lived e-mail links).
 */
export const CONTROL_TABLES = [
  'tenants',
  'users',
  'memberships',
  'connector_credentials',
  'invitations',
  'enrollment_codes',
  'audit_anchors',
] as const;
export type ControlTable = (typeof CONTROL_TABLES)[number];

// ---------------------------------------------------------------------------------------
// Schemas

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const base64url = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .refine((s) => Buffer.from(s, 'base64url').length === bytes, `must be ${bytes} bytes`);
const migrationEntry = z.object({ tag: z.string().regex(/^\d{4}_[a-z0-9_]+$/), hash: sha256Hex });
export const partSchema = z
  .object({
    file: z.string(),
    sealedBytes: z.number().int().nonnegative(),
    sealedSha256: sha256Hex,
    plainBytes: z.number().int().nonnegative(),
    plainSha256: sha256Hex,
    iv: base64url(12),
    tag: base64url(16),
  })
  .strict();
const countsSchema = z.record(
  z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
  z.number().int().nonnegative(),
);

export const backupManifestSchema = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    version: z.literal(1),
    backupId: z.uuid(),
    createdAt: z.iso.datetime({ offset: true }),
    tenant: z
      .object({
        id: tenantIdSchema,
        slug: z.string().min(1).max(100),
        status: z.enum(TENANT_STATUSES),
        schemaName: z.string().regex(/^t_[0-9a-f]{32}$/),
        roleName: z.string().regex(/^anh_t_[0-9a-f]{32}$/),
      })
      .strict(),
    source: z.object({ serverVersion: z.string(), pgDump: z.string() }).strict(),
    migrations: z
      .object({ control: z.array(migrationEntry), tenant: z.array(migrationEntry) })
      .strict(),
    sealing: z
      .object({
        algorithm: z.literal('AES-256-GCM'),
        keyId: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
        /** A known text sealed with the key: tells a wrong key from a changed manifest. */
        keyCheck: z.string().min(1).max(500),
      })
      .strict(),
    parts: z
      .object({
        control: partSchema.extend({ file: z.literal(PART_FILES.control) }),
        schema: partSchema.extend({ file: z.literal(PART_FILES.schema) }),
      })
      .strict(),
    counts: z.object({ control: countsSchema, tenant: countsSchema }).strict(),
  })
  .strict();
export type BackupManifest = z.infer<typeof backupManifestSchema>;

const rowSchema = z.record(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/), z.json());
export type Row = z.infer<typeof rowSchema>;
export const controlPartSchema = z
  .object({
    format: z.literal('anh-tenant-control'),
    version: z.literal(1),
    tenantId: tenantIdSchema,
    tables: z.object({
      tenants: z.array(rowSchema).length(1),
      users: z.array(rowSchema),
      memberships: z.array(rowSchema),
      connector_credentials: z.array(rowSchema),
      invitations: z.array(rowSchema),
      enrollment_codes: z.array(rowSchema),
      audit_anchors: z.array(rowSchema),
    }),
  })
  .strict();
export type ControlPart = z.infer<typeof controlPartSchema>;

export function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(what, parsed.error.issues);
  return parsed.data;
}

export type RestoreRefusal =
  | 'tampered'
  | 'wrong_key'
  | 'newer_migrations'
  | 'migration_changed'
  | 'tenant_exists'
  | 'schema_exists'
  | 'role_exists'
  | 'identity_taken'
  | 'user_email_taken'
  | 'ownership'
  | 'count_mismatch'
  | 'audit_chain'
  | 'report_chain';

export function refuse(
  code: 'INTEGRITY' | 'CONFLICT',
  reason: RestoreRefusal,
  message: string,
  details: Record<string, unknown> = {},
): AppError {
  return new AppError(code, message, { details: { reason, ...details } });
}

// ---------------------------------------------------------------------------------------
// Sealing: AES-256-GCM over streams, with a key from the key ring. The additional data
// binds each part to its archive, tenant and name, so parts cannot be swapped around.

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

export function tap(hash: Hash, count: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      count.bytes += chunk.length;
      callback(null, chunk);
    },
  });
}

export type SealedPart = z.infer<typeof partSchema>;

export async function sealToFile(
  source: Readable,
  path: string,
  key: Buffer,
  aad: string,
): Promise<SealedPart> {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const plainHash = createHash('sha256');
  const sealedHash = createHash('sha256');
  const plain = { bytes: 0 };
  const sealed = { bytes: 0 };
  await pipeline(
    source,
    tap(plainHash, plain),
    cipher,
    tap(sealedHash, sealed),
    createWriteStream(path, { flags: 'wx', mode: 0o600 }),
  );
  return {
    file: path.slice(path.lastIndexOf('/') + 1),
    sealedBytes: sealed.bytes,
    sealedSha256: sealedHash.digest('hex'),
    plainBytes: plain.bytes,
    plainSha256: plainHash.digest('hex'),
    iv: iv.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  };
}

export const partAad = (manifest: Pick<BackupManifest, 'backupId' | 'tenant'>, part: PartName) =>
  `anh-backup/v1/${manifest.backupId}/${manifest.tenant.id}/${part}`;
export const manifestContext = (backupId: string) => `anh-backup/v1/${backupId}/manifest`;
export const keyCheckContext = (backupId: string) => `anh-backup/v1/${backupId}/key-check`;

/** An archive whose manifest, seal and part files have been checked (see openArchive). */
export interface OpenedArchive {
  dir: string;
  manifest: BackupManifest;
  key: Buffer;
}

function decipherFor(archive: OpenedArchive, part: PartName) {
  const info = archive.manifest.parts[part];
  const decipher = createDecipheriv('aes-256-gcm', archive.key, Buffer.from(info.iv, 'base64url'));
  decipher.setAAD(Buffer.from(partAad(archive.manifest, part)));
  decipher.setAuthTag(Buffer.from(info.tag, 'base64url'));
  return decipher;
}

/**
 * Streams a part, opened, into `destination`; checks on the way that the sealed bytes are
 * still those of the manifest and that the plain bytes are what was sealed (the GCM tag).
 */
export async function streamPart(
  archive: OpenedArchive,
  part: PartName,
  destination: Writable,
): Promise<void> {
  const info = archive.manifest.parts[part];
  const sealedHash = createHash('sha256');
  const plainHash = createHash('sha256');
  try {
    await pipeline(
      createReadStream(join(archive.dir, info.file)),
      tap(sealedHash, { bytes: 0 }),
      decipherFor(archive, part),
      tap(plainHash, { bytes: 0 }),
      destination,
    );
  } catch (error) {
    if (error instanceof Error && /authenticate data/.test(error.message))
      throw refuse('INTEGRITY', 'tampered', `part ${part} does not open: it was changed`, {
        part,
      });
    throw error;
  }
  if (
    sealedHash.digest('hex') !== info.sealedSha256 ||
    plainHash.digest('hex') !== info.plainSha256
  )
    throw refuse('INTEGRITY', 'tampered', `part ${part} changed while it was read`, { part });
}

/** A (small) part opened into memory. */
export async function readArchivePart(archive: OpenedArchive, part: PartName): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  await streamPart(
    archive,
    part,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > MAX_CONTROL_PART_BYTES && part === 'control')
          return callback(new AppError('PAYLOAD_TOO_LARGE', 'control part is too large'));
        chunks.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(chunks);
}

async function fileSha256(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Reads and checks an archive without touching any database: the manifest is valid and
 * sealed by a key of `ring` (else `wrong_key`), unchanged (else `tampered`), and every
 * part file has the size and SHA-256 the manifest gives (else `tampered`).
 */
export async function openArchive(archiveDir: string, ring: KeyRing): Promise<OpenedArchive> {
  const dir = resolve(archiveDir);
  const manifestPath = join(dir, MANIFEST_FILE);
  const info = await stat(manifestPath).catch(() => null);
  if (!info?.isFile())
    throw new AppError('NOT_FOUND', `${manifestPath} not found: not a tenant backup`);
  if (info.size > MAX_MANIFEST_BYTES)
    throw refuse('INTEGRITY', 'tampered', 'the manifest is too large to be ours');
  const manifestBytes = await readFile(manifestPath);
  let json: unknown;
  try {
    json = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    throw refuse('INTEGRITY', 'tampered', 'the manifest is not JSON');
  }
  const manifest = parse(backupManifestSchema, json, 'Backup manifest');

  const { keyId, keyCheck } = manifest.sealing;
  const key = ring.keys.get(keyId);
  if (!key)
    throw refuse(
      'INTEGRITY',
      'wrong_key',
      `the backup was sealed with key ${keyId}, which is not in SECRETS_KEYRING`,
      { keyId },
    );
  let checked: string | null = null;
  try {
    checked = open(ring, keyCheck, keyCheckContext(manifest.backupId));
  } catch {
    checked = null;
  }
  if (checked !== KEY_CHECK || !keyCheck.startsWith(`v1.${keyId}.`))
    throw refuse(
      'INTEGRITY',
      'wrong_key',
      `key ${keyId} in SECRETS_KEYRING is not the key this backup was sealed with`,
      { keyId },
    );

  const sealText = (await readFile(join(dir, MANIFEST_SEAL_FILE), 'utf8').catch(() => '')).trim();
  let sealedDigest: string | null = null;
  try {
    sealedDigest = open(ring, sealText, manifestContext(manifest.backupId));
  } catch {
    sealedDigest = null;
  }
  if (sealedDigest !== sha256(manifestBytes))
    throw refuse('INTEGRITY', 'tampered', 'the manifest was changed after the backup', {
      part: 'manifest',
    });

  for (const part of Object.keys(PART_FILES) as PartName[]) {
    const expected = manifest.parts[part];
    const actual = await fileSha256(join(dir, expected.file)).catch(() => null);
    if (!actual || actual.bytes !== expected.sealedBytes || actual.sha256 !== expected.sealedSha256)
      throw refuse('INTEGRITY', 'tampered', `part ${part} is missing or was changed`, { part });
  }
  return { dir, manifest, key };
}

/** Re-seals a manifest (after a deliberate edit, e.g. in tests). Needs the sealing key. */
export async function writeManifest(
  archiveDir: string,
  manifest: BackupManifest,
  ring: KeyRing,
): Promise<void> {
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(archiveDir, MANIFEST_FILE), bytes, { mode: 0o600 });
  await writeFile(
    join(archiveDir, MANIFEST_SEAL_FILE),
    `${seal(ring, sha256(bytes), manifestContext(manifest.backupId))}\n`,
    { mode: 0o600 },
  );
}

function knownHashes(migrations: ReadonlyArray<{ tag: string; sql: string }>) {
  return new Map(migrations.map((m) => [m.tag, sha256(m.sql)]));
}

/** The archive's schema versions must all be known to this code, unchanged. */
export function checkArchiveMigrations(manifest: BackupManifest): void {
  const newer: string[] = [];
  const changed: string[] = [];
  const levels = [
    ['control', knownHashes(CONTROL_MIGRATIONS)],
    ['tenant', knownHashes(TENANT_MIGRATIONS)],
  ] as const;
  for (const [level, known] of levels) {
    for (const m of manifest.migrations[level]) {
      const hash = known.get(m.tag);
      if (hash === undefined) newer.push(`${level}/${m.tag}`);
      else if (hash !== m.hash) changed.push(`${level}/${m.tag}`);
    }
  }
  if (newer.length)
    throw refuse(
      'CONFLICT',
      'newer_migrations',
      `the backup has migrations this code does not know (${newer.join(', ')}): restore it with a newer release`,
      { migrations: newer },
    );
  if (changed.length)
    throw refuse(
      'INTEGRITY',
      'migration_changed',
      `migrations differ between the backup and this code (${changed.join(', ')})`,
      { migrations: changed },
    );
}
