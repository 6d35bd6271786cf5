'use client';

import { ActionForm, optionalNumber, text } from '~/components/action-form';
import { dictionary, type Locale } from '~/lib/i18n';
import { trpc } from '~/lib/trpc';

type Severity = 'info' | 'warning' | 'critical';
interface Recipient {
  id: string;
  name: string;
  channel: 'email' | 'sms';
  address: string;
  minSeverity: Severity;
  quietFromHour: number | null;
  quietToHour: number | null;
  enabled: boolean;
}

export function RecipientsEditor({
  slug,
  locale,
  editable,
  recipients,
}: {
  slug: string;
  locale: Locale;
  editable: boolean;
  recipients: Recipient[];
}) {
  const t = dictionary(locale);
  return (
    <>
      <section className="card">
        {recipients.length === 0 && <p className="muted">{t.noRecipients}</p>}
        <ul>
          {recipients.map((r) => (
            <li key={r.id}>
              <strong>{r.name}</strong> · {r.channel === 'email' ? t.channelEmail : t.channelSms} ·{' '}
              {r.address} · {t.severities[r.minSeverity]}
              {r.quietFromHour !== null && ` · ${r.quietFromHour}–${r.quietToHour} h`}
              {editable && (
                <button
                  type="button"
                  onClick={() =>
                    void trpc.alerts.removeRecipient
                      .mutate({ tenantSlug: slug, recipientId: r.id })
                      .then(() => window.location.reload())
                  }
                >
                  {t.remove}
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      {editable && (
        <ActionForm
          locale={locale}
          name={t.alertsTitle}
          submitLabel={t.add}
          action={async (form) => {
            const channel = text(form, 'channel') === 'sms' ? 'sms' : 'email';
            await trpc.alerts.saveRecipient.mutate({
              tenantSlug: slug,
              recipient: {
                channel,
                address: text(form, 'address'),
                name: text(form, 'name'),
                minSeverity: text(form, 'minSeverity') as Severity,
                quietFromHour: optionalNumber(form, 'quietFrom', t.quietHours, locale),
                quietToHour: optionalNumber(form, 'quietTo', t.quietHours, locale),
                enabled: true,
              },
            });
          }}
        >
          <label>
            {t.name}
            <input name="name" required />
          </label>
          <label>
            {t.channel}
            <select name="channel" defaultValue="email">
              <option value="email">{t.channelEmail}</option>
              <option value="sms">{t.channelSms}</option>
            </select>
          </label>
          <label>
            {t.addressOrPhone}
            <input name="address" required />
          </label>
          <label>
            {t.minSeverity}
            <select name="minSeverity" defaultValue="warning">
              {(['info', 'warning', 'critical'] as const).map((s) => (
                <option key={s} value={s}>
                  {t.severities[s]}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.quietHours}
            <span className="pair">
              <input name="quietFrom" inputMode="numeric" placeholder="22" />
              <input name="quietTo" inputMode="numeric" placeholder="6" />
            </span>
          </label>
        </ActionForm>
      )}
    </>
  );
}
