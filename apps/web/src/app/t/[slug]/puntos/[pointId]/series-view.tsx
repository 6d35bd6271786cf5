'use client';

import { LineChart, type CustomTooltipProps } from '@tremor/react';
import type { inferRouterOutputs } from '@trpc/server';
import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import { formatNumber } from '~/lib/format';
import { dictionary, type Locale } from '~/lib/i18n';
import { errorMessages, trpc } from '~/lib/trpc';
import type { AppRouter } from '~/server/trpc/root';
import { EvidencePanel } from './evidence-panel';
import { formatInstant, formatValue } from './format';
import { pointHref, SLOT_MS } from './range';

type Outputs = inferRouterOutputs<AppRouter>;
export type SlotsView = Outputs['series']['slots'];
type TrendPoint = SlotsView['points'][number];
type Flag = TrendPoint['flag'];
type RawView = Outputs['series']['raw'];

const HOUR_MS = 3600_000;
const RAW_RANGE_MS = 24 * HOUR_MS;
const MAX_MARKS = 400;
const MAX_LISTED = 50;
const MAX_RAW_SHOWN = 1000;
const Y_AXIS_WIDTH = 56;
const X_PADDING = 20;

/**
 * The point of a line chart nearest to a click: Recharts lays a line chart's categories on
 * a point scale across its plot area (the clip rectangle) less the x-axis padding.
 */
function pointAt<T>(chart: HTMLElement, clientX: number, points: readonly T[]): T | null {
  const svg = chart.querySelector('svg.recharts-surface');
  const plot = svg?.querySelector('clipPath rect');
  if (!svg || !plot || points.length === 0) return null;
  const left = Number(plot.getAttribute('x')) + X_PADDING;
  const width = Number(plot.getAttribute('width')) - 2 * X_PADDING;
  const x = clientX - svg.getBoundingClientRect().left;
  if (points.length === 1 || !(width > 0)) return points[0]!;
  const index = Math.round(((x - left) / width) * (points.length - 1));
  return points[Math.min(points.length - 1, Math.max(0, index))]!;
}

interface Marker {
  kind: 'flag' | 'anomaly';
  start: number;
  end: number;
  flag?: Flag;
  point?: TrendPoint;
  anomaly?: SlotsView['anomalies'][number];
}

/**
 * One variable's trend: the Tremor line chart (value in force, and the measured value
 * where something was corrected), a strip of marks under it (flagged slots by colour,
 * anomalies as triangles), the list of marks, the evidence of a tapped slot (with the
 * correction form for engineers), the table of in force against measured, raw samples.
 */
export function SeriesView({
  slug,
  base,
  locale,
  canCorrect,
  series,
}: {
  slug: string;
  base: string;
  locale: Locale;
  canCorrect: boolean;
  series: SlotsView;
}) {
  const t = dictionary(locale);
  const w = t.pointDetail;
  const router = useRouter();
  const variable = series.variable;
  const unit = variable.unitLabel;
  const totalizer = variable.kind === 'totalizer';
  const slotLevel = series.resolution === '10min';
  const [selected, setSelected] = useState<number | null>(null);
  // Shown by default once something in range is corrected (until the user chooses).
  const [measuredChoice, setShowMeasured] = useState<boolean | null>(null);
  const showMeasured = measuredChoice ?? series.corrected > 0;
  const [showTable, setShowTable] = useState(false);

  const valueKey = totalizer ? w.increase : w.value;
  const measuredKey = w.measured;
  const data = series.points.map((p) => ({
    time: formatInstant(p.start, locale, series.resolution),
    start: p.start,
    [valueKey]: p.value,
    ...(showMeasured ? { [measuredKey]: p.corrected > 0 ? p.original : p.value } : {}),
  }));

  /** A slot's evidence, or (hour and day points) a closer look at that period. */
  function open(start: number, end: number) {
    if (slotLevel) {
      setSelected(start);
      return;
    }
    router.push(pointHref(base, variable.id, { from: start, to: end }));
  }

  // What the pointer is over (desktop); a tap or click anywhere on the plot opens the
  // nearest point (pointAt), so a phone needs no 5-px dot.
  const Tooltip = useMemo(() => {
    const byStart = new Map(series.points.map((p) => [p.start, p]));
    function PointTooltip({ active, payload }: CustomTooltipProps) {
      const datum = payload?.[0]?.payload as { start?: number } | undefined;
      const start = active && typeof datum?.start === 'number' ? datum.start : null;
      const point = start === null ? undefined : byStart.get(start);
      if (!point) return null;
      return (
        <div className="pd-tooltip">
          <strong>{formatInstant(point.start, locale, series.resolution)}</strong>
          <br />
          {formatValue(point.value, unit, locale)}{' '}
          <span className={`pd-badge pd-flag-${point.flag}`}>
            {point.flag} {w.flags[point.flag]}
          </span>
          {point.corrected > 0 && (
            <>
              <br />
              {w.measured}: {formatValue(point.original, unit, locale)}
            </>
          )}
        </div>
      );
    }
    return PointTooltip;
  }, [series, locale, unit, w]);

  const markers: Marker[] = [
    ...series.points
      .filter((p) => p.flag !== 'G')
      .map((p) => ({ kind: 'flag' as const, start: p.start, end: p.end, flag: p.flag, point: p })),
    ...series.anomalies.map((a) => ({
      kind: 'anomaly' as const,
      start: a.slotStart,
      end: a.slotStart + SLOT_MS,
      anomaly: a,
    })),
  ].sort((a, b) => a.start - b.start || (a.kind === 'flag' ? -1 : 1));
  const span = Math.max(1, series.to - series.from);
  const percent = (ms: number) =>
    `${Math.min(100, Math.max(0, ((ms - series.from) / span) * 100))}%`;
  const openMarker = (m: Marker) =>
    m.kind === 'anomaly' && !slotLevel
      ? open(m.start - 6 * HOUR_MS, m.start + 6 * HOUR_MS)
      : open(m.start, m.end);
  const describe = (m: Marker) => {
    if (m.kind === 'anomaly') {
      const a = m.anomaly!;
      return `${w.anomaly} ${a.detector} · ${w.score} ${formatNumber(a.score, locale, 3)}`;
    }
    const p = m.point!;
    const parts = [`${m.flag} ${w.flags[m.flag!]}`];
    if (!slotLevel) parts.push(`${p.slots} × 10 min`);
    if (p.correction) parts.push(`${w.methods[p.correction.method]} — ${p.correction.reason}`);
    else if (p.corrected > 0) parts.push(`${p.corrected} ${w.corrections.toLowerCase()}`);
    return parts.join(' · ');
  };

  return (
    <>
      <section className="card pd-chart" aria-label={valueKey}>
        <div className="pd-chart-head">
          <h2>
            {locale === 'en' ? variable.name.en : variable.name.es}{' '}
            <span className="muted">({unit})</span>
          </h2>
          <p className="muted">
            {formatInstant(series.from, locale, '10min')} –{' '}
            {formatInstant(series.to, locale, '10min')} · {w.resolution[series.resolution]}
          </p>
        </div>
        <ul className="pd-counts" aria-label={w.flagCounts}>
          {(Object.keys(series.counts) as Flag[]).map((flag) => (
            <li key={flag} className={`pd-badge pd-flag-${flag}`} data-flag={flag}>
              {flag} {w.flags[flag]}: {series.counts[flag]}
            </li>
          ))}
        </ul>
        <p className="pd-legend">
          <span className="pd-key pd-key-value" /> {valueKey}
          {showMeasured && (
            <>
              {' '}
              <span className="pd-key pd-key-measured" /> {measuredKey}
            </>
          )}
        </p>
        <div
          className="pd-chart-tap"
          onClick={(event) => {
            const point = pointAt(event.currentTarget, event.clientX, series.points);
            if (point) open(point.start, point.end);
          }}
        >
          <LineChart
            customTooltip={Tooltip}
            className="pd-linechart"
            data={data}
            index="time"
            categories={showMeasured ? [valueKey, measuredKey] : [valueKey]}
            colors={['amber', 'gray']}
            valueFormatter={(v: number) => formatNumber(v, locale, 3)}
            yAxisWidth={Y_AXIS_WIDTH}
            padding={{ left: X_PADDING, right: X_PADDING }}
            autoMinValue
            connectNulls={false}
            showAnimation={false}
            showLegend={false}
            noDataText={w.noData}
          />
        </div>
        <div className="pd-strip" aria-label={w.markers}>
          {markers.slice(0, MAX_MARKS).map((m) => (
            <button
              key={`${m.kind}|${m.start}|${m.anomaly?.id ?? ''}`}
              type="button"
              className={m.kind === 'anomaly' ? 'pd-mark pd-anomaly' : `pd-mark pd-flag-${m.flag}`}
              style={{
                left: percent(m.start),
                width:
                  m.kind === 'anomaly'
                    ? undefined
                    : `max(4px, ${((m.end - m.start) / span) * 100}%)`,
              }}
              title={`${formatInstant(m.start, locale, series.resolution)} · ${describe(m)}`}
              aria-label={`${formatInstant(m.start, locale, series.resolution)} · ${describe(m)}`}
              onClick={() => openMarker(m)}
            />
          ))}
        </div>
        <p className="muted pd-hint">{slotLevel ? w.tapHint : w.zoomHint}</p>
        <label className="pd-toggle">
          <input
            type="checkbox"
            checked={showMeasured}
            onChange={(e) => setShowMeasured(e.target.checked)}
          />
          {w.measured}
        </label>
      </section>

      {selected !== null && (
        <EvidencePanel
          key={selected}
          slug={slug}
          locale={locale}
          variableId={variable.id}
          unit={unit}
          totalizer={totalizer}
          slotStart={selected}
          canCorrect={canCorrect}
          onClose={() => setSelected(null)}
        />
      )}

      <section className="card pd-markers" aria-label={w.markers}>
        <h2>{w.markers}</h2>
        {markers.length === 0 && <p className="muted">{w.noMarkers}</p>}
        <ul>
          {markers.slice(0, MAX_LISTED).map((m) => (
            <li key={`${m.kind}|${m.start}|${m.anomaly?.id ?? ''}`}>
              <button type="button" className="pd-marker" onClick={() => openMarker(m)}>
                <span
                  className={
                    m.kind === 'anomaly'
                      ? 'pd-badge pd-anomaly-badge'
                      : `pd-badge pd-flag-${m.flag}`
                  }
                >
                  {m.kind === 'anomaly' ? '▲' : m.flag}
                </span>
                <span>
                  <strong>{formatInstant(m.start, locale, series.resolution)}</strong>{' '}
                  <span className="muted">{describe(m)}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
        {markers.length > MAX_LISTED && (
          <p className="muted">{w.moreMarkers(markers.length - MAX_LISTED)}</p>
        )}
      </section>

      <section className="card pd-table" aria-label={w.table}>
        <div className="pd-row">
          <h2>{w.table}</h2>
          <button type="button" onClick={() => setShowTable(!showTable)} aria-expanded={showTable}>
            {showTable ? w.hideTable : w.showTable}
          </button>
        </div>
        {showTable && (
          <div className="pd-scroll">
            <table>
              <thead>
                <tr>
                  <th>{w.time}</th>
                  <th>{valueKey}</th>
                  <th>{w.measured}</th>
                  <th>{w.flag}</th>
                </tr>
              </thead>
              <tbody>
                {series.points.map((p) => (
                  <tr
                    key={p.start}
                    className={p.corrected > 0 ? 'pd-corrected' : undefined}
                    onClick={() => open(p.start, p.end)}
                  >
                    <td>{formatInstant(p.start, locale, series.resolution)}</td>
                    <td className="num">
                      {p.value === null ? '—' : formatNumber(p.value, locale, 3)}
                    </td>
                    <td className="num">
                      {p.corrected > 0
                        ? p.original === null
                          ? '—'
                          : formatNumber(p.original, locale, 3)
                        : ''}
                    </td>
                    <td>
                      <span className={`pd-badge pd-flag-${p.flag}`}>{p.flag}</span>
                      {p.originalFlag && p.originalFlag !== p.flag && (
                        <span className="muted"> ({p.originalFlag})</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <RawSamples slug={slug} locale={locale} series={series} />
    </>
  );
}

/** The raw samples of the range, when it is 24 h or shorter. */
function RawSamples({ slug, locale, series }: { slug: string; locale: Locale; series: SlotsView }) {
  const w = dictionary(locale).pointDetail;
  const [raw, setRaw] = useState<RawView | null>(null);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const short = series.to - series.from <= RAW_RANGE_MS;

  async function load() {
    setBusy(true);
    setProblems([]);
    try {
      setRaw(
        await trpc.series.raw.query({
          tenantSlug: slug,
          variableId: series.variable.id,
          from: new Date(series.from).toISOString(),
          to: new Date(series.to).toISOString(),
        }),
      );
    } catch (error) {
      setProblems(errorMessages(error, locale));
    } finally {
      setBusy(false);
    }
  }

  const time = (ms: number) =>
    new Intl.DateTimeFormat(locale, {
      timeZone: 'America/Bogota',
      day: '2-digit',
      month: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).format(ms);

  return (
    <section className="card pd-raw" aria-label={w.rawSamples}>
      <div className="pd-row">
        <h2>{w.rawSamples}</h2>
        {short && (
          <button type="button" onClick={() => void load()} disabled={busy}>
            {busy ? w.loading : w.loadRaw}
          </button>
        )}
      </div>
      {!short && <p className="muted">{w.rawTooLong}</p>}
      {problems.length > 0 && (
        <div className="error" role="alert">
          {problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      )}
      {raw && raw.samples.length === 0 && <p className="muted">{w.noRaw}</p>}
      {raw && raw.samples.length > 0 && (
        <>
          {(raw.truncated || raw.samples.length > MAX_RAW_SHOWN) && (
            <p className="muted">{w.rawTruncated(Math.min(MAX_RAW_SHOWN, raw.samples.length))}</p>
          )}
          <div className="pd-scroll">
            <table>
              <thead>
                <tr>
                  <th>{w.time}</th>
                  <th>{w.value}</th>
                  <th>{w.received}</th>
                  <th>{w.source}</th>
                  <th>{w.flag}</th>
                </tr>
              </thead>
              <tbody>
                {raw.samples.slice(0, MAX_RAW_SHOWN).map((s) => (
                  <tr key={s.ts}>
                    <td>{time(s.ts)}</td>
                    <td className="num">{formatValue(s.value, raw.variable.unitLabel, locale)}</td>
                    <td className="num">
                      {formatValue(s.rawValue, raw.variable.inputUnit, locale)}
                    </td>
                    <td>{w.sourceStatus[s.sourceStatus]}</td>
                    <td>
                      {s.flag === null ? (
                        <span className="muted">{w.pending}</span>
                      ) : (
                        <span className={`pd-badge pd-flag-${s.flag}`}>{s.flag}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
