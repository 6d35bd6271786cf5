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

/** The tenant id a schema name was derived from, or null when it is not a tenant schema. */
export function tenantIdOfSchema(schema: string): string | null {
  const match = /^t_([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/.exec(
    schema,
  );
  return match ? match.slice(1).join('-') : null;
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
