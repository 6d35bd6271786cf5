import { tenantPage } from '~/server/page-context';
import { ConnectorsEditor } from './connectors-editor';

export const dynamic = 'force-dynamic';

export default async function ConnectorsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { caller, locale, t, can } = await tenantPage(slug);
  if (!can('connectors.list'))
    return (
      <main>
        <p className="muted">{t.noPermission}</p>
      </main>
    );
  const connectors = await caller.connectors.list({ tenantSlug: slug });
  return (
    <main>
      <h1>{t.connectors}</h1>
      <p className="muted">{t.connectorsIntro}</p>
      {can('connectors.downloadConfig') && (
        <p>
          {/* A plain link: the browser downloads the .tgz with the session cookie. */}
          <a href="/api/connectors/package" download>
            {t.downloadPackage}
          </a>
        </p>
      )}
      <ConnectorsEditor
        slug={slug}
        locale={locale}
        editable={can('connectors.register')}
        canRevoke={can('connectors.revoke')}
        connectors={connectors.map((c) => ({
          id: c.id,
          name: c.name,
          enrolledAt: c.enrolledAt?.toISOString() ?? null,
          revokedAt: c.revokedAt?.toISOString() ?? null,
          lastSeenAt: c.lastSeenAt?.toISOString() ?? null,
          version: c.version,
          bufferDepth: c.bufferDepth,
          bufferOldestAt: c.bufferOldestAt?.toISOString() ?? null,
        }))}
      />
    </main>
  );
}
