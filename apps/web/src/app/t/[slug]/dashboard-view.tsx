'use client';

import {
  AreaChart,
  BadgeDelta,
  Card,
  CategoryBar,
  LineChart,
  ProgressBar,
  ScatterChart,
  Tracker,
} from '@tremor/react';
import Link from 'next/link';
import type { CompletenessHeatmap, DashboardData } from '@anh/db/dashboard';
import type { Product } from '@anh/domain/dashboard';
import { formatDateTime, formatNumber, TIME_ZONE } from '~/lib/format';
import type { Locale } from '~/lib/i18n';
import { dashboardWords } from '~/lib/i18n-dashboard';
import type { ProductForecast } from '~/server/dashboard/service';

/**
 * The production dashboard (Tremor). Mobile first: one column on a phone, two or three
 * on wider screens. Every figure carries a `data-metric` name so the browser tests can
 * find it and compare it with what they computed.
 */
export interface DashboardViewProps {
  slug: string;
  siteId: string | null;
  locale: Locale;
  data: DashboardData;
  forecasts: ProductForecast[];
  heatmap: CompletenessHeatmap;
}

const PRODUCT_COLORS: Record<Product, string> = { oil: 'amber', gas: 'cyan', water: 'blue' };
/** Colours Tailwind keeps for charts (the safelist in tailwind.config.ts). */
const MAP_COLORS = ['amber', 'blue', 'emerald', 'rose', 'violet', 'cyan', 'orange', 'gray'];

const time = (ms: number, locale: Locale) =>
  new Intl.DateTimeFormat(locale, {
    timeZone: TIME_ZONE,
    hour: '2-digit',
    minute: '2-digit',
  }).format(ms);

export function DashboardView({
  slug,
  siteId,
  locale,
  data,
  forecasts,
  heatmap,
}: DashboardViewProps) {
  const w = dashboardWords(locale);
  const number = (value: number | null, digits = 1) =>
    value === null ? '—' : formatNumber(value, locale, digits);
  const percent = (value: number) => `${formatNumber(value * 100, locale, 1)} %`;

  return (
    <div className="space-y-4" data-as-of={data.asOf} data-elapsed-slots={data.elapsedSlots}>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="m-0">{w.title}</h1>
        <p className="muted m-0">
          {w.asOf} {formatDateTime(new Date(data.asOf), locale)}
        </p>
      </div>
      {data.sites.length > 1 && (
        <nav className="flex flex-wrap gap-2 text-sm" aria-label={w.allSites}>
          <Link href={`/t/${slug}`} aria-current={siteId === null ? 'page' : undefined}>
            {w.allSites}
          </Link>
          {data.sites.map((s) => (
            <Link
              key={s.id}
              href={`/t/${slug}?sitio=${s.id}`}
              aria-current={siteId === s.id ? 'page' : undefined}
            >
              {s.code}
            </Link>
          ))}
        </nav>
      )}

      <section className="grid grid-cols-1 gap-4 sm:grid-cols-3" aria-label={w.title}>
        {data.production.map((line) => {
          const change =
            line.today.rate !== null && line.yesterday.rate
              ? (line.today.rate - line.yesterday.rate) / line.yesterday.rate
              : null;
          return (
            <Card
              key={line.product}
              decoration="top"
              decorationColor={PRODUCT_COLORS[line.product]}
              data-product={line.product}
            >
              <p className="m-0 text-tremor-default text-tremor-content">
                {w.products[line.product]} · {w.units[line.product]}
              </p>
              {line.source === null ? (
                <p className="muted">{w.noSource}</p>
              ) : (
                <>
                  <p className="m-0 text-tremor-metric font-semibold text-tremor-content-strong">
                    <span data-metric={`${line.product}-today`}>{number(line.today.rate)}</span>
                  </p>
                  <div className="flex items-center justify-between gap-2 text-tremor-default">
                    <span>
                      {w.yesterday}:{' '}
                      <span data-metric={`${line.product}-yesterday`}>
                        {number(line.yesterday.rate)}
                      </span>
                    </span>
                    {change !== null && (
                      <BadgeDelta
                        deltaType={
                          change > 0.005
                            ? 'moderateIncrease'
                            : change < -0.005
                              ? 'moderateDecrease'
                              : 'unchanged'
                        }
                        title={w.change}
                      >
                        {change > 0 ? '+' : ''}
                        {percent(change)}
                      </BadgeDelta>
                    )}
                  </div>
                  <p className="m-0 mt-2 text-tremor-label text-tremor-content">
                    <span data-metric={`${line.product}-volume-today`}>
                      {number(line.today.volume)}
                    </span>{' '}
                    {w.volumeUnits[line.product]} {w.soFar} · {w.source}: {line.points.join(', ')}
                  </p>
                </>
              )}
            </Card>
          );
        })}
      </section>
      <p className="muted m-0 text-xs">{w.standardConditions}</p>

      <section className="grid grid-cols-1 gap-4 md:grid-cols-3">
        <Card>
          <h2 className="m-0 text-tremor-title">{w.quality}</h2>
          <p className="m-0 text-tremor-default">{w.completeness}</p>
          <p className="m-0 text-tremor-metric font-semibold" data-metric="completeness">
            {percent(data.quality.completeness)}
          </p>
          <ProgressBar value={data.quality.completeness * 100} color="emerald" className="mt-2" />
          <ul className="mt-2 list-none p-0 text-tremor-default">
            {(['S', 'E', 'B', 'M'] as const).map((flag) => (
              <li key={flag} className="flex justify-between">
                <span>{w.flags[flag]}</span>
                <span data-metric={`flag-${flag}`}>
                  {formatNumber(data.quality.slotsByFlag[flag], locale, 0)}
                </span>
              </li>
            ))}
          </ul>
        </Card>

        <Card>
          <h2 className="m-0 text-tremor-title">{w.alerts}</h2>
          <ul className="mt-2 list-none p-0 text-tremor-default">
            {(['critical', 'warning', 'info'] as const).map((severity) => (
              <li key={severity} className="flex justify-between">
                <span>{w.severities[severity]}</span>
                <span data-metric={`alerts-${severity}`}>{data.alerts.bySeverity[severity]}</span>
              </li>
            ))}
          </ul>
          {data.alerts.latest.length === 0 ? (
            <p className="muted">{w.noAlerts}</p>
          ) : (
            <ul className="mt-2 list-none p-0 text-tremor-label">
              {data.alerts.latest.map((a) => (
                <li key={a.id} className="border-t border-tremor-border py-1">
                  <strong>{w.severities[a.severity as 'critical']}</strong> · {a.message}{' '}
                  <span className="muted">{formatDateTime(new Date(a.raisedAt), locale)}</span>
                </li>
              ))}
            </ul>
          )}
          <Link href={`/t/${slug}/alertas`} className="text-tremor-default">
            {w.alerts} →
          </Link>
        </Card>

        <Card>
          <h2 className="m-0 text-tremor-title">{w.anh}</h2>
          <p className="m-0 text-tremor-default">
            {w.nextSubmission}: <strong>{w.nextSubmissionOf(data.submissions.nextDay)}</strong>
          </p>
          <p className="m-0 text-tremor-label text-tremor-content">
            {w.buildAt} {formatDateTime(new Date(data.submissions.nextBuildAt), locale)} ·{' '}
            {w.deadline} {time(data.submissions.nextDeadlineAt, locale)}
          </p>
          <p className="mb-1 mt-3 text-tremor-default">
            {w.last30}:{' '}
            <span data-metric="submissions-on-time">
              {w.deliveredCount(
                data.submissions.days.filter((d) => d.state === 'delivered').length,
              )}
            </span>
          </p>
          <Tracker
            data={[...data.submissions.days].reverse().map((d) => ({
              key: d.day,
              color:
                d.state === 'delivered'
                  ? 'emerald'
                  : d.state === 'late'
                    ? 'amber'
                    : d.state === 'pending'
                      ? 'gray'
                      : 'rose',
              tooltip: `${d.day}: ${w.submissionStates[d.state]}`,
            }))}
          />
          <Link href={`/t/${slug}/informes`} className="mt-2 inline-block text-tremor-default">
            {w.reports} →
          </Link>
        </Card>
      </section>

      <Card>
        <h2 className="m-0 text-tremor-title">{w.trend}</h2>
        <AreaChart
          className="mt-2 h-56"
          data={data.trend.slotStarts.map((start, k) => ({
            hora: time(start, locale),
            [w.products.oil]: data.trend.series.oil[k],
            [w.products.water]: data.trend.series.water[k],
            [w.products.gas]: data.trend.series.gas[k],
          }))}
          index="hora"
          categories={[w.products.oil, w.products.water, w.products.gas]}
          colors={['amber', 'blue', 'cyan']}
          valueFormatter={(v: number) => formatNumber(v, locale, 0)}
          connectNulls={false}
          showAnimation={false}
          yAxisWidth={56}
        />
      </Card>

      {data.gauges.length > 0 && (
        <Card>
          <h2 className="m-0 text-tremor-title">{w.gauges}</h2>
          <div className="mt-2 grid grid-cols-1 gap-4 sm:grid-cols-2">
            {data.gauges.map((g) => {
              const [lo, hi] = g.typical;
              const top = Math.max(hi * 1.25, g.value ?? 0);
              const marker = g.value === null ? undefined : Math.min(100, (g.value / top) * 100);
              return (
                <div key={`${g.point}-${g.code}`}>
                  <p className="m-0 flex justify-between text-tremor-default">
                    <span>
                      {g.point} · {g.code}
                    </span>
                    <strong data-metric={`gauge-${g.point}-${g.code}`}>
                      {number(g.value)} {g.unit}
                    </strong>
                  </p>
                  <CategoryBar
                    values={[(lo / top) * 100, ((hi - lo) / top) * 100, ((top - hi) / top) * 100]}
                    colors={['amber', 'emerald', 'rose']}
                    {...(marker === undefined ? {} : { markerValue: marker })}
                    showLabels={false}
                    className="mt-1"
                  />
                  <p className="m-0 text-tremor-label text-tremor-content">
                    {w.typical}: {number(lo, 0)}–{number(hi, 0)} {g.unit}
                  </p>
                </div>
              );
            })}
          </div>
        </Card>
      )}

      <Card>
        <h2 className="m-0 text-tremor-title">{w.wells}</h2>
        <div className="overflow-x-auto">
          <table className="dashboard-wells">
            <thead>
              <tr>
                <th>{w.well}</th>
                <th>
                  {w.products.oil} ({w.units.oil})
                </th>
                <th>
                  {w.products.water} ({w.units.water})
                </th>
                <th>
                  {w.products.gas} ({w.units.gas})
                </th>
                <th>{w.completeness}</th>
                <th>{w.lastData}</th>
              </tr>
            </thead>
            <tbody>
              {data.wells.map((well) => (
                <tr key={well.id} data-well={well.code}>
                  <td>
                    <Link href={`/t/${slug}/puntos/${well.id}`}>{well.code}</Link>{' '}
                    <span className="muted">
                      {well.open === null ? w.unknown : well.open >= 0.5 ? w.open : w.shut}
                    </span>
                  </td>
                  {(['oil', 'water', 'gas'] as const).map((p) => (
                    <td key={p}>
                      <span data-metric={`well-${p}-today`}>{number(well.today[p])}</span>
                      <br />
                      <span className="muted text-xs">
                        {w.yesterday}:{' '}
                        <span data-metric={`well-${p}-yesterday`}>{number(well.yesterday[p])}</span>
                      </span>
                    </td>
                  ))}
                  <td data-metric="well-completeness">{percent(well.completeness)}</td>
                  <td>{well.lastDataAt === null ? '—' : time(well.lastDataAt, locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>

      <WellMap data={data} locale={locale} />

      <Card>
        <h2 className="m-0 text-tremor-title">{w.forecast}</h2>
        <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
          {forecasts.map((f) => (
            <ForecastPanel key={f.product} forecast={f} locale={locale} />
          ))}
        </div>
      </Card>

      <Card>
        <h2 className="m-0 text-tremor-title">{w.heatmap}</h2>
        <p className="muted m-0 text-xs">{w.heatmapHint}</p>
        <div className="mt-2 overflow-x-auto">
          <table className="heatmap" data-metric="heatmap">
            <tbody>
              {heatmap.rows.map((row) => (
                <tr key={row.code}>
                  <th scope="row">{row.code}</th>
                  <td>
                    <div className="flex">
                      {row.slots.map((c, k) => (
                        <span
                          key={k}
                          className={`inline-block h-3 w-1 ${heatColor(c)}`}
                          title={`${row.code} ${String(Math.floor(k / 6)).padStart(2, '0')}:${(k % 6) * 10 === 0 ? '00' : (k % 6) * 10} — ${c === null ? '—' : percent(c)}`}
                        />
                      ))}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}

function heatColor(completeness: number | null): string {
  if (completeness === null) return 'bg-gray-100';
  if (completeness >= 0.95) return 'bg-emerald-500';
  if (completeness >= 0.75) return 'bg-emerald-200';
  if (completeness >= 0.4) return 'bg-amber-200';
  if (completeness > 0) return 'bg-amber-500';
  return 'bg-rose-500';
}

function ForecastPanel({ forecast, locale }: { forecast: ProductForecast; locale: Locale }) {
  const w = dashboardWords(locale);
  const name = w.products[forecast.product];
  const rows = [
    ...forecast.history.map((h) => ({ day: h.day.slice(5), [w.history]: h.value })),
    ...(forecast.forecast?.days ?? []).map((d) => ({
      day: d.day.slice(5),
      [w.forecastValue]: d.value,
      [w.lower]: d.lower80,
      [w.upper]: d.upper80,
    })),
  ];
  return (
    <div data-forecast={forecast.product}>
      <p className="m-0 text-tremor-default font-semibold">
        {name} ({w.units[forecast.product]})
      </p>
      {forecast.forecast === null ? (
        <p className="muted">
          {w.noForecast}: {forecast.reason}
        </p>
      ) : (
        <>
          <LineChart
            className="h-44"
            data={rows}
            index="day"
            categories={[w.history, w.forecastValue, w.lower, w.upper]}
            colors={[PRODUCT_COLORS[forecast.product], 'violet', 'gray', 'gray']}
            valueFormatter={(v: number) => formatNumber(v, locale, 0)}
            showLegend={false}
            showAnimation={false}
            connectNulls={false}
            yAxisWidth={56}
          />
          <p className="m-0 text-tremor-label text-tremor-content">
            {w.method}: {forecast.forecast.method}
            {forecast.forecast.holdoutError !== null &&
              ` · ${w.holdoutError}: ${formatNumber(forecast.forecast.holdoutError, locale, 1)} %`}
          </p>
        </>
      )}
    </div>
  );
}

/** Wells at their own coordinates (those without any are listed, not guessed). */
function WellMap({ data, locale }: { data: DashboardData; locale: Locale }) {
  const w = dashboardWords(locale);
  const placed = data.wells.filter((well) => well.latitude !== null && well.longitude !== null);
  const unplaced = data.wells.length - placed.length;
  if (data.wells.length === 0) return null;
  return (
    <Card>
      <h2 className="m-0 text-tremor-title">{w.map}</h2>
      {placed.length > 0 && (
        <ScatterChart
          className="mt-2 h-64"
          data={placed.map((well) => ({
            well: well.code,
            longitude: well.longitude!,
            latitude: well.latitude!,
            [w.units.oil]: well.today.oil ?? 0,
          }))}
          category="well"
          x="longitude"
          y="latitude"
          size={w.units.oil}
          colors={placed.map((_, i) => MAP_COLORS[i % MAP_COLORS.length]!)}
          minXValue={Math.min(...placed.map((p) => p.longitude!)) - 0.005}
          maxXValue={Math.max(...placed.map((p) => p.longitude!)) + 0.005}
          minYValue={Math.min(...placed.map((p) => p.latitude!)) - 0.005}
          maxYValue={Math.max(...placed.map((p) => p.latitude!)) + 0.005}
          showLegend={false}
          showAnimation={false}
          valueFormatter={{
            x: (v: number) => v.toFixed(3),
            y: (v: number) => v.toFixed(3),
            size: (v: number) => formatNumber(v, locale, 0),
          }}
          yAxisWidth={56}
        />
      )}
      {unplaced > 0 && <p className="muted m-0 text-xs">{w.unplaced(unplaced)}</p>}
    </Card>
  );
}
