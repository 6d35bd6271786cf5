'use client';

import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { trpc } from '~/lib/trpc';
import type { Locale } from '~/lib/i18n';
import { liveWords } from '~/lib/i18n-live';
import './live-alerts.css';

/**
 * Alerts as they happen, on every page of a company: a socket to the worker's gateway
 * (socket.io), opened with a one-minute token from `live.connect` and re-opened with a
 * fresh one after any drop. The last feed seq seen is kept on the device, so after a
 * night without coverage the gateway sends what was missed first. A seq already shown is
 * dropped (an event can arrive both caught up and relayed).
 */
interface LiveAlertEvent {
  seq: number;
  event: 'raised' | 'escalated' | 'acknowledged' | 'resolved';
  at: string;
  tenantId: string;
  alert: {
    id: string;
    kind: string;
    severity: 'info' | 'warning' | 'critical';
    message: string;
    siteId: string | null;
    acknowledgedAt: string | null;
    resolvedAt: string | null;
  };
}

interface Shown extends LiveAlertEvent {
  /** When this browser received it (ms since the epoch), for the latency the tests print. */
  receivedAt: number;
}

const MAX_SHOWN = 5;
const lastSeqKey = (tenantId: string) => `anh.live.${tenantId}.lastSeq`;

export function LiveAlerts({ tenantSlug, locale }: { tenantSlug: string; locale: Locale }) {
  const w = liveWords(locale);
  const [shown, setShown] = useState<Shown[]>([]);
  const [connected, setConnected] = useState<boolean | null>(null);
  const seen = useRef(new Set<number>());

  useEffect(() => {
    let socket: Socket | null = null;
    let cancelled = false;
    let tenantId = '';
    const ticket = () => trpc.live.connect.mutate({ tenantSlug });

    void (async () => {
      let first: Awaited<ReturnType<typeof ticket>>;
      try {
        first = await ticket();
      } catch {
        setConnected(false);
        return; // offline or signed out: the page itself says so
      }
      if (!first || cancelled) return; // live alerts not configured here
      tenantId = first.tenantId;
      let pending: string | null = first.token;
      socket = io(first.url, {
        path: '/live',
        transports: ['websocket'],
        // Called on every (re)connection: a token is good for one minute only.
        auth: (give) => {
          const token = pending;
          pending = null;
          if (token) give({ token });
          else
            ticket().then(
              (t) => give({ token: t?.token ?? '' }),
              () => give({ token: '' }),
            );
        },
      });
      socket.on('connect', () => {
        setConnected(true);
        const stored = Number(localStorage.getItem(lastSeqKey(tenantId)) ?? NaN);
        socket!.emit(
          'subscribe',
          Number.isFinite(stored) ? { lastSeq: stored } : {},
          (reply: { ok: boolean; lastSeq?: number }) => {
            if (reply.ok && reply.lastSeq !== undefined) remember(reply.lastSeq);
          },
        );
      });
      socket.on('disconnect', () => setConnected(false));
      // A phone knows when it loses the network before a heartbeat does: close at once,
      // and open again (catching up from the last seq) as soon as it is back.
      window.addEventListener('offline', goOffline);
      window.addEventListener('online', goOnline);
      socket.on('connect_error', () => setConnected(false));
      socket.on('alert', (event: LiveAlertEvent) => {
        if (seen.current.has(event.seq)) return;
        seen.current.add(event.seq);
        remember(event.seq);
        const receivedAt = Date.now();
        setShown((list) => {
          // One card per alert: its latest event wins (by seq, whatever the arrival order).
          const current = list.find((s) => s.alert.id === event.alert.id);
          if (current && current.seq > event.seq) return list;
          const rest = list.filter((s) => s.alert.id !== event.alert.id);
          return [{ ...event, receivedAt }, ...rest].slice(0, MAX_SHOWN);
        });
        window.dispatchEvent(new CustomEvent('anh:alert', { detail: event }));
      });
    })();

    function goOffline() {
      socket?.disconnect();
      setConnected(false);
    }
    function goOnline() {
      if (socket && !socket.connected) socket.connect();
    }

    function remember(seq: number) {
      const key = lastSeqKey(tenantId);
      if (seq > Number(localStorage.getItem(key) ?? 0)) localStorage.setItem(key, String(seq));
    }

    return () => {
      cancelled = true;
      window.removeEventListener('offline', goOffline);
      window.removeEventListener('online', goOnline);
      socket?.disconnect();
    };
  }, [tenantSlug]);

  return (
    <section className="live-alerts" aria-label={w.region} aria-live="polite">
      <span
        className={`live-status ${connected ? 'live-on' : 'live-off'}`}
        data-live={connected ? 'on' : 'off'}
      >
        {connected === null ? '' : connected ? w.live : w.offline}
      </span>
      {shown.map((s) => (
        <article
          key={s.alert.id}
          className={`live-alert severity-${s.alert.severity} event-${s.event}`}
          data-live-alert={s.alert.id}
          data-live-kind={s.alert.kind}
          data-live-seq={s.seq}
          data-live-event={s.event}
          data-received-at={s.receivedAt}
          role={s.event === 'raised' || s.event === 'escalated' ? 'alert' : undefined}
        >
          <strong>
            {w.event[s.event]} · {w.severity[s.alert.severity]}
          </strong>
          <p>{s.alert.message}</p>
          <span className="live-actions">
            <Link href={`/t/${tenantSlug}/alertas`}>{w.open}</Link>
            <button
              type="button"
              onClick={() => setShown((list) => list.filter((x) => x.alert.id !== s.alert.id))}
            >
              {w.dismiss}
            </button>
          </span>
        </article>
      ))}
    </section>
  );
}
