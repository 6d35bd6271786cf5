'use client';

import { ActionForm, optionalText } from '~/components/action-form';
import { formatDateTime } from '~/lib/format';
import { dictionary, localize, type Locale } from '~/lib/i18n';
import { alertsDictionary } from '~/lib/i18n-alerts';
import { trpc } from '~/lib/trpc';

interface OpenAlert {
  id: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  raisedAt: string;
  occurrences: number;
  escalated: boolean;
  acknowledgedAt: string | null;
  acknowledgeComment: string | null;
}

/** Open alerts, most severe first, each acknowledged here with an optional comment. */
export function OpenAlerts({
  slug,
  locale,
  canAcknowledge,
  alerts,
}: {
  slug: string;
  locale: Locale;
  canAcknowledge: boolean;
  alerts: OpenAlert[];
}) {
  const t = dictionary(locale);
  const a = alertsDictionary(locale);
  if (alerts.length === 0) return <p className="muted">{a.noOpen}</p>;
  return (
    <ul className="stack">
      {alerts.map((alert) => (
        <li
          key={alert.id}
          className={`card severity-${alert.severity}`}
          data-alert-id={alert.id}
          aria-label={localize(alert.message, locale)}
        >
          <strong>{t.severities[alert.severity]}</strong>
          {alert.escalated && ` · ${a.escalated}`} · {a.raisedAt}{' '}
          {formatDateTime(alert.raisedAt, locale)} · {a.occurrences(alert.occurrences)}
          <p>{localize(alert.message, locale)}</p>
          {alert.acknowledgedAt !== null ? (
            <p className="muted">
              {a.acknowledged} {formatDateTime(alert.acknowledgedAt, locale)}
              {alert.acknowledgeComment && ` · ${alert.acknowledgeComment}`}
            </p>
          ) : (
            canAcknowledge && (
              <ActionForm
                locale={locale}
                name={`${a.acknowledge} ${alert.id}`}
                submitLabel={a.acknowledge}
                className="stack"
                action={async (form) => {
                  const comment = optionalText(form, 'comment');
                  await trpc.anomalies.acknowledge.mutate({
                    tenantSlug: slug,
                    alertId: alert.id,
                    ...(comment ? { comment } : {}),
                  });
                  return a.acknowledgedDone;
                }}
              >
                <label>
                  {a.acknowledgeComment}
                  <input name="comment" maxLength={1000} />
                </label>
              </ActionForm>
            )
          )}
        </li>
      ))}
    </ul>
  );
}
