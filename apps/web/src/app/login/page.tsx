import { PublicShell } from '~/components/public-shell';
import { currentLocale } from '~/lib/locale';
import { LoginForm } from './login-form';

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string }>;
}) {
  const { callbackUrl } = await searchParams;
  const locale = await currentLocale();
  // Only paths of this app: an open redirect to another site is not offered.
  const next = callbackUrl?.startsWith('/') && !callbackUrl.startsWith('//') ? callbackUrl : '/';
  return (
    <PublicShell locale={locale}>
      <LoginForm locale={locale} next={next} />
    </PublicShell>
  );
}
