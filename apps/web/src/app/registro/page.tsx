import { PublicShell } from '~/components/public-shell';
import { currentLocale } from '~/lib/locale';
import { SignUpForm } from './sign-up-form';

export default async function SignUpPage() {
  const locale = await currentLocale();
  return (
    <PublicShell locale={locale}>
      <SignUpForm locale={locale} />
    </PublicShell>
  );
}
