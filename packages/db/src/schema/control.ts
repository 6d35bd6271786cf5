import { sql } from 'drizzle-orm';
import {
  bigint,
  char,
  check,
  index,
  integer,
  pgSchema,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { MEMBER_ROLES, TENANT_STATUSES } from '@anh/domain/tenancy';
import { auditLogColumns } from './audit-columns';

/**
 * The control schema: who the tenants are, who may sign in, and what they may do.
 * Only the platform's own connection (DATABASE_URL) reaches it; tenant roles have no
 * privilege here at all.
 */
export const control = pgSchema('control');

export const tenantStatus = control.enum('tenant_status', TENANT_STATUSES);
export const memberRole = control.enum('member_role', MEMBER_ROLES);

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const tenants = control.table(
  'tenants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull().unique(),
    legalName: text('legal_name').notNull(),
    nitBase: text('nit_base').notNull().unique(),
    nitCheckDigit: smallint('nit_check_digit').notNull(),
    anhOperatorCode: text('anh_operator_code').notNull().unique(),
    status: tenantStatus('status').notNull().default('active'),
    /** PostgreSQL schema and role of the tenant: opaque names derived from the id. */
    schemaName: text('schema_name').notNull().unique(),
    roleName: text('role_name').notNull().unique(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    deprovisionedAt: timestamp('deprovisioned_at', { withTimezone: true }),
  },
  (t) => [check('nit_check_digit_range', sql`${t.nitCheckDigit} between 0 and 9`)],
);

export const users = control.table(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    name: text('name'),
    emailVerified: timestamp('email_verified', { withTimezone: true, mode: 'date' }),
    image: text('image'),
    /** argon2id hash (@anh/domain/passwords; older ones scrypt); null for e-mail-link-only users. */
    passwordHash: text('password_hash'),
    locale: text('locale').notNull().default('es-CO'),
    createdAt: createdAt(),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    /** TOTP shared secret, sealed with the key ring (@anh/domain/secret-box); null: no second factor. */
    totpSecretSealed: text('totp_secret_sealed'),
    /** Set when the user confirmed a first code: from then on sign-in asks for one. */
    totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true }),
    /** The 30-second step of the last code accepted: a code is good once (no replay). */
    totpLastStep: bigint('totp_last_step', { mode: 'number' }),
    /** Sessions issued before this instant are refused ("sign out everywhere", password reset). */
    sessionsValidAfter: timestamp('sessions_valid_after', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    check('users_locale', sql`${t.locale} in ('es-CO', 'en')`),
  ],
);

export const memberships = control.table(
  'memberships',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: memberRole('role').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.userId] }),
    index('memberships_user_idx').on(t.userId),
  ],
);

export const invitations = control.table(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    role: memberRole('role').notNull(),
    /** SHA-256 of the token sent by e-mail; the token itself is never stored. */
    tokenHash: char('token_hash', { length: 64 }).notNull().unique(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('invitations_tenant_idx').on(t.tenantId)],
);

export const connectorCredentials = control.table(
  'connector_credentials',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Public half of the credential, sent in the clear to say which secret to check. */
    keyId: text('key_id').notNull().unique(),
    /** scrypt hash of the secret half; the secret is shown once, at creation. */
    secretHash: text('secret_hash').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** Per-connector ingest limits; null means the platform default. */
    maxBodyBytes: integer('max_body_bytes'),
    maxBatchesPerMinute: integer('max_batches_per_minute'),
    /**
     * Null while the connector is registered in the web app but not yet enrolled on site
     * (its key id is a placeholder and its secret hash empty: no token can match it).
     */
    enrolledAt: timestamp('enrolled_at', { withTimezone: true }).defaultNow(),
    /** Health as the connector last reported it with an upload (headers, not batch content). */
    connectorVersion: text('connector_version'),
    bufferDepth: bigint('buffer_depth', { mode: 'number' }),
    bufferOldestAt: timestamp('buffer_oldest_at', { withTimezone: true }),
    statusAt: timestamp('status_at', { withTimezone: true }),
  },
  (t) => [index('connector_credentials_tenant_idx').on(t.tenantId)],
);

/**
 * One-time codes that enroll a connector: made in the web app by an admin or engineer,
 * typed on site into `anh-connector enroll`, good once and for a limited time. Only the
 * code's SHA-256 is stored.
 */
export const enrollmentCodes = control.table(
  'enrollment_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    connectorName: text('connector_name').notNull(),
    codeHash: char('code_hash', { length: 64 }).notNull().unique(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    /** The connector (credential) the code became. */
    connectorId: uuid('connector_id').references(() => connectorCredentials.id, {
      onDelete: 'set null',
    }),
    usedFromHost: text('used_from_host'),
    createdAt: createdAt(),
  },
  (t) => [index('enrollment_codes_tenant_idx').on(t.tenantId)],
);

// --- next-auth (v4 adapter shape). Sessions are JWT today; these tables let an
// adapter (e-mail sign-in, OAuth) be switched on without a schema change.
export const accounts = control.table(
  'accounts',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    provider: text('provider').notNull(),
    providerAccountId: text('provider_account_id').notNull(),
    refreshToken: text('refresh_token'),
    accessToken: text('access_token'),
    expiresAt: integer('expires_at'),
    tokenType: text('token_type'),
    scope: text('scope'),
    idToken: text('id_token'),
    sessionState: text('session_state'),
  },
  (t) => [primaryKey({ columns: [t.provider, t.providerAccountId] })],
);

export const sessions = control.table('sessions', {
  sessionToken: text('session_token').primaryKey(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  expires: timestamp('expires', { withTimezone: true, mode: 'date' }).notNull(),
});

export const verificationTokens = control.table(
  'verification_tokens',
  {
    identifier: text('identifier').notNull(),
    token: text('token').notNull(),
    expires: timestamp('expires', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.identifier, t.token] })],
);

/** Platform events (tenant provisioned, deprovisioned, …): outlives a dropped tenant schema. */
export const controlAuditLog = control.table('audit_log', auditLogColumns());

/**
 * Heads of each tenant's audit chain, recorded from outside the tenant schema. A tenant
 * role cannot touch this table, so deleting the newest tenant audit rows is detectable.
 */
export const auditAnchors = control.table(
  'audit_anchors',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    hash: char('hash', { length: 64 }).notNull(),
    anchoredAt: timestamp('anchored_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.seq] })],
);
