import { bigint, char, jsonb, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Columns of an append-only, hash-chained audit log. The control schema and every tenant
 * schema have one with exactly these columns, so one piece of code writes and verifies both.
 */
export function auditLogColumns() {
  return {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, precision: 3, mode: 'date' }).notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id'),
    data: jsonb('data').notNull(),
    prevHash: char('prev_hash', { length: 64 }).notNull(),
    hash: char('hash', { length: 64 }).notNull().unique(),
  };
}
