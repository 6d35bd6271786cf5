'use client';

import { useState } from 'react';
import type { MemberRole } from '@anh/domain/tenancy';
import { ActionForm, text } from '~/components/action-form';
import { formatDateTime } from '~/lib/format';
import { dictionary, type Locale } from '~/lib/i18n';
import { errorMessages, trpc } from '~/lib/trpc';

const ROLES: MemberRole[] = ['admin', 'engineer', 'operator', 'auditor'];

export function PeopleEditor({
  slug,
  locale,
  editable,
  members,
  invitations,
}: {
  slug: string;
  locale: Locale;
  editable: boolean;
  members: Array<{
    userId: string;
    email: string;
    name: string | null;
    role: MemberRole;
    since: string;
    totpEnabled: boolean;
  }>;
  invitations: Array<{ id: string; email: string; role: MemberRole; expiresAt: string }>;
}) {
  const t = dictionary(locale);
  const [problems, setProblems] = useState<string[]>([]);
  const act = (work: Promise<unknown>) =>
    void work
      .then(() => window.location.reload())
      .catch((e: unknown) => setProblems(errorMessages(e, locale)));
  return (
    <>
      <section className="card">
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th>{t.member}</th>
                <th>{t.role}</th>
                <th>{t.twoStep}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {members.map((m) => (
                <tr key={m.userId}>
                  <td>
                    {m.name ?? m.email}
                    <br />
                    <span className="muted">
                      {m.email} · {t.since} {formatDateTime(m.since, locale)}
                    </span>
                  </td>
                  <td>
                    {editable ? (
                      <select
                        aria-label={`${t.role} ${m.email}`}
                        value={m.role}
                        onChange={(e) =>
                          act(
                            trpc.members.changeRole.mutate({
                              tenantSlug: slug,
                              userId: m.userId,
                              role: e.target.value as MemberRole,
                            }),
                          )
                        }
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {t.roles[r]}
                          </option>
                        ))}
                      </select>
                    ) : (
                      t.roles[m.role]
                    )}
                  </td>
                  <td>{m.totpEnabled ? '✓' : '—'}</td>
                  <td>
                    {editable && (
                      <button
                        type="button"
                        onClick={() =>
                          act(trpc.members.remove.mutate({ tenantSlug: slug, userId: m.userId }))
                        }
                      >
                        {t.remove}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {problems.length > 0 && (
          <div className="error" role="alert">
            {problems.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        )}
      </section>
      {invitations.length > 0 && (
        <section className="card">
          <h2>{t.pendingInvitations}</h2>
          <ul>
            {invitations.map((i) => (
              <li key={i.id}>
                {i.email} · {t.roles[i.role]} · {t.expires} {formatDateTime(i.expiresAt, locale)}
                {editable && (
                  <button
                    type="button"
                    onClick={() =>
                      act(
                        trpc.members.revokeInvitation.mutate({
                          tenantSlug: slug,
                          invitationId: i.id,
                        }),
                      )
                    }
                  >
                    {t.revoke}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      {editable && (
        <ActionForm
          locale={locale}
          name={t.invite}
          submitLabel={t.invite}
          action={async (form) => {
            const result = await trpc.members.invite.mutate({
              tenantSlug: slug,
              email: text(form, 'email'),
              role: text(form, 'role') as MemberRole,
            });
            return result.link ? (
              <>
                {t.invitationLink} <code>{result.link}</code>
              </>
            ) : (
              t.invited
            );
          }}
        >
          <h2>{t.invite}</h2>
          <label>
            {t.email}
            <input name="email" type="email" required />
          </label>
          <label>
            {t.role}
            <select name="role" defaultValue="operator">
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t.roles[r]}
                </option>
              ))}
            </select>
          </label>
        </ActionForm>
      )}
    </>
  );
}
