import { z } from 'zod';

/**
 * PostgreSQL names of a tenant's schema and role. They are derived from the tenant id,
 * not its slug: catalog names are visible cluster-wide to some views, and an opaque id
 * reveals nothing about which company is behind it.
 */
export const tenantIdSchema = z.uuid();

function compactId(tenantId: string): string {
  return tenantIdSchema.parse(tenantId).replaceAll('-', '').toLowerCase();
}

export function tenantSchemaName(tenantId: string): string {
  return `t_${compactId(tenantId)}`;
}

export function tenantRoleName(tenantId: string): string {
  return `anh_t_${compactId(tenantId)}`;
}

/** Quotes an SQL identifier. Only ever used on names this module derived. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes an SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
