import { PublicShell } from '~/components/public-shell';
import { currentLocale } from '~/lib/locale';
import { ResetForms } from './reset-forms';

export default async function ResetPage({
  searchParams,
}: {
  searchParams: Promise<{ token?: string }>;
}) {
  const { token } = await searchParams;
  const locale = await currentLocale();
  return (
    <PublicShell locale={locale}>
      <ResetForms locale={locale} token={token ?? null} />
    </PublicShell>
  );
}
