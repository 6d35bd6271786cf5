import type { Locale } from './i18n';

/** The alerts page's words (open alerts, channels by role, escalation), Spanish first. */
const es = {
  title: 'Alertas',
  openTitle: 'Alertas abiertas',
  noOpen: 'No hay alertas abiertas.',
  raisedAt: 'Levantada',
  occurrences: (n: number) => (n === 1 ? '1 vez' : `${n} veces`),
  escalated: 'Escalada',
  acknowledged: 'Reconocida',
  acknowledge: 'Reconocer',
  acknowledgeComment: 'Comentario (opcional)',
  acknowledgedDone: 'Alerta reconocida.',
  roles: 'Alertas de (roles)',
  escalationOnly: 'Solo escalamientos',
  escalationOnlyHint:
    'Recibe únicamente las alertas que nadie reconoció a tiempo (p. ej., un supervisor).',
  channelsOf: (roles: string) => `alertas de: ${roles}`,
  onlyEscalations: 'solo escalamientos',
  disabled: 'inactivo',
  escalationTitle: 'Escalamiento',
  escalationIntro:
    'Una alerta que nadie reconoce en este tiempo pasa a crítica y se avisa a los destinatarios de escalamiento.',
  escalateAfter: 'Escalar después de (minutos)',
};

const en: typeof es = {
  title: 'Alerts',
  openTitle: 'Open alerts',
  noOpen: 'No open alerts.',
  raisedAt: 'Raised',
  occurrences: (n: number) => (n === 1 ? 'once' : `${n} times`),
  escalated: 'Escalated',
  acknowledged: 'Acknowledged',
  acknowledge: 'Acknowledge',
  acknowledgeComment: 'Comment (optional)',
  acknowledgedDone: 'Alert acknowledged.',
  roles: 'Alerts of (roles)',
  escalationOnly: 'Escalations only',
  escalationOnlyHint: 'Gets only the alerts nobody acknowledged in time (e.g. a supervisor).',
  channelsOf: (roles: string) => `alerts of: ${roles}`,
  onlyEscalations: 'escalations only',
  disabled: 'disabled',
  escalationTitle: 'Escalation',
  escalationIntro:
    'An alert nobody acknowledges within this time becomes critical and the escalation recipients are told.',
  escalateAfter: 'Escalate after (minutes)',
};

export type AlertsDictionary = typeof es;

export function alertsDictionary(locale: Locale = 'es-CO'): AlertsDictionary {
  return locale === 'en' ? en : es;
}
