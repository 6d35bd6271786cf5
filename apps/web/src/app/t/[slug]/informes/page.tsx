import Link from 'next/link';
import { formatDateTime } from '~/lib/format';
import { tenantPage } from '~/server/page-context';
import {
  formatDay,
  queryString,
  REPORT_STATE_PARAMS,
  reportFilters,
  stateParam,
  type Search,
  type StateParam,
} from './view';

export const dynamic = 'force-dynamic';

const PAGE_SIZE = 50;

export default async function ReportsPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Search>;
}) {
  const { slug } = await params;
  const { caller, locale, t, can } = await tenantPage(slug);
  const r = t.reportsUi;
  if (!can('reports.list'))
    return (
      <main>
        <p className="muted">{t.noPermission}</p>
      </main>
    );
  const filters = reportFilters(await searchParams);
  const page = await caller.reports.list({
    tenantSlug: slug,
    siteId: filters.siteId,
    from: filters.from,
    to: filters.to,
    state: filters.state,
    limit: PAGE_SIZE,
    offset: filters.offset,
  });
  const base = `/t/${slug}/informes`;
  const kept = {
    estacion: filters.siteId,
    desde: filters.from,
    hasta: filters.to,
    estado: stateParam(filters.state),
  };
  const filtered = Object.values(kept).some(Boolean);

  return (
    <main>
      <h1>{r.title}</h1>
      <p className="muted">{r.intro}</p>
      {/* A plain GET form: the filters live in the URL and survive a reload or a shared link. */}
      <details className="card filters-box" open={filtered}>
        <summary>{r.filters}</summary>
        <form method="get" action={base} className="filters" aria-label={r.filters}>
          <label>
            {r.site}
            <select name="estacion" defaultValue={filters.siteId ?? ''}>
              <option value="">{r.allSites}</option>
              {page.sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.code} · {s.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {r.from}
            <input type="date" name="desde" defaultValue={filters.from ?? ''} />
          </label>
          <label>
            {r.to}
            <input type="date" name="hasta" defaultValue={filters.to ?? ''} />
          </label>
          <label>
            {r.state}
            <select name="estado" defaultValue={stateParam(filters.state)}>
              <option value="">{r.anyState}</option>
              {(Object.keys(REPORT_STATE_PARAMS) as StateParam[]).map((key) => (
                <option key={key} value={key}>
                  {r.states[REPORT_STATE_PARAMS[key]]}
                </option>
              ))}
            </select>
          </label>
          <p className="actions">
            <button className="primary" type="submit">
              {r.apply}
            </button>
            {filtered && <Link href={base}>{r.clear}</Link>}
          </p>
        </form>
      </details>

      {page.items.length === 0 ? (
        <p className="muted card">{r.none}</p>
      ) : (
        <table className="rtable">
          <thead>
            <tr>
              <th>{r.day}</th>
              <th>{r.site}</th>
              <th>{r.version}</th>
              <th>{r.state}</th>
              <th>{r.blocking}</th>
              <th>{r.warnings}</th>
              <th>{r.builtAt}</th>
              <th>{r.lastAttempt}</th>
              <th>
                <span className="visually-hidden">{r.open}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((report) => (
              <tr key={report.id}>
                <td data-label={r.day}>
                  <strong>{formatDay(report.day, locale)}</strong>
                </td>
                <td data-label={r.site}>
                  <span>
                    {report.siteCode} <span className="muted">{report.siteName}</span>
                  </span>
                </td>
                <td data-label={r.version}>
                  <span>
                    v{report.version}
                    {report.amendmentReason && (
                      <span className="muted" title={report.amendmentReason}>
                        {' '}
                        ✎
                      </span>
                    )}
                  </span>
                </td>
                <td data-label={r.state}>
                  <span className={`badge state-${report.state}`}>{r.states[report.state]}</span>
                </td>
                <td data-label={r.blocking}>
                  {report.blockingErrors > 0 ? (
                    <span className="badge state-failed">{report.blockingErrors}</span>
                  ) : (
                    '0'
                  )}
                </td>
                <td data-label={r.warnings}>{report.warnings}</td>
                <td data-label={r.builtAt}>{formatDateTime(report.builtAt, locale)}</td>
                <td data-label={r.lastAttempt}>
                  {report.deliveredAt
                    ? `${r.states.delivered} ${formatDateTime(report.deliveredAt, locale)}`
                    : report.lastAttempt
                      ? `${r.outcomes[report.lastAttempt.outcome] ?? report.lastAttempt.outcome} ${formatDateTime(report.lastAttempt.at, locale)} · ${r.attempts(report.attempts)}`
                      : '—'}
                </td>
                <td className="rtable-actions">
                  <Link href={`${base}/${report.id}`}>{r.open}</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="actions">
        {filters.offset > 0 && (
          <Link
            href={`${base}${queryString({ ...kept, pos: Math.max(0, filters.offset - PAGE_SIZE) })}`}
          >
            ← {r.newer}
          </Link>
        )}
        {page.nextOffset !== null && (
          <Link href={`${base}${queryString({ ...kept, pos: page.nextOffset })}`}>{r.older} →</Link>
        )}
      </p>
    </main>
  );
}
