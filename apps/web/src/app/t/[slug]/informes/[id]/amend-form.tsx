'use client';

import Link from 'next/link';
import { ActionForm, FormProblem, text } from '~/components/action-form';
import { dictionary, type Locale } from '~/lib/i18n';
import { trpc } from '~/lib/trpc';

/** A correction of the day: a new version with its reason (delivery.amend), then a link to it. */
export function AmendForm({
  slug,
  locale,
  day,
  siteId,
}: {
  slug: string;
  locale: Locale;
  day: string;
  siteId: string;
}) {
  const r = dictionary(locale).reportsUi;
  return (
    <ActionForm
      locale={locale}
      name={r.amendTitle}
      submitLabel={r.amendSubmit}
      action={async (form) => {
        const reason = text(form, 'reason');
        if (reason.length < 10)
          throw new FormProblem(
            locale === 'en'
              ? `${r.amendReason}: 10 characters or more`
              : `${r.amendReason}: mínimo 10 caracteres`,
          );
        const amended = await trpc.delivery.amend.mutate({ tenantSlug: slug, day, siteId, reason });
        return (
          <>
            {r.amended(amended.version)}{' '}
            <Link href={`/t/${slug}/informes/${amended.id}`}>{r.openVersion}</Link>
          </>
        );
      }}
    >
      <h2>{r.amendTitle}</h2>
      <p className="muted">{r.amendIntro}</p>
      <label>
        {r.amendReason}
        <textarea name="reason" required minLength={10} maxLength={1000} rows={3} />
      </label>
    </ActionForm>
  );
}
