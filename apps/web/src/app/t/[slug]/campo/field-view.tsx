'use client';

import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { FormProblem, requiredNumber, text } from '~/components/action-form';
import { formatDateTime, formatNumber } from '~/lib/format';
import { localize, type Locale } from '~/lib/i18n';
import { fieldDictionary } from '~/lib/i18n-field';
import {
  enqueueReading,
  listReadings,
  newIdempotencyKey,
  QUEUE_CHANNEL,
  replayPending,
  SYNC_TAG,
  type QueuedReading,
} from '~/lib/offline-queue';
import { errorMessages, trpc } from '~/lib/trpc';
import { formatAge } from '../puntos/[pointId]/format';
import { PushButton } from './push-button';
import {
  bogotaInputToIso,
  fieldData,
  isoToBogotaInput,
  MANUAL_KINDS,
  pointsFor,
  pointStatus,
  suits,
  type FieldAlert,
  type FieldData,
  type FieldPoint,
  type ManualKind,
} from './model';

type Words = ReturnType<typeof fieldDictionary>;

/** After asking for a Background Sync, the page sends by itself if nothing happened by then. */
const SYNC_FALLBACK_MS = 15_000;
const REFRESH_EVERY_MS = 60_000;
const SITE_KEY = 'anh-field-site';

type SyncRegistration = ServiceWorkerRegistration & {
  sync?: { register(tag: string): Promise<void> };
};

export function FieldView({
  slug,
  userId,
  locale,
  canEnter,
  canAcknowledge,
  initial,
}: {
  slug: string;
  userId: string;
  locale: Locale;
  canEnter: boolean;
  canAcknowledge: boolean;
  initial: FieldData;
}) {
  const t = fieldDictionary(locale);
  const [data, setData] = useState(initial);
  const [online, setOnline] = useState(true);
  const [now, setNow] = useState(initial.asOf);
  const [queue, setQueue] = useState<QueuedReading[]>([]);
  const [needsSignIn, setNeedsSignIn] = useState(false);
  const [siteId, setSiteId] = useState('');
  const fallback = useRef<ReturnType<typeof setTimeout> | null>(null);

  const refresh = useCallback(async () => {
    try {
      // One batched GET: the service worker keeps its answer for when there is no network.
      const [overview, alerts] = await Promise.all([
        trpc.field.overview.query({ tenantSlug: slug, last: true }),
        trpc.anomalies.alerts.query({ tenantSlug: slug }),
      ]);
      setData(fieldData(overview, alerts));
    } catch {
      // No network and no copy: what is on screen stays, with its date.
    }
  }, [slug]);

  const loadQueue = useCallback(async () => {
    try {
      const all = await listReadings();
      setQueue(all.filter((r) => r.userId === userId && r.tenantSlug === slug));
    } catch {
      setQueue([]);
    }
  }, [slug, userId]);

  const sendFromPage = useCallback(async () => {
    const result = await replayPending('page');
    setNeedsSignIn(result.needsSignIn);
    await loadQueue();
    if (result.sent > 0) void refresh();
  }, [loadQueue, refresh]);

  /**
   * Sends what waits: through Background Sync where the browser has it (the service worker
   * sends, even if this page closes), else (iOS) from this page right now.
   */
  const deliver = useCallback(async () => {
    if (!navigator.onLine) return;
    const registration: SyncRegistration | undefined =
      await navigator.serviceWorker?.getRegistration();
    if (registration?.active && registration.sync) {
      try {
        await registration.sync.register(SYNC_TAG);
        if (fallback.current) clearTimeout(fallback.current);
        fallback.current = setTimeout(() => {
          void listReadings().then((all) => {
            if (navigator.onLine && all.some((r) => r.state === 'pending' && r.userId === userId))
              void sendFromPage();
          });
        }, SYNC_FALLBACK_MS);
        return;
      } catch {
        // Not allowed here (permissions, private mode): send from the page.
      }
    }
    await sendFromPage();
  }, [sendFromPage, userId]);

  useEffect(() => {
    setOnline(navigator.onLine);
    setNow(Date.now());
    setSiteId(localStorage.getItem(SITE_KEY) ?? '');
    void loadQueue();
    void deliver(); // the app starting is a moment to send, too
    // Opened from the service worker's copy: its own data may be newer than the page's.
    if (Date.now() - initial.asOf > 30_000) void refresh();

    const goOnline = () => {
      setOnline(true);
      void deliver();
      void refresh();
    };
    const goOffline = () => setOnline(false);
    window.addEventListener('online', goOnline);
    window.addEventListener('offline', goOffline);
    const tick = setInterval(() => setNow(Date.now()), 30_000);
    const poll = setInterval(() => {
      if (navigator.onLine && document.visibilityState === 'visible') void refresh();
    }, REFRESH_EVERY_MS);
    // The service worker tells when it has sent something.
    const channel =
      typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(QUEUE_CHANNEL);
    let settle: ReturnType<typeof setTimeout> | null = null;
    if (channel)
      channel.onmessage = () => {
        void loadQueue();
        // What was sent shows among the last values: one refresh after a burst of sends.
        if (settle) clearTimeout(settle);
        settle = setTimeout(() => void refresh(), 1_000);
      };
    return () => {
      window.removeEventListener('online', goOnline);
      window.removeEventListener('offline', goOffline);
      clearInterval(tick);
      clearInterval(poll);
      channel?.close();
      if (settle) clearTimeout(settle);
      if (fallback.current) clearTimeout(fallback.current);
    };
  }, [deliver, initial.asOf, loadQueue, refresh]);

  const chooseSite = (id: string) => {
    setSiteId(id);
    localStorage.setItem(SITE_KEY, id);
  };

  const points = useMemo(
    () => data.points.filter((p) => !siteId || p.siteId === siteId),
    [data.points, siteId],
  );
  const pending = queue.filter((r) => r.state === 'pending').length;

  return (
    <>
      <div className="field-head">
        <h1>{t.title}</h1>
        <p className={online ? 'field-net ok' : 'field-net off'} role="status" data-online={online}>
          {online ? t.online : t.offlineBanner}
        </p>
        <p className="muted field-asof" data-as-of={data.asOf}>
          {t.dataAsOf(formatDateTime(new Date(data.asOf), locale))}{' '}
          <button type="button" onClick={() => void refresh()} disabled={!online}>
            {t.refresh}
          </button>
        </p>
        {canEnter && (
          <p>
            <a href="#lectura" className="field-jump">
              {t.newReading}
            </a>
            {pending > 0 && <span className="field-pending"> · {t.pendingCount(pending)}</span>}
          </p>
        )}
        {data.sites.length > 1 && (
          <label>
            {t.site}
            <select value={siteId} onChange={(e) => chooseSite(e.target.value)}>
              <option value="">{t.allSites}</option>
              {data.sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.code} · {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>

      <PushButton slug={slug} locale={locale} online={online} />

      <Alerts
        alerts={data.alerts}
        locale={locale}
        t={t}
        online={online}
        canAcknowledge={canAcknowledge}
        slug={slug}
        onChange={refresh}
      />

      {(['well', 'tank'] as const).map((kind) => (
        <section key={kind} aria-labelledby={`field-${kind}`}>
          <h2 id={`field-${kind}`}>{kind === 'well' ? t.wells : t.tanks}</h2>
          {points.filter((p) => p.kind === kind).length === 0 && (
            <p className="muted">{t.noPoints}</p>
          )}
          <div className="field-cards">
            {points
              .filter((p) => p.kind === kind)
              .map((p) => (
                <PointCard key={p.id} point={p} now={now} locale={locale} t={t} slug={slug} />
              ))}
          </div>
        </section>
      ))}

      {canEnter && (
        <ReadingForm
          points={points.length > 0 ? points : data.points}
          allPoints={data.points}
          locale={locale}
          t={t}
          online={online}
          onSaved={async (item) => {
            await enqueueReading({ ...item, userId, tenantSlug: slug });
            await loadQueue();
            void deliver();
          }}
        />
      )}

      {canEnter && (
        <Queue
          items={queue}
          locale={locale}
          t={t}
          online={online}
          needsSignIn={needsSignIn}
          onSend={sendFromPage}
        />
      )}
    </>
  );
}

function severityClass(severity: string | null): string {
  return severity === 'critical' ? 'crit' : severity === 'warning' ? 'warn' : 'info';
}

function Alerts({
  alerts,
  locale,
  t,
  online,
  canAcknowledge,
  slug,
  onChange,
}: {
  alerts: FieldAlert[];
  locale: Locale;
  t: Words;
  online: boolean;
  canAcknowledge: boolean;
  slug: string;
  onChange: () => Promise<void>;
}) {
  return (
    <section aria-labelledby="field-alerts">
      <h2 id="field-alerts">{t.alerts}</h2>
      {alerts.length === 0 && <p className="muted">{t.noAlerts}</p>}
      {alerts.map((alert) => (
        <article key={alert.id} className="card field-alert" data-alert={alert.id}>
          <p>
            <span className={`field-chip ${severityClass(alert.severity)}`}>
              {t.severity[alert.severity] ?? alert.severity}
            </span>{' '}
            <strong>{localize(alert.message, locale)}</strong>
          </p>
          <p className="muted">
            {t.raised} {formatDateTime(new Date(alert.raisedAt), locale)} ·{' '}
            {t.occurrences(alert.occurrences)}
          </p>
          {alert.acknowledgedAt !== null ? (
            <p className="ok" data-acknowledged>
              ✓ {t.acknowledged} {formatDateTime(new Date(alert.acknowledgedAt), locale)}
              {alert.comment ? ` — ${alert.comment}` : ''}
            </p>
          ) : (
            canAcknowledge && (
              <AcknowledgeForm
                alert={alert}
                locale={locale}
                t={t}
                online={online}
                slug={slug}
                onDone={onChange}
              />
            )
          )}
        </article>
      ))}
    </section>
  );
}

function AcknowledgeForm({
  alert,
  locale,
  t,
  online,
  slug,
  onDone,
}: {
  alert: FieldAlert;
  locale: Locale;
  t: Words;
  online: boolean;
  slug: string;
  onDone: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const comment = text(new FormData(event.currentTarget), 'comment');
    setBusy(true);
    setProblems([]);
    try {
      await trpc.anomalies.acknowledge.mutate({
        tenantSlug: slug,
        alertId: alert.id,
        ...(comment ? { comment } : {}),
      });
      await onDone();
    } catch (error) {
      setProblems(errorMessages(error, locale));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      className="field-ack"
      aria-label={`${t.acknowledge} ${alert.id}`}
      onSubmit={(e) => void submit(e)}
    >
      <label>
        {t.acknowledgeComment}
        <textarea name="comment" rows={2} maxLength={1000} />
      </label>
      {!online && <p className="muted">{t.acknowledgeNeedsNetwork}</p>}
      {problems.length > 0 && (
        <div className="error" role="alert">
          {problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      )}
      <button type="submit" className="primary" disabled={busy || !online}>
        {t.acknowledge}
      </button>
    </form>
  );
}

const STATUS_CLASS = { alert: 'crit', stale: 'warn', noData: 'info', ok: 'good' } as const;

function PointCard({
  point,
  now,
  locale,
  t,
  slug,
}: {
  point: FieldPoint;
  now: number;
  locale: Locale;
  t: Words;
  slug: string;
}) {
  const status = pointStatus(point, now);
  const { state } = point;
  const name = (v: { name: { es: string; en: string } }) =>
    locale === 'en' ? v.name.en : v.name.es;
  return (
    <article className="card field-point" data-point={point.code} data-status={status}>
      <header>
        <a href={`/t/${slug}/puntos/${point.id}`}>
          <strong>{point.code}</strong>
        </a>{' '}
        <span className="muted">{point.name}</span>
        <span className="field-chips">
          <span className={`field-chip ${STATUS_CLASS[status]}`}>{t.status[status]}</span>
          {state.open !== null && (
            <span
              className={`field-chip ${state.open >= 0.5 ? 'good' : 'info'}`}
              data-open={state.open >= 0.5}
            >
              {state.open >= 0.5 ? t.open : t.shut}
            </span>
          )}
        </span>
      </header>
      <p className="muted">
        {t.lastData}:{' '}
        {state.lastDataAt === null
          ? t.noValue
          : t.ago(formatAge(Math.max(0, (now - state.lastDataAt) / 1000), locale))}
      </p>
      <dl className="field-values">
        {state.variables
          .filter((v) => v.code !== 'well_status')
          // Measured first, newest first; the ones without data at the end.
          .sort((a, b) => (b.last?.at ?? -Infinity) - (a.last?.at ?? -Infinity))
          .map((v) => (
            <div key={v.id} data-variable={v.code}>
              <dt>{name(v)}</dt>
              <dd>
                {v.last?.value != null ? (
                  <>
                    <span data-value>{formatNumber(v.last.value, locale, 3)}</span> {v.last.unit}
                    <span className="muted field-age">
                      {t.ago(formatAge(Math.max(0, (now - v.last.at) / 1000), locale))}
                    </span>
                  </>
                ) : (
                  <span className="muted">{t.noValue}</span>
                )}
              </dd>
            </div>
          ))}
      </dl>
    </article>
  );
}

function ReadingForm({
  points,
  allPoints,
  locale,
  t,
  online,
  onSaved,
}: {
  points: FieldPoint[];
  allPoints: FieldPoint[];
  locale: Locale;
  t: Words;
  online: boolean;
  onSaved: (item: Omit<QueuedReading, 'userId' | 'tenantSlug'>) => Promise<void>;
}) {
  const [kind, setKind] = useState<ManualKind>('tank_gauging');
  const candidates = pointsFor(kind, points);
  const [pointId, setPointId] = useState('');
  const point = candidates.find((p) => p.id === pointId) ?? candidates[0];
  const variables = point
    ? [
        ...point.state.variables.filter((v) => suits(kind, v.code)),
        ...point.state.variables.filter((v) => !suits(kind, v.code)),
      ].filter((v) => v.code !== 'well_status')
    : [];
  const [variableId, setVariableId] = useState('');
  const variable = variables.find((v) => v.id === variableId) ?? variables[0];
  const [when, setWhen] = useState('');
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  // The time field starts at "now" on the phone (not at the server's render time).
  useEffect(() => setWhen(isoToBogotaInput(Date.now())), []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setProblems([]);
    setDone(null);
    try {
      if (!point) throw new FormProblem(t.missing(t.point));
      if (!variable) throw new FormProblem(t.missing(t.variable));
      const value = requiredNumber(form, 'value', t.value, locale);
      const ts = bogotaInputToIso(text(form, 'when'));
      if (!ts) throw new FormProblem(t.missing(t.when));
      const note = text(form, 'note');
      const key = newIdempotencyKey();
      setBusy(true);
      await onSaved({
        key,
        enteredAt: Date.now(),
        input: {
          kind,
          idempotencyKey: key,
          ...(note ? { note } : {}),
          readings: [{ variableId: variable.id, ts, value }],
        },
        label: {
          point: point.code,
          variable: locale === 'en' ? variable.name.en : variable.name.es,
          unit: variable.unit,
        },
        state: 'pending',
        attempts: 0,
      });
      setDone(navigator.onLine ? t.savedSending : t.savedOffline);
      formRef.current?.reset();
      setWhen(isoToBogotaInput(Date.now()));
    } catch (error) {
      setProblems(
        error instanceof FormProblem
          ? [error.message]
          : [(error as Error).message || String(error)],
      );
    } finally {
      setBusy(false);
    }
  }

  if (allPoints.length === 0) return null;
  return (
    <section aria-labelledby="lectura" className="field-form-section">
      <h2 id="lectura">{t.newReading}</h2>
      <form
        ref={formRef}
        className="stack card field-form"
        aria-label={t.newReading}
        onSubmit={(e) => void submit(e)}
      >
        <label>
          {t.kind}
          <select
            name="kind"
            value={kind}
            onChange={(e) => {
              setKind(e.target.value as ManualKind);
              setPointId('');
              setVariableId('');
            }}
          >
            {MANUAL_KINDS.map((k) => (
              <option key={k} value={k}>
                {t.kinds[k]}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.point}
          <select
            name="point"
            value={point?.id ?? ''}
            onChange={(e) => {
              setPointId(e.target.value);
              setVariableId('');
            }}
          >
            {candidates.map((p) => (
              <option key={p.id} value={p.id}>
                {p.code} · {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.variable}
          <select
            name="variable"
            value={variable?.id ?? ''}
            onChange={(e) => setVariableId(e.target.value)}
          >
            {variables.map((v) => (
              <option key={v.id} value={v.id}>
                {locale === 'en' ? v.name.en : v.name.es} ({v.unit})
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.value}
          {variable ? ` (${variable.unit})` : ''}
          <input name="value" inputMode="decimal" autoComplete="off" required />
        </label>
        <label>
          {t.when}
          <input
            name="when"
            type="datetime-local"
            value={when}
            onChange={(e) => setWhen(e.target.value)}
            required
          />
        </label>
        <label>
          {t.note}
          <input name="note" maxLength={500} autoComplete="off" />
        </label>
        {problems.length > 0 && (
          <div className="error" role="alert">
            {problems.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        )}
        {done && (
          <p className="ok" role="status" data-saved={online ? 'sending' : 'offline'}>
            {done}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy}>
          {t.saveReading}
        </button>
      </form>
    </section>
  );
}

function Queue({
  items,
  locale,
  t,
  online,
  needsSignIn,
  onSend,
}: {
  items: QueuedReading[];
  locale: Locale;
  t: Words;
  online: boolean;
  needsSignIn: boolean;
  onSend: () => Promise<void>;
}) {
  const pending = items.filter((r) => r.state === 'pending').length;
  const shown = (value: number | null, unit: string) =>
    value === null ? '—' : `${formatNumber(value, locale, 3)} ${unit}`;
  return (
    <section aria-labelledby="field-queue">
      <h2 id="field-queue">{t.queueTitle}</h2>
      {items.length === 0 && <p className="muted">{t.queueEmpty}</p>}
      {pending > 0 && (
        <p className="actions">
          <strong data-pending-count={pending}>{t.pendingCount(pending)}</strong>
          <button type="button" onClick={() => void onSend()} disabled={!online}>
            {t.sendNow}
          </button>
        </p>
      )}
      {needsSignIn && pending > 0 && <p className="error">{t.signInToSend}</p>}
      <ul className="field-queue">
        {items.map((item) => {
          const reading = item.input.readings[0]!;
          return (
            <li key={item.key} className="card" data-reading={item.key} data-state={item.state}>
              <p>
                <span className={`field-chip ${QUEUE_CLASS[item.state]}`}>
                  {t.states[item.state]}
                </span>{' '}
                <strong>
                  {item.label.point} · {item.label.variable}
                </strong>{' '}
                = {shown(reading.value, item.label.unit)}
              </p>
              <p className="muted">
                {t.kinds[item.input.kind]} · {formatDateTime(reading.ts, locale)} · {t.entered}{' '}
                {formatDateTime(new Date(item.enteredAt), locale)}
                {item.sentAt
                  ? ` · ${t.sentAt} ${formatDateTime(new Date(item.sentAt), locale)}`
                  : ''}
              </p>
              {item.outcome?.replay && <p className="muted">{t.replayed}</p>}
              {item.outcome?.conflicts.map((c) => (
                <p key={`${c.variableId}${c.ts}`} className="error" data-conflict>
                  {t.conflictDetail(
                    shown(c.value, item.label.unit),
                    shown(c.storedValue, item.label.unit),
                    t.origins[c.storedOrigin],
                  )}
                </p>
              ))}
              {item.state === 'rejected' && item.error && (
                <p className="error">{localize(item.error, locale)}</p>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

const QUEUE_CLASS = { pending: 'warn', sent: 'good', conflict: 'crit', rejected: 'crit' } as const;
