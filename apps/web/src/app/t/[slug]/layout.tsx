import Link from 'next/link';
import type { ReactNode } from 'react';
import { CompanySwitch } from '~/components/company-switch';
import { LanguageSwitch } from '~/components/language-switch';
import { LiveAlerts } from '~/components/live-alerts';
import { SignOutButton } from '~/components/sign-out-button';
import { fieldDictionary } from '~/lib/i18n-field';
import { tenantPage } from '~/server/page-context';

export default async function TenantLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ slug: string }>;
}) {
  const { slug } = await params;
  const { tenant, tenants, locale, t, can } = await tenantPage(slug);
  const base = `/t/${slug}`;
  const links = [
    { href: base, label: t.nav.home, show: true },
    { href: `${base}/campo`, label: fieldDictionary(locale).nav, show: true },
    { href: `${base}/estaciones`, label: t.nav.sites, show: true },
    { href: `${base}/conectores`, label: t.nav.connectors, show: can('connectors.list') },
    { href: `${base}/entrega`, label: t.nav.delivery, show: can('delivery.settings') },
    { href: `${base}/alertas`, label: t.nav.alerts, show: can('alerts.recipients') },
    { href: `${base}/personas`, label: t.nav.people, show: can('members.list') },
    { href: `${base}/informes`, label: t.reportsUi.nav, show: can('reports.list') },
    { href: `${base}/auditoria`, label: t.auditUi.nav, show: can('audit.list') },
  ];
  return (
    <>
      <header className="bar">
        <strong>{tenant.legalName}</strong>
        <span className="bar-tools">
          <CompanySwitch current={slug} companies={tenants} label={t.switchCompany} />
          <LanguageSwitch locale={locale} signedIn />
          <Link href="/cuenta">{t.account}</Link>
          <SignOutButton label={t.signOut} tenantSlug={slug} />
        </span>
      </header>
      <nav className="tabs" aria-label={t.appName}>
        {links
          .filter((l) => l.show)
          .map((l) => (
            <Link key={l.href} href={l.href}>
              {l.label}
            </Link>
          ))}
      </nav>
      {children}
      <LiveAlerts tenantSlug={slug} locale={locale} />
    </>
  );
}
