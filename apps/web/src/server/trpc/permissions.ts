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
const CONFIGURERS = ['admin', 'engineer'] as const;
const READERS = ['admin', 'engineer', 'auditor'] as const;

export const PERMISSIONS = {
  'field.overview': EVERYONE,
  'dashboard.overview': EVERYONE,
  'dashboard.completeness': EVERYONE,
  'dashboard.forecast': EVERYONE,
  'live.connect': EVERYONE,
  'readings.addManual': ['admin', 'engineer', 'operator'],
  'delivery.settings': ['admin', 'engineer'],
  'delivery.saveSettings': ['admin'],
  'delivery.testConnection': ['admin'],
  'delivery.reports': EVERYONE,
  'delivery.amend': ['admin', 'engineer'],
  'connectors.list': READERS,
  'connectors.detail': READERS,
  'connectors.register': CONFIGURERS,
  'connectors.createEnrollmentCode': CONFIGURERS,
  'connectors.downloadConfig': CONFIGURERS,
  'connectors.saveSource': CONFIGURERS,
  'connectors.saveMapping': CONFIGURERS,
  'connectors.removeMapping': CONFIGURERS,
  'connectors.importConfig': CONFIGURERS,
  'connectors.revoke': ['admin'],
  'config.catalog': EVERYONE,
  'config.variables': EVERYONE,
  'config.createSite': CONFIGURERS,
  'config.updateSite': CONFIGURERS,
  'config.createPoint': CONFIGURERS,
  'config.updatePoint': CONFIGURERS,
  'config.addVariable': CONFIGURERS,
  'members.list': ['admin', 'auditor'],
  'members.invite': ['admin'],
  'members.revokeInvitation': ['admin'],
  'members.changeRole': ['admin'],
  'members.remove': ['admin'],
  'anomalies.list': EVERYONE,
  'anomalies.alerts': EVERYONE,
  'anomalies.feedback': ['admin', 'engineer', 'operator'],
  'anomalies.acknowledge': ['admin', 'engineer', 'operator'],
  'anomalies.retrain': CONFIGURERS,
  'alerts.recipients': READERS,
  'alerts.saveRecipient': ['admin'],
  'alerts.removeRecipient': ['admin'],
  'alerts.settings': READERS,
  'alerts.saveSettings': ['admin'],
  'push.vapidPublicKey': EVERYONE,
  'push.subscribe': EVERYONE,
  'push.unsubscribe': EVERYONE,
  'reports.list': EVERYONE,
  'reports.detail': EVERYONE,
  'reports.file': EVERYONE,
  'reports.diff': EVERYONE,
  'audit.list': READERS,
  'audit.verify': READERS,
  'series.point': EVERYONE,
  'series.slots': EVERYONE,
  'series.raw': EVERYONE,
  'series.evidence': EVERYONE,
  'series.correct': ['admin', 'engineer'],
  'series.revertCorrection': ['admin', 'engineer'],
} as const satisfies Record<string, readonly MemberRole[]>;

export type TenantProcedureName = keyof typeof PERMISSIONS;

export function rolesFor(name: TenantProcedureName): readonly MemberRole[] {
  return PERMISSIONS[name];
}
