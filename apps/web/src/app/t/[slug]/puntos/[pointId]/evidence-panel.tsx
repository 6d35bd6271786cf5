'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useEffect, useRef, useState } from 'react';
import { ActionForm, requiredNumber, text } from '~/components/action-form';
import { formatDateTime, formatNumber } from '~/lib/format';
import { dictionary, type Locale } from '~/lib/i18n';
import { errorMessages, trpc } from '~/lib/trpc';
import type { AppRouter } from '~/server/trpc/root';
import { formatInstant, formatValue } from './format';

type EvidenceView = inferRouterOutputs<AppRouter>['series']['evidence'];
type Method = 'substitute' | 'interpolate' | 'previous_day';
const METHODS: Method[] = ['substitute', 'interpolate', 'previous_day'];

/**
 * Why a 10-minute slot has its flag: the validation rules that fired on its samples (in
 * the user's language), its sample counts, anomalies, and its corrections (made,
 * superseded, reverted). Engineers correct it here, or revert the correction in force.
 */
export function EvidencePanel({
  slug,
  locale,
  variableId,
  unit,
  totalizer,
  slotStart,
  canCorrect,
  onClose,
}: {
  slug: string;
  locale: Locale;
  variableId: string;
  unit: string;
  totalizer: boolean;
  slotStart: number;
  canCorrect: boolean;
  onClose: () => void;
}) {
  const t = dictionary(locale);
  const w = t.pointDetail;
  const lang = locale === 'en' ? 'en' : 'es';
  const [evidence, setEvidence] = useState<EvidenceView | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [version, setVersion] = useState(0);
  const [method, setMethod] = useState<Method>('substitute');
  const panel = useRef<HTMLElement>(null);

  // On a phone the panel opens below the chart: bring it into view.
  useEffect(() => {
    panel.current?.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }, []);

  useEffect(() => {
    let current = true;
    trpc.series.evidence
      .query({ tenantSlug: slug, variableId, slotStart: new Date(slotStart).toISOString() })
      .then((found) => {
        if (!current) return;
        setEvidence(found);
        setProblems([]);
      })
      .catch((error: unknown) => {
        if (current) setProblems(errorMessages(error, locale));
      });
    return () => {
      current = false;
    };
  }, [slug, variableId, slotStart, version, locale]);

  const slot = evidence?.slot;
  const active = evidence?.corrections.find((c) => c.active) ?? null;
  const number = (value: number | null) => formatValue(value, unit, locale);

  return (
    <section ref={panel} className="card pd-evidence" aria-label={w.evidence} aria-live="polite">
      <div className="pd-row">
        <h2>
          {w.evidence} · {formatInstant(slotStart, locale, '10min')}
        </h2>
        <button type="button" onClick={onClose}>
          {w.close}
        </button>
      </div>
      {problems.length > 0 && (
        <div className="error" role="alert">
          {problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      )}
      {!evidence && problems.length === 0 && <p className="muted">{w.loading}</p>}
      {evidence && slot && (
        <>
          <dl className="pd-facts">
            <dt>{totalizer ? w.increase : w.value}</dt>
            <dd>
              {number(totalizer ? slot.delta : slot.mean)}{' '}
              <span className={`pd-badge pd-flag-${slot.flag}`}>
                {slot.flag} {w.flags[slot.flag]}
              </span>
            </dd>
            {slot.original && (
              <>
                <dt>{w.measured}</dt>
                <dd>
                  {number(totalizer ? slot.original.delta : slot.original.mean)}{' '}
                  <span className={`pd-badge pd-flag-${slot.original.flag}`}>
                    {slot.original.flag} {w.flags[slot.original.flag]}
                  </span>
                </dd>
              </>
            )}
            {!totalizer && slot.min !== null && (
              <>
                <dt>min / max</dt>
                <dd>
                  {number(slot.min)} / {number(slot.max)}
                </dd>
              </>
            )}
            <dt>{w.completeness}</dt>
            <dd>{formatNumber(slot.completeness * 100, locale, 0)} %</dd>
            <dt>{w.samples}</dt>
            <dd>{w.samplesLine(evidence.samples.total, evidence.samples.manual)}</dd>
            {evidence.samples.total > 0 && (
              <>
                <dt>{w.byFlag}</dt>
                <dd>
                  {(['G', 'S', 'E', 'B', 'M'] as const)
                    .filter((f) => evidence.samples.byFlag[f] > 0)
                    .map((f) => `${f}: ${evidence.samples.byFlag[f]}`)
                    .concat(
                      evidence.samples.byFlag.pending > 0
                        ? [`${w.pending}: ${evidence.samples.byFlag.pending}`]
                        : [],
                    )
                    .join(' · ')}
                </dd>
                <dt>{w.bySource}</dt>
                <dd>
                  {(['good', 'uncertain', 'bad'] as const)
                    .filter((s) => evidence.samples.bySource[s] > 0)
                    .map((s) => `${w.sourceStatus[s]}: ${evidence.samples.bySource[s]}`)
                    .join(' · ')}
                </dd>
              </>
            )}
          </dl>
          {!slot.stored && <p className="muted">{w.notStored}</p>}

          <h3>{w.rules}</h3>
          {evidence.events.length === 0 ? (
            <p className="muted">{w.noRules}</p>
          ) : (
            <ul className="pd-events">
              {evidence.events.map((e) => (
                <li key={`${e.ts}|${e.ruleId}`}>
                  <span className={`pd-badge pd-severity-${e.severity}`}>{e.severity}</span>{' '}
                  {e.flag && <span className={`pd-badge pd-flag-${e.flag}`}>{e.flag}</span>}{' '}
                  <strong>{e.message[lang]}</strong>
                  <br />
                  <span className="muted">
                    {formatInstant(e.ts, locale, '10min')} · {e.ruleId}
                    {e.family && ` · ${e.family[lang]}`}
                  </span>
                </li>
              ))}
            </ul>
          )}

          {evidence.anomalies.length > 0 && (
            <>
              <h3>{w.anomaly}</h3>
              <ul className="pd-events">
                {evidence.anomalies.map((a) => (
                  <li key={a.id}>
                    ▲ {a.detector} · {w.score} {formatNumber(a.score, locale, 3)} (
                    {formatNumber(a.threshold, locale, 3)}) · v{a.modelVersion}
                  </li>
                ))}
              </ul>
            </>
          )}

          <h3>{w.corrections}</h3>
          {evidence.corrections.length === 0 ? (
            <p className="muted">{w.noCorrections}</p>
          ) : (
            <ul className="pd-events">
              {evidence.corrections.map((c) => (
                <li key={c.id}>
                  <span className={`pd-badge pd-flag-${c.method === 'substitute' ? 'S' : 'E'}`}>
                    {c.active ? w.inForce : c.revertedBy ? w.reverted : w.superseded}
                  </span>{' '}
                  <strong>{number(c.value)}</strong> · {c.methodLabel[lang]}
                  <br />«{c.reason}» · {w.by} {c.userName ?? '—'} ·{' '}
                  {formatDateTime(c.createdAt, locale)}
                  {c.revertReason && (
                    <>
                      <br />
                      <span className="muted">
                        {w.reverted}: «{c.revertReason}» · {w.by} {c.revertedByName ?? '—'}
                        {c.supersededAt && ` · ${formatDateTime(c.supersededAt, locale)}`}
                      </span>
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}

          {canCorrect && active && (
            <ActionForm
              locale={locale}
              name={w.revert}
              submitLabel={w.revert}
              className="stack pd-form"
              action={async (form) => {
                await trpc.series.revertCorrection.mutate({
                  tenantSlug: slug,
                  correctionId: active.id,
                  reason: text(form, 'reason'),
                });
                setVersion((v) => v + 1);
                return w.revertedDone;
              }}
            >
              <label>
                {w.revertReason}
                <input name="reason" required minLength={10} maxLength={1000} />
              </label>
            </ActionForm>
          )}

          {canCorrect && (
            <ActionForm
              locale={locale}
              name={w.correctTitle}
              submitLabel={w.saveCorrection}
              className="stack pd-form"
              action={async (form) => {
                const chosen = text(form, 'method') as Method;
                const label = totalizer ? w.increaseValue(unit) : w.correctionValue(unit);
                const result = await trpc.series.correct.mutate({
                  tenantSlug: slug,
                  variableId,
                  slotStart: new Date(slotStart).toISOString(),
                  method: chosen,
                  value:
                    chosen === 'substitute' ? requiredNumber(form, 'value', label, locale) : null,
                  reason: text(form, 'reason'),
                });
                setVersion((v) => v + 1);
                return (
                  <>
                    {w.savedCorrection(number(result.value))}
                    {result.amendmentDue && <> {w.amendmentDue}</>}
                  </>
                );
              }}
            >
              <h3>{w.correctTitle}</h3>
              <p className="muted">{w.correctHint}</p>
              <label>
                {w.method}
                <select
                  name="method"
                  value={method}
                  onChange={(e) => setMethod(e.target.value as Method)}
                >
                  {METHODS.map((m) => (
                    <option key={m} value={m}>
                      {w.methods[m]}
                    </option>
                  ))}
                </select>
              </label>
              {method === 'substitute' && (
                <label>
                  {totalizer ? w.increaseValue(unit) : w.correctionValue(unit)}
                  <input name="value" inputMode="decimal" required autoComplete="off" />
                </label>
              )}
              <label>
                {w.reason}
                <textarea name="reason" required minLength={10} maxLength={1000} rows={2} />
              </label>
            </ActionForm>
          )}
        </>
      )}
    </section>
  );
}
