import { tenantPage } from '~/server/page-context';
import { PeopleEditor } from './people-editor';

export const dynamic = 'force-dynamic';

export default async function PeoplePage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { caller, locale, t, can } = await tenantPage(slug);
  if (!can('members.list'))
    return (
      <main>
        <p className="muted">{t.noPermission}</p>
      </main>
    );
  const people = await caller.members.list({ tenantSlug: slug });
  return (
    <main>
      <h1>{t.peopleTitle}</h1>
      <PeopleEditor
        slug={slug}
        locale={locale}
        editable={can('members.invite')}
        members={people.members.map((m) => ({ ...m, since: m.since.toISOString() }))}
        invitations={people.invitations.map((i) => ({
          id: i.id,
          email: i.email,
          role: i.role,
          expiresAt: i.expiresAt.toISOString(),
        }))}
      />
    </main>
  );
}
