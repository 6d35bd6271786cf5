'use client';

import { ActionForm, optionalNumber, text } from '~/components/action-form';
import { dictionary, type Locale } from '~/lib/i18n';
import { alertsDictionary } from '~/lib/i18n-alerts';
import { trpc } from '~/lib/trpc';
import type { RecipientRow } from '@anh/db/notifications';
import { MEMBER_ROLES, type MemberRole } from '@anh/domain/tenancy';

// Types only from the server side: nothing of @anh/db reaches the browser bundle.
type Recipient = RecipientRow;
type Severity = RecipientRow['minSeverity'];
const ROLES = MEMBER_ROLES;

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
  const a = alertsDictionary(locale);
  const roleName = (role: string) => t.roles[role as MemberRole] ?? role;
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
              {` · ${a.channelsOf(r.roles.map(roleName).join(', '))}`}
              {r.escalationOnly && ` · ${a.onlyEscalations}`}
              {!r.enabled && ` · ${a.disabled}`}
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
                roles: ROLES.filter((role) => form.get(`role-${role}`) === 'on'),
                escalationOnly: form.get('escalationOnly') === 'on',
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
          <fieldset>
            <legend>{a.roles}</legend>
            {ROLES.map((role) => (
              <label key={role}>
                <input type="checkbox" name={`role-${role}`} defaultChecked={role !== 'auditor'} />{' '}
                {t.roles[role]}
              </label>
            ))}
          </fieldset>
          <label title={a.escalationOnlyHint}>
            <input type="checkbox" name="escalationOnly" /> {a.escalationOnly}
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
