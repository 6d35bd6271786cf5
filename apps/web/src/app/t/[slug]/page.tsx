import { bogotaDayOf } from '@anh/domain/bogota-day';
import { orNotFound, tenantPage } from '~/server/page-context';
import { DashboardView } from './dashboard-view';

export const dynamic = 'force-dynamic';

/** The tenant's home: the production dashboard, for all sites or one (`?sitio=<id>`). */
export default async function TenantHome({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<{ sitio?: string | string[] }>;
}) {
  const { slug } = await params;
  const { sitio } = await searchParams;
  const { caller, locale, t } = await tenantPage(slug);
  const siteId = typeof sitio === 'string' && sitio.length > 0 ? sitio : null;
  const scope = { tenantSlug: slug, siteId };
  const [data, forecasts, heatmap] = await orNotFound(
    Promise.all([
      caller.dashboard.overview(scope),
      caller.dashboard.forecast(scope),
      caller.dashboard.completeness({ ...scope, day: bogotaDayOf(Date.now()) }),
    ]),
  );
  if (data.sites.length === 0)
    return (
      <main>
        <p>{t.noSites}</p>
      </main>
    );
  return (
    <main className="dashboard">
      <DashboardView
        slug={slug}
        siteId={siteId}
        locale={locale}
        data={data}
        forecasts={forecasts}
        heatmap={heatmap}
      />
    </main>
  );
}
