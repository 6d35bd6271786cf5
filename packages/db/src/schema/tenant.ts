import { sql } from 'drizzle-orm';
import {
  check,
  doublePrecision,
  index,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { POINT_KINDS } from '@anh/domain/tenancy';
import { auditLogColumns } from './audit-columns';

/**
 * Tables of one tenant. They carry no schema name on purpose: each tenant's copy lives
 * in its own PostgreSQL schema, and queries resolve through the search_path that
 * withTenant() sets. No tenant_id column is needed; the schema is the tenant.
 * Enumerations are text + CHECK rather than PostgreSQL enum types, so no type has to
 * be shared between schemas.
 */
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const sites = pgTable('sites', {
  id: uuid('id').primaryKey().defaultRandom(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  /** Field (campo) name as the ANH knows it. */
  fieldName: text('field_name').notNull(),
  /** E&P contract under which the field produces, when known. */
  contract: text('contract'),
  department: text('department'),
  municipality: text('municipality'),
  latitude: doublePrecision('latitude'),
  longitude: doublePrecision('longitude'),
  createdAt: createdAt(),
});

const pointKindList = sql.raw(POINT_KINDS.map((k) => `'${k}'`).join(', '));

export const measurementPoints = pgTable(
  'measurement_points',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'restrict' }),
    code: text('code').notNull(),
    name: text('name').notNull(),
    kind: text('kind', { enum: POINT_KINDS }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('measurement_points_site_code_key').on(t.siteId, t.code),
    check('measurement_points_kind', sql`${t.kind} in (${pointKindList})`),
    index('measurement_points_site_idx').on(t.siteId),
  ],
);

export const variables = pgTable(
  'variables',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pointId: uuid('point_id')
      .notNull()
      .references(() => measurementPoints.id, { onDelete: 'restrict' }),
    /** Code of the variable in the domain catalog, e.g. `tubing_head_pressure`. */
    code: text('code').notNull(),
    /** Unit the field sends it in; normalised to the catalog's canonical unit on ingest. */
    unit: text('unit').notNull(),
    /** SCADA tag or address it is read from, once mapped. */
    sourceTag: text('source_tag'),
    createdAt: createdAt(),
  },
  (t) => [
    unique('variables_point_code_key').on(t.pointId, t.code),
    index('variables_point_idx').on(t.pointId),
  ],
);

export const auditLog = pgTable('audit_log', auditLogColumns());
