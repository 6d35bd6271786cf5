import { tenantPage } from '~/server/page-context';
import { DeliveryEditor } from './delivery-editor';

export const dynamic = 'force-dynamic';

export default async function DeliveryPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { caller, locale, t, can } = await tenantPage(slug);
  if (!can('delivery.settings'))
    return (
      <main>
        <p className="muted">{t.noPermission}</p>
      </main>
    );
  const settings = await caller.delivery.settings({ tenantSlug: slug });
  return (
    <main>
      <h1>{t.deliveryTitle}</h1>
      <p className="muted">{t.deliveryIntro}</p>
      <DeliveryEditor
        slug={slug}
        locale={locale}
        editable={can('delivery.saveSettings')}
        settings={
          settings && {
            host: settings.host,
            port: settings.port,
            tlsMode: settings.tlsMode,
            remoteDir: settings.remoteDir,
            username: settings.username,
          }
        }
      />
    </main>
  );
}
