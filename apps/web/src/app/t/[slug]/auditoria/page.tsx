import Link from 'next/link';
import { bogotaDayStart } from '@anh/domain/bogota-day';
import { formatDateTime } from '~/lib/format';
import { tenantPage } from '~/server/page-context';
import { dayOrNull, param, queryString, type Search } from '../informes/view';
import { VerifyChain } from './verify-chain';

export const dynamic = 'force-dynamic';

const PAGE_SIZE = 50;
const DAY_MS = 86_400_000;

/** The start of a Bogotá day as an instant, for the time filters. */
function instantOf(day: string | null, plusDays = 0): string | null {
  if (!day) return null;
  const start = bogotaDayStart(day);
  return start.ok ? new Date(start.ms + plusDays * DAY_MS).toISOString() : null;
}

/** A text filter as the API takes it (no NUL, at most 200 characters), or null. */
const text = (search: Search, name: string) =>
  param(search, name).replaceAll('\u0000', '').slice(0, 200).trim() || null;

function isBeforeAfter(data: unknown): data is { before: unknown; after: unknown } {
  return typeof data === 'object' && data !== null && 'before' in data && 'after' in data;
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

export default async function AuditPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Search>;
}) {
  const { slug } = await params;
  const { caller, locale, t, can } = await tenantPage(slug);
  const a = t.auditUi;
  if (!can('audit.list'))
    return (
      <main>
        <p className="muted">{t.noPermission}</p>
      </main>
    );
  const search = await searchParams;
  const filters = {
    actor: text(search, 'actor'),
    accion: text(search, 'accion'),
    entidad: text(search, 'entidad'),
    id: text(search, 'id'),
    texto: text(search, 'texto'),
    desde: dayOrNull(param(search, 'desde')),
    hasta: dayOrNull(param(search, 'hasta')),
  };
  const before = Number(param(search, 'antes'));
  const cursor = Number.isSafeInteger(before) && before > 0 ? before : null;
  const page = await caller.audit.list({
    tenantSlug: slug,
    actor: filters.actor,
    action: filters.accion,
    entity: filters.entidad,
    entityId: filters.id,
    text: filters.texto,
    from: instantOf(filters.desde),
    to: instantOf(filters.hasta, 1),
    cursor,
    limit: PAGE_SIZE,
  });
  const base = `/t/${slug}/auditoria`;
  const filtered = Object.values(filters).some(Boolean);
  const actorLabel = (actor: string) =>
    actor.startsWith('user:') ? (page.actorNames[actor.slice(5)] ?? actor) : actor;

  return (
    <main>
      <h1>{a.title}</h1>
      <p className="muted">{a.intro}</p>
      <VerifyChain slug={slug} locale={locale} />
      <details className="card filters-box" open={filtered}>
        <summary>{a.filters}</summary>
        <form method="get" action={base} className="filters" aria-label={a.filters}>
          <label>
            {a.actor}
            <input name="actor" defaultValue={filters.actor ?? ''} />
          </label>
          <label>
            {a.action}
            <input name="accion" defaultValue={filters.accion ?? ''} />
          </label>
          <label>
            {a.entity}
            <input name="entidad" defaultValue={filters.entidad ?? ''} />
          </label>
          <label>
            {a.entityId}
            <input name="id" defaultValue={filters.id ?? ''} />
          </label>
          <label>
            {a.text}
            <input name="texto" type="search" defaultValue={filters.texto ?? ''} />
          </label>
          <label>
            {a.from}
            <input type="date" name="desde" defaultValue={filters.desde ?? ''} />
          </label>
          <label>
            {a.to}
            <input type="date" name="hasta" defaultValue={filters.hasta ?? ''} />
          </label>
          <p className="actions">
            <button className="primary" type="submit">
              {a.apply}
            </button>
            {filtered && <Link href={base}>{a.clear}</Link>}
          </p>
        </form>
      </details>

      {page.entries.length === 0 ? (
        <p className="muted card">{a.none}</p>
      ) : (
        <table className="rtable audit">
          <thead>
            <tr>
              <th>{a.seq}</th>
              <th>{a.at}</th>
              <th>{a.who}</th>
              <th>{a.what}</th>
              <th>{a.on}</th>
              <th>{a.data}</th>
            </tr>
          </thead>
          <tbody>
            {page.entries.map((e) => (
              <tr key={e.seq}>
                <td data-label={a.seq}>
                  <strong>{e.seq}</strong>
                </td>
                <td data-label={a.at}>{formatDateTime(e.at, locale)}</td>
                <td data-label={a.who}>
                  <Link href={`${base}${queryString({ actor: e.actor })}`} title={e.actor}>
                    {actorLabel(e.actor)}
                  </Link>
                </td>
                <td data-label={a.what}>
                  <code>{e.action}</code>
                </td>
                <td data-label={a.on}>
                  <span>
                    {e.entity}
                    {e.entityId && (
                      <>
                        {' '}
                        {e.entity === 'report' ? (
                          <Link href={`/t/${slug}/informes/${e.entityId}`}>
                            <code>{e.entityId}</code>
                          </Link>
                        ) : (
                          <Link
                            href={`${base}${queryString({ entidad: e.entity, id: e.entityId })}`}
                          >
                            <code>{e.entityId}</code>
                          </Link>
                        )}
                      </>
                    )}
                  </span>
                </td>
                <td data-label={a.data}>
                  <details>
                    <summary>{a.data}</summary>
                    {isBeforeAfter(e.data) ? (
                      <div className="before-after">
                        <div>
                          <strong>{a.before}</strong>
                          <pre>{pretty(e.data.before)}</pre>
                        </div>
                        <div>
                          <strong>{a.after}</strong>
                          <pre>{pretty(e.data.after)}</pre>
                        </div>
                      </div>
                    ) : (
                      <pre>{pretty(e.data)}</pre>
                    )}
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="actions">
        {cursor !== null && <Link href={`${base}${queryString(filters)}`}>← {a.newest}</Link>}
        {page.nextCursor !== null && (
          <Link href={`${base}${queryString({ ...filters, antes: page.nextCursor })}`}>
            {a.older} →
          </Link>
        )}
      </p>
    </main>
  );
}
