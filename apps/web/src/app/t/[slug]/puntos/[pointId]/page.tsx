import Link from 'next/link';
import { formatNumber } from '~/lib/format';
import { orNotFound, tenantPage } from '~/server/page-context';
import { ExportForm } from './export-form';
import { formatAge } from './format';
import {
  chooseRange,
  pan,
  PRESETS,
  pointHref,
  toLocalInput,
  zoomIn,
  zoomOut,
  type Preset,
} from './range';
import { SeriesView } from './series-view';

export const dynamic = 'force-dynamic';

type Search = Record<string, string | string[] | undefined>;

/**
 * A measurement point: its variables with their last value, one variable's trend over a
 * range (presets, custom, zoom and pan, all in the URL), flags and anomalies marked, the
 * evidence behind a flag, corrections (engineers), raw against corrected, export.
 * Mobile first: one column, everything reachable with a thumb.
 */
export default async function PointPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string; pointId: string }>;
  searchParams: Promise<Search>;
}) {
  const { slug, pointId } = await params;
  const query = await searchParams;
  const { caller, locale, t, can } = await tenantPage(slug);
  const w = t.pointDetail;
  const detail = await orNotFound(caller.series.point({ tenantSlug: slug, pointId }));
  const chosen = typeof query.v === 'string' ? query.v : null;
  const variable = detail.variables.find((v) => v.id === chosen) ?? detail.variables[0] ?? null;
  const nowMs = Date.now();
  const range = chooseRange(query, nowMs);
  const base = `/t/${slug}/puntos/${pointId}`;
  const href = (r: Parameters<typeof pointHref>[2], v = variable?.id ?? null) =>
    pointHref(base, v, r);
  const series = variable
    ? await caller.series.slots({
        tenantSlug: slug,
        variableId: variable.id,
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
      })
    : null;
  const name = (v: { name: { es: string; en: string } }) =>
    locale === 'en' ? v.name.en : v.name.es;

  return (
    <main className="pd">
      <p className="pd-back">
        <Link href={`/t/${slug}/estaciones`}>{w.backToSites}</Link>
      </p>
      <h1>
        {detail.point.code} · {detail.point.name}
      </h1>
      <p className="muted">
        {t.pointKinds[detail.point.kind as keyof typeof t.pointKinds] ?? detail.point.kind} ·{' '}
        {w.site} {detail.site.name} ({detail.site.code}) · {t.field} {detail.site.fieldName}
      </p>

      {detail.variables.length === 0 && <p className="muted">{w.noVariables}</p>}

      <nav className="pd-variables" aria-label={w.variable}>
        {detail.variables.map((v) => (
          <Link
            key={v.id}
            href={href(range, v.id)}
            className="pd-variable"
            aria-current={v.id === variable?.id ? 'true' : undefined}
          >
            <span className="pd-variable-name">{name(v)}</span>
            <span className="pd-variable-last">
              {v.last && v.last.value !== null
                ? `${formatNumber(v.last.value, locale, 3)} ${v.unitLabel}`
                : w.noData}
            </span>
            {v.last && (
              <span className="muted pd-variable-age">
                {w.ago(formatAge(v.last.ageSeconds, locale))}
                {v.last.flag !== 'G' && ` · ${w.flags[v.last.flag as keyof typeof w.flags]}`}
              </span>
            )}
          </Link>
        ))}
      </nav>

      {variable && series && (
        <>
          <section className="card pd-range" aria-label={w.range}>
            <div className="pd-presets">
              {(Object.keys(PRESETS) as Preset[]).map((preset) => (
                <Link
                  key={preset}
                  href={href({ from: 0, to: 0, preset })}
                  className="pd-chip"
                  aria-current={range.preset === preset ? 'true' : undefined}
                >
                  {w.presets[preset]}
                </Link>
              ))}
            </div>
            <div className="pd-zoom">
              <Link className="pd-chip" href={href(pan(range, -1, nowMs))}>
                {w.earlier}
              </Link>
              <Link className="pd-chip" href={href(zoomIn(range))}>
                {w.zoomIn}
              </Link>
              <Link className="pd-chip" href={href(zoomOut(range, nowMs))}>
                {w.zoomOut}
              </Link>
              <Link className="pd-chip" href={href(pan(range, 1, nowMs))}>
                {w.later}
              </Link>
            </div>
            <form className="pd-custom" method="get" action={base}>
              <input type="hidden" name="v" value={variable.id} />
              <label>
                {w.from}
                <input type="datetime-local" name="desde" defaultValue={toLocalInput(range.from)} />
              </label>
              <label>
                {w.to}
                <input type="datetime-local" name="hasta" defaultValue={toLocalInput(range.to)} />
              </label>
              <button type="submit">{w.apply}</button>
            </form>
          </section>

          <SeriesView
            key={`${variable.id}|${series.from}|${series.to}`}
            slug={slug}
            base={base}
            locale={locale}
            canCorrect={can('series.correct')}
            series={series}
          />

          <ExportForm
            slug={slug}
            locale={locale}
            from={series.from}
            to={series.to}
            current={variable.id}
            variables={detail.variables.map((v) => ({ id: v.id, label: name(v) }))}
          />
        </>
      )}
    </main>
  );
}
