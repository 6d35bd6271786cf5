import Link from 'next/link';
import { TRPCError } from '@trpc/server';
import { variableByCode } from '@anh/domain/catalog';
import { isUnitCode, UNITS } from '@anh/domain/units';
import { formatDateTime, formatNumber } from '~/lib/format';
import type { Locale } from '~/lib/i18n';
import { orNotFound, tenantPage } from '~/server/page-context';
import {
  formatDay,
  formatPercent,
  formatValue,
  inLocale,
  param,
  uuidOrNull,
  type Search,
} from '../view';
import { AmendForm } from './amend-form';
import { DiffView } from './diff-view';
import { RawJson } from './raw-json';

export const dynamic = 'force-dynamic';

const unitLabel = (unit: string) => (isUnitCode(unit) ? UNITS[unit].label : unit);
const variableName = (code: string, locale: Locale) =>
  variableByCode(code)?.name[locale === 'en' ? 'en' : 'es'] ?? code;

export default async function ReportPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string; id: string }>;
  searchParams: Promise<Search>;
}) {
  const { slug, id } = await params;
  const { caller, locale, t, can } = await tenantPage(slug);
  const r = t.reportsUi;
  if (!can('reports.detail'))
    return (
      <main>
        <p className="muted">{t.noPermission}</p>
      </main>
    );
  const detail = await orNotFound(caller.reports.detail({ tenantSlug: slug, reportId: id }));
  const { report, content, validation, chain, versions, deliveries } = detail;
  const base = `/t/${slug}/informes`;

  // The diff: against ?contra=<id>, else the previous version of the day when there is one.
  const chosen = uuidOrNull(param(await searchParams, 'contra'));
  const previousVersion = versions.filter((v) => v.version < report.version).at(-1);
  const againstId = chosen && chosen !== report.id ? chosen : (previousVersion?.id ?? null);
  let diff: Awaited<ReturnType<typeof caller.reports.diff>> | null = null;
  let diffRefused = false;
  if (againstId) {
    try {
      diff = await caller.reports.diff({
        tenantSlug: slug,
        reportId: report.id,
        againstReportId: againstId,
      });
    } catch (error) {
      if (!(error instanceof TRPCError && ['BAD_REQUEST', 'NOT_FOUND'].includes(error.code)))
        throw error;
      diffRefused = true;
    }
  }
  const findings = validation.checks.filter((c) => c.status === 'violation');
  const passed = validation.checks.filter((c) => c.status !== 'violation');

  return (
    <main className="report">
      <p>
        <Link href={base}>← {r.back}</Link>
      </p>
      <h1>
        {r.reportTitle(report.siteCode, formatDay(report.day, locale), report.version)}{' '}
        <span className={`badge state-${report.state}`}>{r.states[report.state]}</span>
      </h1>
      <section className="card">
        <dl className="facts">
          <dt>{r.site}</dt>
          <dd>
            {report.siteCode} · {report.siteName}
          </dd>
          <dt>{r.file}</dt>
          <dd>
            <code>{report.fileName}</code>
          </dd>
          <dt>{r.size}</dt>
          <dd>{r.bytes(formatNumber(report.bytes, locale, 0))}</dd>
          <dt>{r.sha256}</dt>
          <dd>
            <code>{report.sha256}</code>
          </dd>
          <dt>{r.builtAt}</dt>
          <dd>{formatDateTime(report.builtAt, locale)}</dd>
          <dt>{r.deliveredAt}</dt>
          <dd>{formatDateTime(report.deliveredAt, locale)}</dd>
          {report.amendmentReason && (
            <>
              <dt>{r.amendment}</dt>
              <dd>{report.amendmentReason}</dd>
              <dt>{r.amendedBy}</dt>
              <dd>{report.amendedByName ?? report.amendedBy ?? '—'}</dd>
            </>
          )}
        </dl>
        <p className="actions">
          <a className="button" href={`/api/t/${slug}/reports/${report.id}`} download>
            ⬇ {r.download}
          </a>
        </p>
      </section>

      {content && (
        <>
          <section className="card">
            <h2>{r.totals}</h2>
            <dl className="facts numbers">
              {(Object.keys(r.totalNames) as Array<keyof typeof r.totalNames>).map((key) => (
                <div key={key} className="fact">
                  <dt>{r.totalNames[key]}</dt>
                  <dd>{formatValue(content.totals[key], locale)}</dd>
                </div>
              ))}
            </dl>
          </section>

          <section className="card">
            <h2>{r.completeness}</h2>
            <dl className="facts">
              <dt>{r.overall}</dt>
              <dd>{formatPercent(content.completeness.overall, locale)}</dd>
              <dt>{r.missingSlots}</dt>
              <dd>{formatNumber(content.completeness.missingSlots, locale, 0)}</dd>
              {content.completeness.byPoint.map((p) => (
                <div key={p.point} className="fact">
                  <dt>{p.point}</dt>
                  <dd>{formatPercent(p.completeness, locale)}</dd>
                </div>
              ))}
            </dl>
          </section>
        </>
      )}

      <section className="card">
        <h2>{r.validation}</h2>
        {validation.schemaOk ? (
          <p className="ok">✓ {r.schemaOk}</p>
        ) : (
          <div className="error" role="alert">
            <p>{r.schemaProblems}</p>
            <ul>
              {validation.violations.map((v, i) => (
                <li key={i}>
                  <code>{v.path}</code> {inLocale(v.message, locale)}
                </li>
              ))}
            </ul>
          </div>
        )}
        <p>
          {r.blocking}: <strong>{validation.blocking}</strong> · {r.warnings}:{' '}
          <strong>{validation.warnings}</strong>
        </p>
        <h3>{r.findings}</h3>
        {findings.length === 0 ? (
          <p className="muted">{r.noFindings}</p>
        ) : (
          <ul className="findings">
            {findings.map((c, i) => (
              <li key={i}>
                <span className={`badge severity-${c.severity}`}>{r.severities[c.severity]}</span>{' '}
                {inLocale(c.message, locale)}{' '}
                <span className="muted">
                  ({c.rule}
                  {c.point ? ` · ${c.point}` : ''})
                </span>
              </li>
            ))}
          </ul>
        )}
        {passed.length > 0 && (
          <details>
            <summary>{r.checksOk(passed.length)}</summary>
            <ul className="findings">
              {passed.map((c, i) => (
                <li key={i}>
                  <span className="badge">{r.statuses[c.status]}</span>{' '}
                  {inLocale(c.message, locale)}{' '}
                  <span className="muted">
                    ({c.rule}
                    {c.point ? ` · ${c.point}` : ''})
                  </span>
                </li>
              ))}
            </ul>
          </details>
        )}
        <h3>{r.balances}</h3>
        <ul className="findings">
          {detail.balances.map((b, i) => (
            <li key={i}>
              <span className={`badge ${b.status === 'violation' ? 'state-failed' : ''}`}>
                {r.statuses[b.status]}
              </span>{' '}
              {inLocale(b.message, locale)}
              {b.value !== null && (
                <span className="muted">
                  {' '}
                  ({formatValue(b.value, locale)}
                  {b.reference !== null ? ` / ${formatValue(b.reference, locale)}` : ''})
                </span>
              )}
            </li>
          ))}
        </ul>
        {detail.events.length === 0 ? (
          <>
            <h3>{r.events}</h3>
            <p className="muted">{r.noEvents}</p>
          </>
        ) : (
          <details>
            <summary>
              {r.events} ({detail.events.length})
            </summary>
            <ul className="findings">
              {detail.events.map((e, i) => (
                <li key={i}>
                  <span className={`badge severity-${e.severity}`}>{r.severities[e.severity]}</span>{' '}
                  {inLocale(e.message, locale)}{' '}
                  <span className="muted">· {r.occurrences(e.count)}</span>
                </li>
              ))}
            </ul>
          </details>
        )}
      </section>

      {content && (
        <section className="card">
          <h2>{r.dailyValues}</h2>
          {content.points.map((point) => (
            <details key={point.code} className="point">
              <summary>
                <strong>{point.code}</strong> · {point.name}{' '}
                <span className="muted">
                  {t.pointKinds[point.kind as keyof typeof t.pointKinds] ?? point.kind}
                </span>
              </summary>
              <table className="rtable compact">
                <thead>
                  <tr>
                    <th>{t.variable}</th>
                    <th>{r.mean}</th>
                    <th>{r.min}</th>
                    <th>{r.max}</th>
                    <th>{r.total}</th>
                    <th>{r.completeness}</th>
                    <th>{r.worstFlag}</th>
                  </tr>
                </thead>
                <tbody>
                  {point.variables.map((v) => (
                    <tr key={v.code}>
                      <td data-label={t.variable}>
                        <span>
                          {variableName(v.code, locale)}{' '}
                          <span className="muted">({unitLabel(v.unit)})</span>
                        </span>
                      </td>
                      <td data-label={r.mean}>{formatValue(v.daily.mean, locale)}</td>
                      <td data-label={r.min}>{formatValue(v.daily.min, locale)}</td>
                      <td data-label={r.max}>{formatValue(v.daily.max, locale)}</td>
                      <td data-label={r.total}>{formatValue(v.daily.total ?? null, locale)}</td>
                      <td data-label={r.completeness}>
                        {formatPercent(v.daily.completeness, locale)}
                      </td>
                      <td data-label={r.worstFlag}>
                        <span className={`badge flag-${v.daily.worstFlag}`}>
                          {v.daily.worstFlag}
                        </span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          ))}
        </section>
      )}

      <section className="card">
        <h2>{r.deliveries}</h2>
        {deliveries.length === 0 ? (
          <p className="muted">{r.noDeliveries}</p>
        ) : (
          <ol className="receipts">
            {deliveries.map((d) => (
              <li key={d.attempt}>
                <p>
                  <strong>{r.attempt(d.attempt)}</strong> · {formatDateTime(d.finishedAt, locale)}{' '}
                  <span
                    className={`badge ${d.outcome === 'failed' ? 'state-failed' : 'state-delivered'}`}
                  >
                    {r.outcomes[d.outcome] ?? d.outcome}
                  </span>
                </p>
                <dl className="facts">
                  <dt>{t.host}</dt>
                  <dd>{d.host}</dd>
                  <dt>{r.remotePath}</dt>
                  <dd>
                    <code>{d.remotePath}</code>
                  </dd>
                  <dt>{r.remoteSize}</dt>
                  <dd>{d.bytes === null ? '—' : r.bytes(formatNumber(d.bytes, locale, 0))}</dd>
                  <dt>{r.readBack}</dt>
                  <dd>{d.readBackSha256 ? <code>{d.readBackSha256}</code> : '—'}</dd>
                </dl>
                {d.error && <p className="error">{d.error}</p>}
                {d.replies.length > 0 && (
                  <details>
                    <summary>{r.replies}</summary>
                    <ul className="mono">
                      {d.replies.map((reply, i) => (
                        <li key={i}>
                          {reply.step}: {reply.code ?? '—'} {reply.message}
                        </li>
                      ))}
                    </ul>
                  </details>
                )}
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="card">
        <h2>{r.chain}</h2>
        <p className={chain.hashOk ? 'ok' : 'error'}>
          {chain.hashOk ? `✓ ${r.hashOk}` : `✗ ${r.hashBad}`}
        </p>
        {chain.previous === null && chain.previousSha256 === null ? (
          <p className="ok">✓ {r.firstInChain}</p>
        ) : (
          <p className={chain.linked ? 'ok' : 'error'}>
            {chain.linked ? `✓ ${r.linkedOk}` : `✗ ${r.linkedBad}`}
          </p>
        )}
        {chain.nextLinked === false && <p className="error">✗ {r.nextLinkedBad}</p>}
        <dl className="facts">
          <dt>{r.previousSha}</dt>
          <dd>{chain.previousSha256 ? <code>{chain.previousSha256}</code> : '—'}</dd>
          {chain.previous && (
            <>
              <dt>{r.previousReport}</dt>
              <dd>
                <Link href={`${base}/${chain.previous.id}`}>
                  {formatDay(chain.previous.day, locale)} · v{chain.previous.version}
                </Link>
              </dd>
            </>
          )}
        </dl>
      </section>

      <section className="card">
        <h2>{r.versions}</h2>
        <ul className="versions">
          {versions.map((v) => (
            <li key={v.id}>
              {v.id === report.id ? (
                <strong>
                  v{v.version} ({r.current})
                </strong>
              ) : (
                <Link href={`${base}/${v.id}`}>v{v.version}</Link>
              )}{' '}
              · {formatDateTime(v.builtAt, locale)}
              {v.deliveredAt && ` · ${r.states.delivered}`}
              {v.amendmentReason && <span className="muted"> · {v.amendmentReason}</span>}
              {v.id !== report.id && v.id !== diff?.before.id && (
                <>
                  {' '}
                  · <Link href={`${base}/${report.id}?contra=${v.id}`}>{r.compare}</Link>
                </>
              )}
            </li>
          ))}
        </ul>
        {diffRefused && <p className="error">{r.diffRefused}</p>}
        {diff && <DiffView diff={diff} locale={locale} />}
      </section>

      {can('delivery.amend') && (
        <AmendForm slug={slug} locale={locale} day={report.day} siteId={report.siteId} />
      )}

      <section className="card">
        <RawJson url={`/api/t/${slug}/reports/${report.id}`} locale={locale} />
      </section>
    </main>
  );
}
