'use client';

import { useState } from 'react';
import { ActionForm, requiredNumber, text } from '~/components/action-form';
import { dictionary, localize, type Locale } from '~/lib/i18n';
import { errorMessages, trpc } from '~/lib/trpc';

interface Settings {
  host: string;
  port: number;
  tlsMode: string;
  remoteDir: string;
  username: string;
}

export function DeliveryEditor({
  slug,
  locale,
  editable,
  settings,
}: {
  slug: string;
  locale: Locale;
  editable: boolean;
  settings: Settings | null;
}) {
  const t = dictionary(locale);
  const [test, setTest] = useState<{ ok: boolean; text: string } | null>(null);
  const [testing, setTesting] = useState(false);

  async function runTest() {
    setTesting(true);
    setTest(null);
    try {
      const result = await trpc.delivery.testConnection.mutate({ tenantSlug: slug });
      setTest(
        result.ok
          ? { ok: true, text: t.connectionOk(result.files) }
          : {
              ok: false,
              text: localize(result.message, locale),
            },
      );
    } catch (error) {
      setTest({ ok: false, text: errorMessages(error, locale).join(' ') });
    } finally {
      setTesting(false);
    }
  }

  return (
    <>
      {!settings && <p className="muted">{t.noTarget}</p>}
      {editable && (
        <ActionForm
          locale={locale}
          name={t.deliveryTitle}
          submitLabel={t.save}
          reset={false}
          action={async (form) => {
            await trpc.delivery.saveSettings.mutate({
              tenantSlug: slug,
              settings: {
                host: text(form, 'host'),
                port: requiredNumber(form, 'port', t.port, locale),
                tlsMode: text(form, 'tlsMode') === 'none' ? 'none' : 'explicit',
                remoteDir: text(form, 'remoteDir') || '/',
                username: text(form, 'username'),
                password: text(form, 'password'),
              },
            });
          }}
        >
          <label>
            {t.host}
            <input
              name="host"
              required
              defaultValue={settings?.host ?? ''}
              placeholder="ftp.anh.gov.co"
            />
          </label>
          <label>
            {t.port}
            <input name="port" inputMode="numeric" defaultValue={String(settings?.port ?? 21)} />
          </label>
          <label>
            {t.tlsMode}
            <select name="tlsMode" defaultValue={settings?.tlsMode ?? 'explicit'}>
              <option value="explicit">{t.tlsExplicit}</option>
              <option value="none">{t.tlsNone}</option>
            </select>
          </label>
          <label>
            {t.remoteDir}
            <input name="remoteDir" defaultValue={settings?.remoteDir ?? '/'} />
          </label>
          <label>
            {t.username}
            <input
              name="username"
              required
              defaultValue={settings?.username ?? ''}
              autoComplete="off"
            />
          </label>
          <label>
            {settings ? t.passwordKept : t.password}
            <input name="password" type="password" required autoComplete="new-password" />
          </label>
        </ActionForm>
      )}
      {settings && editable && (
        <section className="card">
          <button type="button" onClick={() => void runTest()} disabled={testing}>
            {testing ? t.busy : t.testConnection}
          </button>
          {test && (
            <p className={test.ok ? 'ok' : 'error'} role={test.ok ? 'status' : 'alert'}>
              {test.text}
            </p>
          )}
        </section>
      )}
    </>
  );
}
