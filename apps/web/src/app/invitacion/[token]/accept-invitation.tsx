'use client';

import { useRouter } from 'next/navigation';
import { ActionForm, text } from '~/components/action-form';
import { dictionary, type Locale } from '~/lib/i18n';
import { trpc } from '~/lib/trpc';

export function AcceptInvitation({
  locale,
  token,
  signedIn,
}: {
  locale: Locale;
  token: string;
  signedIn: boolean;
}) {
  const t = dictionary(locale);
  const router = useRouter();
  if (signedIn)
    return (
      <ActionForm
        locale={locale}
        name={t.acceptInvitation}
        submitLabel={t.acceptInvitation}
        action={async () => {
          const { tenantSlug } = await trpc.me.acceptInvitation.mutate({ token });
          router.push(`/t/${tenantSlug}`);
        }}
      >
        <span />
      </ActionForm>
    );
  return (
    <ActionForm
      locale={locale}
      name={t.createAccountAndJoin}
      submitLabel={t.createAccountAndJoin}
      action={async (form) => {
        await trpc.account.acceptInvitation.mutate({
          token,
          name: text(form, 'name'),
          password:
            typeof form.get('password') === 'string' ? (form.get('password') as string) : '',
        });
        router.push('/login');
      }}
    >
      <label>
        {t.yourName}
        <input name="name" required autoComplete="name" />
      </label>
      <label>
        {t.newPassword}
        <input
          name="password"
          type="password"
          required
          minLength={12}
          autoComplete="new-password"
        />
      </label>
    </ActionForm>
  );
}
