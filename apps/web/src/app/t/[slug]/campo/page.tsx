import { orNotFound, tenantPage } from '~/server/page-context';
import { serverCaller } from '~/server/trpc/server-caller';
import { FieldView } from './field-view';
import { fieldData } from './model';
import './field.css';

export const dynamic = 'force-dynamic';

/**
 * The field operator's page, for a phone: wells and tanks with status and their last
 * values, open alerts to acknowledge, and manual readings that are kept on the phone until
 * they reach the server. The service worker keeps the last copy of this page and of its
 * queries, so it opens without network too.
 */
export default async function FieldPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { caller, locale, can } = await tenantPage(slug);
  const { userId } = await serverCaller();
  const [overview, alerts] = await orNotFound(
    Promise.all([
      caller.field.overview({ tenantSlug: slug, last: true }),
      caller.anomalies.alerts({ tenantSlug: slug }),
    ]),
  );
  return (
    <main className="field">
      <FieldView
        slug={slug}
        userId={userId!}
        locale={locale}
        canEnter={can('readings.addManual')}
        canAcknowledge={can('anomalies.acknowledge')}
        initial={fieldData(overview, alerts)}
      />
    </main>
  );
}
