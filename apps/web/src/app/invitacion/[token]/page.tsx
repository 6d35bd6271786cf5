import { TRPCError } from '@trpc/server';
import Link from 'next/link';
import { PublicShell } from '~/components/public-shell';
import { currentLocale } from '~/lib/locale';
import { dictionary, localize } from '~/lib/i18n';
import { serverCaller } from '~/server/trpc/server-caller';
import { AcceptInvitation } from './accept-invitation';

export const dynamic = 'force-dynamic';

export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const locale = await currentLocale();
  const t = dictionary(locale);
  const { userId, caller } = await serverCaller();
  const invitation = await caller.account.invitation({ token }).catch((error: unknown) => {
    if (error instanceof TRPCError) return { error: localize(error.message, locale) };
    throw error;
  });
  return (
    <PublicShell locale={locale}>
      <h1>{t.invitationTitle}</h1>
      {'error' in invitation ? (
        <p className="error" role="alert">
          {invitation.error}
        </p>
      ) : (
        <>
          <p>{t.invitationFor(invitation.legalName, t.roles[invitation.role])}</p>
          <p className="muted">{invitation.email}</p>
          {userId || !invitation.hasAccount ? (
            <AcceptInvitation locale={locale} token={token} signedIn={userId !== null} />
          ) : (
            <p>
              {t.signInToAccept}{' '}
              <Link href={`/login?callbackUrl=${encodeURIComponent(`/invitacion/${token}`)}`}>
                {t.signIn}
              </Link>
            </p>
          )}
        </>
      )}
    </PublicShell>
  );
}
