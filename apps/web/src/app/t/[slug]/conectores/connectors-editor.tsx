'use client';

import Link from 'next/link';
import { useState } from 'react';
import { ActionForm, text } from '~/components/action-form';
import { downloadText } from '~/components/download';
import { formatDateTime, formatNumber } from '~/lib/format';
import { dictionary, type Locale } from '~/lib/i18n';
import { errorMessages, trpc } from '~/lib/trpc';

interface Connector {
  id: string;
  name: string;
  enrolledAt: string | null;
  revokedAt: string | null;
  lastSeenAt: string | null;
  version: string | null;
  bufferDepth: number | null;
  bufferOldestAt: string | null;
}

export function ConnectorsEditor({
  slug,
  locale,
  editable,
  canRevoke,
  connectors,
}: {
  slug: string;
  locale: Locale;
  editable: boolean;
  canRevoke: boolean;
  connectors: Connector[];
}) {
  const t = dictionary(locale);
  return (
    <>
      {connectors.map((c) => (
        <ConnectorCard
          key={c.id}
          slug={slug}
          locale={locale}
          connector={c}
          editable={editable}
          canRevoke={canRevoke}
        />
      ))}
      {editable && (
        <ActionForm
          locale={locale}
          name={t.newConnector}
          submitLabel={t.newConnector}
          action={async (form) => {
            await trpc.connectors.register.mutate({ tenantSlug: slug, name: text(form, 'name') });
          }}
        >
          <h2>{t.newConnector}</h2>
          <label>
            {t.connectorName}
            <input name="name" required minLength={2} maxLength={80} placeholder="Estación Rubí" />
          </label>
        </ActionForm>
      )}
    </>
  );
}

function ConnectorCard({
  slug,
  locale,
  connector: c,
  editable,
  canRevoke,
}: {
  slug: string;
  locale: Locale;
  connector: Connector;
  editable: boolean;
  canRevoke: boolean;
}) {
  const t = dictionary(locale);
  const [code, setCode] = useState<string | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const status = c.revokedAt ? t.statusRevoked : c.enrolledAt ? t.statusActive : t.statusPending;

  async function run(work: () => Promise<void>) {
    setProblems([]);
    try {
      await work();
    } catch (error) {
      setProblems(errorMessages(error, locale));
    }
  }

  return (
    <section className="card" aria-label={c.name}>
      <h2>
        {c.name} <span className="badge">{status}</span>
      </h2>
      <dl className="facts">
        <dt>{t.lastSeen}</dt>
        <dd>{c.lastSeenAt ? formatDateTime(c.lastSeenAt, locale) : t.never}</dd>
        <dt>{t.buffer}</dt>
        <dd>
          {c.bufferDepth === null ? '—' : formatNumber(c.bufferDepth, locale)}
          {c.bufferOldestAt && (
            <span className="muted">
              {' '}
              ({t.bufferOldest}: {formatDateTime(c.bufferOldestAt, locale)})
            </span>
          )}
        </dd>
        <dt>{t.version}</dt>
        <dd>{c.version ?? '—'}</dd>
      </dl>
      {!c.revokedAt && (
        <p className="actions">
          <Link href={`/t/${slug}/conectores/${c.id}`}>{t.mappingTitle}</Link>
          {editable && (
            <button
              type="button"
              onClick={() =>
                void run(async () => {
                  const file = await trpc.connectors.downloadConfig.mutate({
                    tenantSlug: slug,
                    connectorId: c.id,
                  });
                  if (file.enrollmentCode) setCode(file.enrollmentCode);
                  downloadText(file.fileName, file.yaml);
                })
              }
            >
              {t.downloadConfig}
            </button>
          )}
          {editable && !c.enrolledAt && (
            <button
              type="button"
              onClick={() =>
                void run(async () => {
                  const created = await trpc.connectors.createEnrollmentCode.mutate({
                    tenantSlug: slug,
                    connectorName: c.name,
                    connectorId: c.id,
                  });
                  setCode(created.code);
                })
              }
            >
              {t.newEnrollmentCode}
            </button>
          )}
          {canRevoke && (
            <button
              type="button"
              className="danger"
              onClick={() =>
                void run(async () => {
                  if (!window.confirm(t.revokeConfirm)) return;
                  await trpc.connectors.revoke.mutate({ tenantSlug: slug, connectorId: c.id });
                  window.location.reload();
                })
              }
            >
              {t.revoke}
            </button>
          )}
        </p>
      )}
      {code && (
        <p className="ok" role="status">
          {t.enrollmentCodeShown} <code data-testid="enrollment-code">{code}</code>
        </p>
      )}
      {problems.length > 0 && (
        <div className="error" role="alert">
          {problems.map((p) => (
            <p key={p}>{p}</p>
          ))}
        </div>
      )}
    </section>
  );
}
