export { createDatabase } from './client';
export type {
  ControlDb,
  Database,
  DatabaseConfig,
  TenantDb,
  TenantTx,
  WithTenantOptions,
} from './client';
export { ensureDatabaseExists, withConnection } from './admin';
export { migrateAll, type MigrationSummary } from './migrate';
export {
  anchorTenantAudit,
  deprovisionTenant,
  provisionTenant,
  verifyControlAudit,
  verifyTenantAudit,
  type Tenant,
} from './tenants';
export {
  appendControlAudit,
  appendTenantAudit,
  readAuditChain,
  type NewAuditEvent,
} from './audit-store';
export { tenantRoleName, tenantSchemaName } from './names';
export * as controlTables from './schema/control';
export * as tenantTables from './schema/tenant';
export * as telemetryTables from './schema/telemetry';
export { findMembership, listMemberships, type Membership } from './memberships';
export {
  authenticateConnector,
  createConnectorCredential,
  createEnrollmentCode,
  enrollConnector,
  listConnectors,
  recordConnectorStatus,
  registerConnector,
  revokeConnector,
  type ConnectorStatus,
  type ConnectorSummary,
  type ConnectorIdentity,
  type NewConnectorCredential,
} from './connectors';
export { signUpCompany, type SignUpInput } from './accounts';
export {
  issueAccountToken,
  resetPasswordWithToken,
  userExists,
  verifyEmailWithToken,
  type TokenPurpose,
} from './account-tokens';
export * as fieldConfig from './field-config';
export type { Actor, MappingRow } from './field-config';
export {
  acceptInvitation,
  changeMemberRole,
  describeInvitation,
  inviteMember,
  listMembers,
  revokeInvitation,
  type MemberRow,
} from './members';
export * as userSecurity from './user-security';
