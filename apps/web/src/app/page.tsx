import Link from 'next/link';
import { redirect } from 'next/navigation';
import { currentLocale } from '~/lib/locale';
import { dictionary } from '~/lib/i18n';
import { serverCaller } from '~/server/trpc/server-caller';

export default async function Home() {
  const { userId, caller } = await serverCaller();
  if (!userId) redirect('/login');
  const tenants = await caller.me.tenants();
  if (tenants.length === 1) redirect(`/t/${tenants[0]!.slug}`);
  const t = dictionary(await currentLocale());
  return (
    <main>
      <h1>{t.yourCompanies}</h1>
      {tenants.length === 0 && <p className="muted">{t.noCompanies}</p>}
      {tenants.map((tenant) => (
        <p key={tenant.slug} className="card">
          <Link href={`/t/${tenant.slug}`}>{tenant.legalName}</Link> · {t.roles[tenant.role]}
        </p>
      ))}
      <p>
        <Link href="/cuenta">{t.account}</Link>
      </p>
    </main>
  );
}
