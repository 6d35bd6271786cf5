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

/** Gives a registered (pending) connector its credential: enrollment on site. */
async function completePendingCredential(
  tx: ControlTx,
  tenantId: string,
  connectorId: string,
  input: { actor: string; keyId: string; secretHash: string; nowMs: number },
): Promise<string> {
  const [row] = await tx
    .update(connectorCredentials)
    .set({ keyId: input.keyId, secretHash: input.secretHash, enrolledAt: new Date(input.nowMs) })
    .where(
      and(
        eq(connectorCredentials.id, connectorId),
        eq(connectorCredentials.tenantId, tenantId),
        isNull(connectorCredentials.enrolledAt),
        isNull(connectorCredentials.revokedAt),
      ),
    )
    .returning({ id: connectorCredentials.id });
  // Revoked (or enrolled by a concurrent code) since the code was made: the code is void.
  if (!row) throw new AppError('NOT_FOUND', 'the code is unknown, expired or already used');
  await appendControlAudit(tx, {
    actor: input.actor,
    action: 'connector.enrolled',
    entity: 'connector',
    entityId: connectorId,
    data: { tenantId, keyId: input.keyId },
  });
  return connectorId;
}

/**
 * Registers a connector in the web app before anyone is on site: it has an id (its
 * mapping and configuration file can be prepared) but no credential until enrollment.
 */
export async function registerConnector(
  db: Database,
  tenantId: string,
  input: { name: string; createdBy: string; actor: string },
): Promise<{ connectorId: string }> {
  const connectorId = await db.control.transaction(async (tx) => {
    const [row] = await tx
      .insert(connectorCredentials)
      .values({
        tenantId,
        name: input.name,
        // Placeholders no token can match: key ids of real credentials start with ck_,
        // and an empty hash never verifies.
        keyId: `pending_${generateToken(12)}`,
        secretHash: '',
        createdBy: input.createdBy,
        enrolledAt: null,
      })
      .returning({ id: connectorCredentials.id });
    await appendControlAudit(tx, {
      actor: input.actor,
      action: 'connector.registered',
      entity: 'connector',
      entityId: row!.id,
      data: { tenantId, name: input.name },
    });
    return row!.id;
  });
  return { connectorId };
}

/** Health a connector reports with each upload (request headers, outside the batch). */
export interface ConnectorStatus {
  version?: string | undefined;
  bufferDepth?: number | undefined;
  bufferOldestAt?: Date | null | undefined;
}

/** Records what a connector said of itself (and that it was heard from now). */
export async function recordConnectorStatus(
  db: Database,
  connectorId: string,
  status: ConnectorStatus,
  nowMs: number,
): Promise<void> {
  await db.control
    .update(connectorCredentials)
    .set({
      lastUsedAt: new Date(nowMs),
      ...(status.version !== undefined ? { connectorVersion: status.version } : {}),
      ...(status.bufferDepth !== undefined
        ? {
            bufferDepth: status.bufferDepth,
            bufferOldestAt: status.bufferOldestAt ?? null,
            statusAt: new Date(nowMs),
          }
        : {}),
    })
    .where(eq(connectorCredentials.id, connectorId));
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
  if (!row || !keyId.startsWith('ck_') || !(await verifySecret(secret, row.secretHash)))
    throw refuse();
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
  input: {
    connectorName: string;
    createdBy: string | null;
    nowMs: number;
    ttlMs?: number;
    /** A connector registered in the web app (pending): the code enrolls that one. */
    connectorId?: string;
  },
): Promise<{ code: string; expiresAt: Date }> {
  const code = newEnrollmentCode();
  const expiresAt = new Date(input.nowMs + (input.ttlMs ?? 24 * 3600_000));
  await db.control.transaction(async (tx) => {
    if (input.connectorId) {
      const [pending] = await tx
        .select({ id: connectorCredentials.id })
        .from(connectorCredentials)
        .where(
          and(
            eq(connectorCredentials.id, input.connectorId),
            eq(connectorCredentials.tenantId, tenantId),
            isNull(connectorCredentials.enrolledAt),
            isNull(connectorCredentials.revokedAt),
          ),
        );
      if (!pending)
        throw new AppError(
          'NOT_FOUND',
          'Conector no encontrado o ya inscrito / connector not found or already enrolled',
        );
    }
    const [row] = await tx
      .insert(enrollmentCodes)
      .values({
        tenantId,
        connectorId: input.connectorId ?? null,
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
        pendingConnectorId: enrollmentCodes.connectorId,
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
    const connectorId = code.pendingConnectorId
      ? await completePendingCredential(tx, code.tenantId, code.pendingConnectorId, {
          actor: `enrollment:${input.hostname}`,
          keyId,
          secretHash,
          nowMs: input.nowMs,
        })
      : await insertCredential(tx, code.tenantId, {
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
  enrolledAt: Date | null;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
  version: string | null;
  bufferDepth: number | null;
  bufferOldestAt: Date | null;
  statusAt: Date | null;
}

export async function listConnectors(db: Database, tenantId: string): Promise<ConnectorSummary[]> {
  return db.control
    .select({
      id: connectorCredentials.id,
      name: connectorCredentials.name,
      createdAt: connectorCredentials.createdAt,
      enrolledAt: connectorCredentials.enrolledAt,
      lastSeenAt: connectorCredentials.lastUsedAt,
      revokedAt: connectorCredentials.revokedAt,
      version: connectorCredentials.connectorVersion,
      bufferDepth: connectorCredentials.bufferDepth,
      bufferOldestAt: connectorCredentials.bufferOldestAt,
      statusAt: connectorCredentials.statusAt,
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
