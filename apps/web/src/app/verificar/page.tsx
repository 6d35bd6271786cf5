import { PublicShell } from '~/components/public-shell';
import { currentLocale } from '~/lib/locale';
import { VerifyEmail } from './verify-email';

export default async function VerifyPage({
  searchParams,
}: {
  searchParams: Promise<{ token?: string }>;
}) {
  const { token } = await searchParams;
  const locale = await currentLocale();
  return (
    <PublicShell locale={locale}>
      <VerifyEmail locale={locale} token={token ?? ''} />
    </PublicShell>
  );
}
