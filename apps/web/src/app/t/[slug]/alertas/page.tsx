import { tenantPage } from '~/server/page-context';
import { RecipientsEditor } from './recipients-editor';

export const dynamic = 'force-dynamic';

export default async function AlertsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { caller, locale, t, can } = await tenantPage(slug);
  if (!can('alerts.recipients'))
    return (
      <main>
        <p className="muted">{t.noPermission}</p>
      </main>
    );
  const recipients = await caller.alerts.recipients({ tenantSlug: slug });
  return (
    <main>
      <h1>{t.alertsTitle}</h1>
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
        }))}
      />
    </main>
  );
}
