import { sql, type SQL } from 'drizzle-orm';
import {
  chainAuditEntry,
  type AuditContent,
  type AuditEntry,
  type AuditHead,
} from '@anh/domain/audit';
import { controlAuditLog } from './schema/control';
import { auditLog as tenantAuditLog } from './schema/tenant';

/** Anything that can run SQL: a drizzle database or transaction, control or tenant. */
export interface SqlRunner {
  execute(query: SQL): Promise<{ rows: Array<Record<string, unknown>> }>;
}

type AuditTable = typeof controlAuditLog | typeof tenantAuditLog;

export type NewAuditEvent = Omit<AuditContent, 'seq' | 'at'> & { at?: Date };

/**
 * Appends one event to a hash-chained audit log. Must run inside a transaction: the
 * table lock serialises writers so every entry links to the true previous head, and it
 * is released at commit. Readers are not blocked.
 */
export async function appendAudit(
  tx: SqlRunner,
  table: AuditTable,
  event: NewAuditEvent,
): Promise<AuditEntry> {
  await tx.execute(sql`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
  const { rows } = await tx.execute(sql`SELECT seq, hash FROM ${table} ORDER BY seq DESC LIMIT 1`);
  const last = rows[0];
  const head: AuditHead | null = last ? { seq: Number(last.seq), hash: String(last.hash) } : null;
  const entry = chainAuditEntry(head, {
    at: (event.at ?? new Date()).toISOString(),
    actor: event.actor,
    action: event.action,
    entity: event.entity,
    entityId: event.entityId,
    data: event.data ?? null,
  });
  await tx.execute(sql`
    INSERT INTO ${table} (seq, at, actor, action, entity, entity_id, data, prev_hash, hash)
    VALUES (${entry.seq}, ${entry.at}, ${entry.actor}, ${entry.action}, ${entry.entity},
            ${entry.entityId}, ${JSON.stringify(entry.data)}::jsonb, ${entry.prevHash}, ${entry.hash})`);
  return entry;
}

export async function appendTenantAudit(tx: SqlRunner, event: NewAuditEvent): Promise<AuditEntry> {
  return appendAudit(tx, tenantAuditLog, event);
}

export async function appendControlAudit(tx: SqlRunner, event: NewAuditEvent): Promise<AuditEntry> {
  return appendAudit(tx, controlAuditLog, event);
}

/** Reads a whole chain in order. */
export async function readAuditChain(tx: SqlRunner, table: AuditTable): Promise<AuditEntry[]> {
  const { rows } = await tx.execute(
    sql`SELECT seq, at, actor, action, entity, entity_id, data, prev_hash, hash FROM ${table} ORDER BY seq`,
  );
  return rows.map((row) => ({
    seq: Number(row.seq),
    at: new Date(row.at as string | Date).toISOString(),
    actor: String(row.actor),
    action: String(row.action),
    entity: String(row.entity),
    entityId: typeof row.entity_id === 'string' ? row.entity_id : null,
    data: row.data,
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  }));
}
