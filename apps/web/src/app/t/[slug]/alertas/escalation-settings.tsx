'use client';

import { ActionForm, requiredNumber } from '~/components/action-form';
import { dictionary, type Locale } from '~/lib/i18n';
import { alertsDictionary } from '~/lib/i18n-alerts';
import { trpc } from '~/lib/trpc';

/** After how long an unacknowledged alert is escalated (audited; admins change it). */
export function EscalationSettings({
  slug,
  locale,
  editable,
  escalateAfterMinutes,
}: {
  slug: string;
  locale: Locale;
  editable: boolean;
  escalateAfterMinutes: number;
}) {
  const a = alertsDictionary(locale);
  const t = dictionary(locale);
  return (
    <section className="card">
      <h2>{a.escalationTitle}</h2>
      <p className="muted">{a.escalationIntro}</p>
      {editable ? (
        <ActionForm
          locale={locale}
          name={a.escalationTitle}
          submitLabel={t.save}
          reset={false}
          action={async (form) => {
            await trpc.alerts.saveSettings.mutate({
              tenantSlug: slug,
              escalateAfterMinutes: requiredNumber(
                form,
                'escalateAfterMinutes',
                a.escalateAfter,
                locale,
              ),
            });
          }}
        >
          <label>
            {a.escalateAfter}
            <input
              name="escalateAfterMinutes"
              inputMode="numeric"
              defaultValue={escalateAfterMinutes}
              required
            />
          </label>
        </ActionForm>
      ) : (
        <p>
          {a.escalateAfter}: {escalateAfterMinutes}
        </p>
      )}
    </section>
  );
}
