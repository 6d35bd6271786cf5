import { tenantPage } from '~/server/page-context';
import { SitesEditor } from './sites-editor';

export const dynamic = 'force-dynamic';

export default async function SitesPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { caller, locale, t, can } = await tenantPage(slug);
  const [overview, catalog, variables] = await Promise.all([
    caller.field.overview({ tenantSlug: slug }),
    caller.config.catalog({ tenantSlug: slug }),
    caller.config.variables({ tenantSlug: slug }),
  ]);
  return (
    <main>
      <h1>{t.sites}</h1>
      <SitesEditor
        slug={slug}
        locale={locale}
        editable={can('config.createSite')}
        sites={overview.sites}
        catalog={catalog}
        variables={variables}
      />
    </main>
  );
}
