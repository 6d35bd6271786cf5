import { alertsDictionary } from '~/lib/i18n-alerts';
import { tenantPage } from '~/server/page-context';
import { EscalationSettings } from './escalation-settings';
import { OpenAlerts } from './open-alerts';
import { RecipientsEditor } from './recipients-editor';

export const dynamic = 'force-dynamic';

/**
 * Where e-mails, SMS, phone notifications and the live strip lead: the open alerts (every
 * member, to acknowledge them), then who hears of alerts and when (readers of the
 * configuration; admins change it).
 */
export default async function AlertsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { caller, locale, t, can } = await tenantPage(slug);
  const a = alertsDictionary(locale);
  const open = await caller.anomalies.alerts({ tenantSlug: slug });
  const configurable = can('alerts.recipients');
  const [recipients, settings] = configurable
    ? await Promise.all([
        caller.alerts.recipients({ tenantSlug: slug }),
        caller.alerts.settings({ tenantSlug: slug }),
      ])
    : [[], null];
  return (
    <main>
      <h1>{a.title}</h1>
      <h2>{a.openTitle}</h2>
      <OpenAlerts
        slug={slug}
        locale={locale}
        canAcknowledge={can('anomalies.acknowledge')}
        alerts={open.map((row) => ({
          id: String(row.id),
          severity: row.severity as 'info' | 'warning' | 'critical',
          message: String(row.message),
          raisedAt: new Date(row.raisedAt as string | Date).toISOString(),
          occurrences: Number(row.occurrences),
          escalated: row.escalatedAt !== null,
          acknowledgedAt:
            row.acknowledgedAt === null
              ? null
              : new Date(row.acknowledgedAt as string | Date).toISOString(),
          acknowledgeComment: (row.acknowledgeComment as string | null) ?? null,
        }))}
      />
      {configurable && (
        <>
          <h2>{t.alertsTitle}</h2>
          <p className="muted">{t.alertsIntro}</p>
          <RecipientsEditor
            slug={slug}
            locale={locale}
            editable={can('alerts.saveRecipient')}
            recipients={recipients.map((r) => ({
              id: r.id,
              name: r.name,
              channel: r.channel,
              address: r.address,
              minSeverity: r.minSeverity,
              quietFromHour: r.quietFromHour,
              quietToHour: r.quietToHour,
              enabled: r.enabled,
              roles: r.roles,
              escalationOnly: r.escalationOnly,
            }))}
          />
          {settings && (
            <EscalationSettings
              slug={slug}
              locale={locale}
              editable={can('alerts.saveSettings')}
              escalateAfterMinutes={settings.escalateAfterMinutes}
            />
          )}
        </>
      )}
    </main>
  );
}
