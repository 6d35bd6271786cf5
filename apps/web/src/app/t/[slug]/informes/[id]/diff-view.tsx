import { variableByCode } from '@anh/domain/catalog';
import type { ReportDiff } from '@anh/domain/report-diff';
import { dictionary, type Locale } from '~/lib/i18n';
import { formatValue, inLocale } from '../view';

/** What changed between two versions of a day's report (server-rendered, no script). */
export function DiffView({
  diff: result,
  locale,
}: {
  diff: {
    before: { id: string; version: number };
    after: { id: string; version: number };
    diff: ReportDiff;
  };
  locale: Locale;
}) {
  const t = dictionary(locale);
  const r = t.reportsUi;
  const { diff } = result;
  const name = (code: string) => variableByCode(code)?.name[locale === 'en' ? 'en' : 'es'] ?? code;
  const signed = (value: number | null) =>
    value === null ? '' : `${value > 0 ? '+' : ''}${formatValue(value, locale)}`;
  const fieldName = (field: string) =>
    ({
      mean: r.mean,
      min: r.min,
      max: r.max,
      total: r.total,
      completeness: r.completeness,
      worstFlag: r.worstFlag,
    })[field] ?? field;

  return (
    <div className="diff">
      <h3>{r.diffTitle(result.before.version, result.after.version)}</h3>
      {diff.identical && <p className="muted">{r.diffIdentical}</p>}
      {diff.totals.length > 0 && (
        <>
          <h4>{r.diffTotals}</h4>
          <table className="rtable compact">
            <thead>
              <tr>
                <th>{r.total}</th>
                <th>{r.before}</th>
                <th>{r.after}</th>
                <th>{r.change}</th>
              </tr>
            </thead>
            <tbody>
              {diff.totals.map((c) => (
                <tr key={c.total}>
                  <td data-label={r.total}>{r.totalNames[c.total]}</td>
                  <td data-label={r.before}>{formatValue(c.before, locale)}</td>
                  <td data-label={r.after}>{formatValue(c.after, locale)}</td>
                  <td data-label={r.change}>
                    <strong>{signed(c.delta)}</strong>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {diff.daily.length > 0 && (
        <>
          <h4>{r.diffDaily}</h4>
          <table className="rtable compact">
            <thead>
              <tr>
                <th>{t.variable}</th>
                <th>{r.before}</th>
                <th>{r.after}</th>
                <th>{r.change}</th>
              </tr>
            </thead>
            <tbody>
              {diff.daily.map((c) => (
                <tr key={`${c.point}/${c.variable}/${c.field}`}>
                  <td data-label={t.variable}>
                    {c.point} · {name(c.variable)} · {fieldName(c.field)}
                  </td>
                  <td data-label={r.before}>{formatValue(c.before, locale)}</td>
                  <td data-label={r.after}>{formatValue(c.after, locale)}</td>
                  <td data-label={r.change}>
                    <strong>{signed(c.delta)}</strong>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {diff.slots.changedSlots > 0 && (
        <>
          <p>{r.diffSlots(diff.slots.changedSlots, diff.slots.changedValues)}</p>
          <ul>
            {diff.slots.byVariable.map((v) => (
              <li key={`${v.point}/${v.variable}`}>
                {v.point} · {name(v.variable)}: {v.slots}
              </li>
            ))}
          </ul>
        </>
      )}
      {diff.completeness && (
        <p>
          {r.completeness}: {formatValue(diff.completeness.before, locale)} →{' '}
          {formatValue(diff.completeness.after, locale)} · {r.missingSlots}:{' '}
          {diff.completeness.missingSlotsBefore} → {diff.completeness.missingSlotsAfter}
        </p>
      )}
      {(
        [
          [r.diffChecksAdded, diff.checks.added],
          [r.diffChecksRemoved, diff.checks.removed],
        ] as const
      ).map(([title, checks]) =>
        checks.length === 0 ? null : (
          <div key={title}>
            <h4>{title}</h4>
            <ul className="findings">
              {checks.map((c, i) => (
                <li key={i}>
                  <span className="badge">{r.statuses[c.status]}</span>{' '}
                  {inLocale(c.message, locale)} <span className="muted">({c.rule})</span>
                </li>
              ))}
            </ul>
          </div>
        ),
      )}
      {diff.checks.changed.length > 0 && (
        <>
          <h4>{r.diffChecksChanged}</h4>
          <ul className="findings">
            {diff.checks.changed.map((c, i) => (
              <li key={i}>
                {c.rule}
                {c.point ? ` · ${c.point}` : ''}: {r.statuses[c.before.status]}{' '}
                {c.before.value !== null && `(${formatValue(c.before.value, locale)})`} →{' '}
                {r.statuses[c.after.status]}{' '}
                {c.after.value !== null && `(${formatValue(c.after.value, locale)})`}
              </li>
            ))}
          </ul>
        </>
      )}
      {diff.series.added.length > 0 && (
        <p>
          {r.diffSeriesAdded}:{' '}
          {diff.series.added.map((s) => `${s.point} · ${name(s.variable)}`).join(', ')}
        </p>
      )}
      {diff.series.removed.length > 0 && (
        <p>
          {r.diffSeriesRemoved}:{' '}
          {diff.series.removed.map((s) => `${s.point} · ${name(s.variable)}`).join(', ')}
        </p>
      )}
      {diff.other.length > 0 && (
        <p>
          {r.diffOther}: <code>{diff.other.join(', ')}</code>
        </p>
      )}
    </div>
  );
}
