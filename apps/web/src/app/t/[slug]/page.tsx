import { tenantPage } from '~/server/page-context';

export const dynamic = 'force-dynamic';

export default async function TenantHome({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { caller, t } = await tenantPage(slug);
  const overview = await caller.field.overview({ tenantSlug: slug });
  return (
    <main>
      <p className="muted">
        {t.role}: {t.roles[overview.tenant.role]}
      </p>
      <h1>{t.sites}</h1>
      {overview.sites.length === 0 && <p className="muted">{t.noSites}</p>}
      {overview.sites.map((site) => (
        <section key={site.id} className="card">
          <h2>
            {site.name} <span className="muted">({site.code})</span>
          </h2>
          <p className="muted">
            {t.field}: {site.fieldName}
          </p>
          <table>
            <thead>
              <tr>
                <th>{t.points}</th>
                <th />
                <th>{t.variables}</th>
              </tr>
            </thead>
            <tbody>
              {site.points.map((point) => (
                <tr key={point.id}>
                  <td>
                    {point.code} · {point.name}
                  </td>
                  <td className="muted">{t.pointKinds[point.kind]}</td>
                  <td>{point.variables}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </main>
  );
}
