import { BOGOTA_OFFSET_MS } from '../aggregation/bogota-day';
import type { Severity } from './rules';

/**
 * What people read: an e-mail, an SMS, a Web Push payload. Spanish first, then English.
 * Alert messages are stored as `español / English` (or Spanish only, by older writers);
 * both halves are used when there are two.
 */
export const SMS_MAX_CHARS = 320;

const SEVERITY: Record<Severity, { es: string; en: string }> = {
  info: { es: 'Informativa', en: 'Information' },
  warning: { es: 'Advertencia', en: 'Warning' },
  critical: { es: 'Crítica', en: 'Critical' },
};

export interface AlertForText {
  id: string;
  severity: Severity;
  message: string;
  raisedAt: string;
}

export interface TextContext {
  event: 'raised' | 'escalated';
  alert: AlertForText;
  /** The company's name, so a person in two companies knows which one. */
  tenantName: string;
  /** Absolute link to the company's alerts page (alertsLink). */
  link: string;
  /** For escalations: after how long unacknowledged. */
  escalateAfterMinutes?: number;
}

/** Splits `español / English`; a message without the separator is both. */
export function bilingual(message: string): { es: string; en: string } {
  const at = message.indexOf(' / ');
  if (at < 0) return { es: message.trim(), en: message.trim() };
  return { es: message.slice(0, at).trim(), en: message.slice(at + 3).trim() };
}

/** `<app>/t/<slug>/alertas`: where the alert is seen and acknowledged. */
export function alertsLink(appUrl: string, tenantSlug: string): string {
  return `${appUrl.replace(/\/+$/, '')}/t/${encodeURIComponent(tenantSlug)}/alertas`;
}

/** Cuts at a word boundary when one is near, with an ellipsis; never longer than `max`. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  if (max <= 1) return flat.slice(0, Math.max(0, max));
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

/** `2026-11-27 07:05` in Bogotá time. */
export function bogotaTime(iso: string): string {
  return new Date(Date.parse(iso) + BOGOTA_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

function headline(ctx: TextContext): { es: string; en: string } {
  const s = SEVERITY[ctx.alert.severity];
  return ctx.event === 'escalated'
    ? { es: `Escalada (${s.es})`, en: `Escalated (${s.en})` }
    : { es: s.es, en: s.en };
}

export function emailText(ctx: TextContext): { subject: string; text: string } {
  const head = headline(ctx);
  const msg = bilingual(ctx.alert.message);
  const subject = `[ANH] ${head.es}: ${truncate(msg.es, 70)} / ${head.en}: ${truncate(msg.en, 70)}`;
  const raised = bogotaTime(ctx.alert.raisedAt);
  const minutes = ctx.escalateAfterMinutes;
  const es = [
    `Alerta ${head.es.toLowerCase()} — ${ctx.tenantName}`,
    '',
    msg.es,
    '',
    `Levantada: ${raised} (hora de Colombia)`,
    ...(ctx.event === 'escalated'
      ? [`Nadie la ha reconocido${minutes ? ` en ${minutes} min` : ''}: se escaló a crítica.`]
      : []),
    `Véala y reconózcala en: ${ctx.link}`,
  ];
  const en = [
    `${head.en} alert — ${ctx.tenantName}`,
    '',
    msg.en,
    '',
    `Raised: ${raised} (Colombia time)`,
    ...(ctx.event === 'escalated'
      ? [`Nobody acknowledged it${minutes ? ` within ${minutes} min` : ''}: escalated to critical.`]
      : []),
    `See and acknowledge it at: ${ctx.link}`,
  ];
  return {
    subject,
    text: [...es, '', '—', '', ...en, '', 'ANH Smart Reporter'].join('\n'),
  };
}

/**
 * One SMS of at most SMS_MAX_CHARS: severity in both languages, the Spanish message, the
 * English one if room is left (each cut to fit), and the link, which is never cut.
 */
export function smsText(ctx: TextContext): string {
  const head = headline(ctx);
  const msg = bilingual(ctx.alert.message);
  const prefix = `ANH ${head.es}/${head.en}: `;
  const suffix = ` ${ctx.link}`;
  const room = SMS_MAX_CHARS - prefix.length - suffix.length;
  if (room < 20) return truncate(`${prefix}${msg.es}`, SMS_MAX_CHARS);
  let body: string;
  if (msg.en === msg.es) body = truncate(msg.es, room);
  else {
    const both = `${msg.es} / ${msg.en}`;
    if (both.length <= room) body = both;
    else {
      // Spanish gets most of the room; English what is left, if worth sending.
      const es = truncate(msg.es, Math.max(room - 63, Math.ceil(room * 0.6)));
      const left = room - es.length - 3;
      body = left >= 20 ? `${es} / ${truncate(msg.en, left)}` : truncate(msg.es, room);
    }
  }
  return `${prefix}${body}${suffix}`;
}

/** What the service worker shows (this exact shape: it reads these five fields). */
export interface PushPayload {
  title: string;
  body: string;
  url: string;
  /** One notification per alert on the phone: an escalation replaces the first message. */
  tag: string;
  severity: Severity;
}

export function pushPayload(ctx: TextContext): PushPayload {
  const head = headline(ctx);
  const msg = bilingual(ctx.alert.message);
  return {
    title: truncate(`${head.es} / ${head.en} · ${ctx.tenantName}`, 120),
    body:
      msg.en === msg.es
        ? truncate(msg.es, 400)
        : `${truncate(msg.es, 200)}\n${truncate(msg.en, 200)}`,
    url: ctx.link,
    tag: `alert-${ctx.alert.id}`,
    severity: ctx.alert.severity,
  };
}
