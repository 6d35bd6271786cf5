import { orNotFound, tenantPage } from '~/server/page-context';
import { MappingEditor } from './mapping-editor';

export const dynamic = 'force-dynamic';

export default async function ConnectorPage({
  params,
}: {
  params: Promise<{ slug: string; id: string }>;
}) {
  const { slug, id } = await params;
  const { caller, locale, t, can } = await tenantPage(slug);
  if (!can('connectors.detail'))
    return (
      <main>
        <p className="muted">{t.noPermission}</p>
      </main>
    );
  const [detail, variables] = await Promise.all([
    orNotFound(caller.connectors.detail({ tenantSlug: slug, connectorId: id })),
    caller.config.variables({ tenantSlug: slug }),
  ]);
  return (
    <main>
      <h1>
        {detail.connector.name} · {t.mappingTitle}
      </h1>
      <MappingEditor
        slug={slug}
        locale={locale}
        connectorId={id}
        editable={can('connectors.saveMapping')}
        sources={detail.sources}
        mappings={detail.mappings}
        variables={variables}
      />
    </main>
  );
}
