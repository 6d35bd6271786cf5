'use client';

import { useCallback, useEffect, useState } from 'react';
import type { Locale } from '~/lib/i18n';
import { fieldDictionary } from '~/lib/i18n-field';
import { errorMessages, trpc } from '~/lib/trpc';

/**
 * "Enable notifications": asks the browser's permission, subscribes this phone with the
 * server's VAPID key and hands the subscription to tRPC `push.subscribe` (the worker sends
 * alerts to it; the service worker shows them). Shown only where Web Push exists and the
 * server has a key.
 */
type Status = 'hidden' | 'off' | 'on' | 'blocked';

/** The VAPID public key (base64url) as the bytes pushManager.subscribe wants. */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

export function PushButton({
  slug,
  locale,
  online,
}: {
  slug: string;
  locale: Locale;
  online: boolean;
}) {
  const t = fieldDictionary(locale).push;
  const [status, setStatus] = useState<Status>('hidden');
  const [publicKey, setPublicKey] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const subscription = useCallback(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    return registration ? registration.pushManager.getSubscription() : null;
  }, []);

  useEffect(() => {
    if (!pushSupported()) return;
    void (async () => {
      try {
        const { publicKey: key } = await trpc.push.vapidPublicKey.query({ tenantSlug: slug });
        if (!key) return;
        setPublicKey(key);
        if (Notification.permission === 'denied') setStatus('blocked');
        else setStatus((await subscription()) ? 'on' : 'off');
      } catch {
        // Offline with no copy of the answer: the button waits for the next visit.
      }
    })();
  }, [slug, subscription]);

  async function enable() {
    if (!publicKey) return;
    setBusy(true);
    setProblem(null);
    try {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        setStatus(permission === 'denied' ? 'blocked' : 'off');
        return;
      }
      const registration = await navigator.serviceWorker.ready;
      const sub =
        (await registration.pushManager.getSubscription()) ??
        (await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(publicKey),
        }));
      const json = sub.toJSON() as { endpoint?: string; keys?: Record<string, string> };
      await trpc.push.subscribe.mutate({
        tenantSlug: slug,
        endpoint: json.endpoint ?? sub.endpoint,
        keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' },
      });
      setStatus('on');
    } catch (error) {
      setProblem(
        error instanceof Error && error.name !== 'TRPCClientError'
          ? t.failed
          : (errorMessages(error, locale)[0] ?? t.failed),
      );
    } finally {
      setBusy(false);
    }
  }

  async function disable() {
    setBusy(true);
    setProblem(null);
    try {
      const sub = await subscription();
      if (sub) {
        await trpc.push.unsubscribe.mutate({ tenantSlug: slug, endpoint: sub.endpoint });
        await sub.unsubscribe();
      }
      setStatus('off');
    } catch (error) {
      setProblem(errorMessages(error, locale)[0] ?? t.failed);
    } finally {
      setBusy(false);
    }
  }

  if (status === 'hidden') return null;
  return (
    <div className="field-push" data-push={status}>
      {status === 'blocked' && <p className="muted">{t.blocked}</p>}
      {status === 'on' && <p className="ok">{t.enabled}</p>}
      {status !== 'blocked' && (
        <button
          type="button"
          disabled={busy || !online}
          onClick={() => void (status === 'on' ? disable() : enable())}
        >
          {status === 'on' ? t.disable : t.enable}
        </button>
      )}
      {!online && <p className="muted">{t.needsNetwork}</p>}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
