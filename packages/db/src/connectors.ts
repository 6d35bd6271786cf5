import { and, eq, isNull } from 'drizzle-orm';
import { AppError } from '@anh/domain/errors';
import { generateToken, hashSecret, verifySecret } from '@anh/domain/secrets';
import type { Database } from './client';
import { connectorCredentials, tenants } from './schema/control';
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
  const connectorId = await db.control.transaction(async (tx) => {
    const [row] = await tx
      .insert(connectorCredentials)
      .values({ tenantId, name: input.name, keyId, secretHash, createdBy: input.createdBy ?? null })
      .returning({ id: connectorCredentials.id });
    await appendControlAudit(tx, {
      actor: input.actor,
      action: 'connector.credential_created',
      entity: 'connector',
      entityId: row!.id,
      data: { tenantId, name: input.name, keyId },
    });
    return row!.id;
  });
  return { connectorId, keyId, secret, token: `${keyId}.${secret}` };
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
