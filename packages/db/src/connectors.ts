import { randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { AppError } from '@anh/domain/errors';
import { generateToken, hashSecret, sha256Hex, verifySecret } from '@anh/domain/secrets';
import type { Database } from './client';
import { connectorCredentials, enrollmentCodes, tenants } from './schema/control';
import { appendControlAudit } from './audit-store';

/**
 * Connector credentials: `keyId.secret`. The key id says which row to look at; only the
 * scrypt hash of the secret is stored, and the secret is returned once, at creation. The
 * row's id is the connector's id (the `connectorId` of its batches).
 */
export interface NewConnectorCredential {
  connectorId: string;
  keyId: string;
  secret: string;
  /** What the connector sends as its bearer token. */
  token: string;
}

export async function createConnectorCredential(
  db: Database,
  tenantId: string,
  input: { name: string; createdBy?: string | null; actor: string },
): Promise<NewConnectorCredential> {
  const keyId = `ck_${generateToken(12)}`;
  const secret = generateToken(32);
  const secretHash = await hashSecret(secret);
  const connectorId = await db.control.transaction((tx) =>
    insertCredential(tx, tenantId, { ...input, keyId, secretHash }),
  );
  return { connectorId, keyId, secret, token: `${keyId}.${secret}` };
}

type ControlTx = Parameters<Parameters<Database['control']['transaction']>[0]>[0];

async function insertCredential(
  tx: ControlTx,
  tenantId: string,
  input: {
    name: string;
    createdBy?: string | null;
    actor: string;
    keyId: string;
    secretHash: string;
  },
): Promise<string> {
  const [row] = await tx
    .insert(connectorCredentials)
    .values({
      tenantId,
      name: input.name,
      keyId: input.keyId,
      secretHash: input.secretHash,
      createdBy: input.createdBy ?? null,
    })
    .returning({ id: connectorCredentials.id });
  await appendControlAudit(tx, {
    actor: input.actor,
    action: 'connector.credential_created',
    entity: 'connector',
    entityId: row!.id,
    data: { tenantId, name: input.name, keyId: input.keyId },
  });
  return row!.id;
}

export interface ConnectorIdentity {
  connectorId: string;
  tenantId: string;
  name: string;
  maxBodyBytes: number | null;
  maxBatchesPerMinute: number | null;
}

/** Checks a bearer token; UNAUTHENTICATED for anything but a live credential of an active tenant. */
export async function authenticateConnector(
  db: Database,
  token: string,
): Promise<ConnectorIdentity> {
  const dot = token.indexOf('.');
  const refuse = () => new AppError('UNAUTHENTICATED', 'connector credential not recognised');
  if (dot < 4 || dot > 64) throw refuse();
  const keyId = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  const [row] = await db.control
    .select({
      id: connectorCredentials.id,
      tenantId: connectorCredentials.tenantId,
      name: connectorCredentials.name,
      secretHash: connectorCredentials.secretHash,
      maxBodyBytes: connectorCredentials.maxBodyBytes,
      maxBatchesPerMinute: connectorCredentials.maxBatchesPerMinute,
      tenantStatus: tenants.status,
    })
    .from(connectorCredentials)
    .innerJoin(tenants, eq(tenants.id, connectorCredentials.tenantId))
    .where(and(eq(connectorCredentials.keyId, keyId), isNull(connectorCredentials.revokedAt)));
  if (!row || !(await verifySecret(secret, row.secretHash))) throw refuse();
  if (row.tenantStatus !== 'active')
    throw new AppError('TENANT_INACTIVE', `company is ${row.tenantStatus}; uploads are refused`);
  await db.control
    .update(connectorCredentials)
    .set({ lastUsedAt: new Date() })
    .where(eq(connectorCredentials.id, row.id));
  return {
    connectorId: row.id,
    tenantId: row.tenantId,
    name: row.name,
    maxBodyBytes: row.maxBodyBytes,
    maxBatchesPerMinute: row.maxBatchesPerMinute,
  };
}

/** Letters and digits that cannot be misread on a site PC's screen (no 0/O, 1/I/L). */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

function newEnrollmentCode(): string {
  const bytes = randomBytes(12);
  const chars = [...bytes].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4, 8).join('')}-${chars.slice(8).join('')}`;
}

/** A one-time code for `anh-connector enroll`, shown once; valid `ttlMs` (default 24 h). */
export async function createEnrollmentCode(
  db: Database,
  tenantId: string,
  input: { connectorName: string; createdBy: string | null; nowMs: number; ttlMs?: number },
): Promise<{ code: string; expiresAt: Date }> {
  const code = newEnrollmentCode();
  const expiresAt = new Date(input.nowMs + (input.ttlMs ?? 24 * 3600_000));
  await db.control.transaction(async (tx) => {
    const [row] = await tx
      .insert(enrollmentCodes)
      .values({
        tenantId,
        connectorName: input.connectorName,
        codeHash: sha256Hex(code),
        createdBy: input.createdBy,
        expiresAt,
      })
      .returning({ id: enrollmentCodes.id });
    await appendControlAudit(tx, {
      actor: input.createdBy ? `user:${input.createdBy}` : 'system',
      action: 'connector.enrollment_code_created',
      entity: 'enrollment_code',
      entityId: row!.id,
      data: { tenantId, connectorName: input.connectorName, expiresAt: expiresAt.toISOString() },
    });
  });
  return { code, expiresAt };
}

/**
 * Trades a one-time code for a connector credential (once). Unknown, used and expired
 * codes are one answer, NOT_FOUND, so the endpoint says nothing about which it was.
 */
export async function enrollConnector(
  db: Database,
  input: { code: string; hostname: string; connectorVersion: string; nowMs: number },
): Promise<{ connectorId: string; tenantSlug: string; keyId: string; secret: string }> {
  const keyId = `ck_${generateToken(12)}`;
  const secret = generateToken(32);
  const secretHash = await hashSecret(secret);
  return db.control.transaction(async (tx) => {
    const [code] = await tx
      .select({
        id: enrollmentCodes.id,
        tenantId: enrollmentCodes.tenantId,
        connectorName: enrollmentCodes.connectorName,
        tenantSlug: tenants.slug,
        tenantStatus: tenants.status,
      })
      .from(enrollmentCodes)
      .innerJoin(tenants, eq(tenants.id, enrollmentCodes.tenantId))
      .where(
        and(
          eq(enrollmentCodes.codeHash, sha256Hex(input.code)),
          isNull(enrollmentCodes.usedAt),
          gt(enrollmentCodes.expiresAt, new Date(input.nowMs)),
        ),
      )
      .for('update');
    if (!code || code.tenantStatus !== 'active')
      throw new AppError('NOT_FOUND', 'the code is unknown, expired or already used');
    const connectorId = await insertCredential(tx, code.tenantId, {
      name: code.connectorName,
      actor: `enrollment:${input.hostname}`,
      keyId,
      secretHash,
    });
    await tx
      .update(enrollmentCodes)
      .set({ usedAt: new Date(input.nowMs), connectorId, usedFromHost: input.hostname })
      .where(eq(enrollmentCodes.id, code.id));
    return { connectorId, tenantSlug: code.tenantSlug, keyId, secret };
  });
}

export interface ConnectorSummary {
  id: string;
  name: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
}

export async function listConnectors(db: Database, tenantId: string): Promise<ConnectorSummary[]> {
  return db.control
    .select({
      id: connectorCredentials.id,
      name: connectorCredentials.name,
      createdAt: connectorCredentials.createdAt,
      lastSeenAt: connectorCredentials.lastUsedAt,
      revokedAt: connectorCredentials.revokedAt,
    })
    .from(connectorCredentials)
    .where(eq(connectorCredentials.tenantId, tenantId))
    .orderBy(connectorCredentials.createdAt);
}

/** Revokes a connector of this tenant (NOT_FOUND for another tenant's id). */
export async function revokeConnector(
  db: Database,
  tenantId: string,
  connectorId: string,
  input: { actor: string; nowMs: number },
): Promise<void> {
  await db.control.transaction(async (tx) => {
    const revoked = await tx
      .update(connectorCredentials)
      .set({ revokedAt: new Date(input.nowMs) })
      .where(
        and(
          eq(connectorCredentials.id, connectorId),
          eq(connectorCredentials.tenantId, tenantId),
          isNull(connectorCredentials.revokedAt),
        ),
      )
      .returning({ id: connectorCredentials.id });
    if (revoked.length === 0) throw new AppError('NOT_FOUND', 'connector not found');
    await appendControlAudit(tx, {
      actor: input.actor,
      action: 'connector.revoked',
      entity: 'connector',
      entityId: connectorId,
      data: { tenantId },
    });
  });
}
