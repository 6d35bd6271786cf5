import type { MemberRole } from '@anh/domain/tenancy';

/**
 * Who may call what, in one place: every tenant-scoped tRPC procedure and the roles that
 * may call it. `tenantProcedure(name)` reads its roles from here, and
 * `tenant-access.test.ts` calls every procedure as every role against this table.
 *
 * admin: runs the company (settings, people, connectors). engineer: owns the data and the
 * reports (amendments, delivery target reading). operator: field staff (manual readings).
 * auditor: reads, changes nothing.
 */
const EVERYONE = ['admin', 'engineer', 'operator', 'auditor'] as const;

export const PERMISSIONS = {
  'field.overview': EVERYONE,
  'readings.addManual': ['admin', 'engineer', 'operator'],
  'delivery.settings': ['admin', 'engineer'],
  'delivery.saveSettings': ['admin'],
  'delivery.testConnection': ['admin'],
  'delivery.reports': EVERYONE,
  'delivery.amend': ['admin', 'engineer'],
  'connectors.list': ['admin', 'engineer', 'auditor'],
  'connectors.createEnrollmentCode': ['admin', 'engineer'],
  'connectors.revoke': ['admin'],
} as const satisfies Record<string, readonly MemberRole[]>;

export type TenantProcedureName = keyof typeof PERMISSIONS;

export function rolesFor(name: TenantProcedureName): readonly MemberRole[] {
  return PERMISSIONS[name];
}
