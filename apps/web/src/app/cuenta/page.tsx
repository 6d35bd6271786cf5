import Link from 'next/link';
import { redirect } from 'next/navigation';
import { LanguageSwitch } from '~/components/language-switch';
import { currentLocale } from '~/lib/locale';
import { dictionary } from '~/lib/i18n';
import { serverCaller } from '~/server/trpc/server-caller';
import { SecuritySettings } from './security-settings';

export const dynamic = 'force-dynamic';

export default async function AccountPage() {
  const { userId, caller } = await serverCaller();
  if (!userId) redirect('/login');
  const locale = await currentLocale();
  const t = dictionary(locale);
  const [profile, tenants] = await Promise.all([caller.me.profile(), caller.me.tenants()]);
  return (
    <>
      <header className="bar">
        <Link href="/">
          <strong>{t.appName}</strong>
        </Link>
        <LanguageSwitch locale={locale} signedIn />
      </header>
      <main>
        <h1>{t.accountTitle}</h1>
        <p>
          {profile.name} · <span className="muted">{profile.email}</span>
        </p>
        <section className="card">
          <h2>{t.yourCompanies}</h2>
          <ul>
            {tenants.map((tenant) => (
              <li key={tenant.slug}>
                <Link href={`/t/${tenant.slug}`}>{tenant.legalName}</Link> · {t.roles[tenant.role]}
              </li>
            ))}
          </ul>
        </section>
        <SecuritySettings locale={locale} totpEnabled={profile.totpEnabled} />
      </main>
    </>
  );
}
