import type { Locale } from './i18n';

/** The live-alert strip's words, Spanish first. */
const es = {
  region: 'Alertas en vivo',
  live: 'En vivo',
  offline: 'Sin conexión en vivo',
  severity: { critical: 'Crítica', warning: 'Advertencia', info: 'Información' },
  event: {
    raised: 'Nueva alerta',
    escalated: 'Alerta escalada',
    acknowledged: 'Alerta atendida',
    resolved: 'Alerta resuelta',
  },
  open: 'Ver alertas',
  dismiss: 'Cerrar',
};

const en: typeof es = {
  region: 'Live alerts',
  live: 'Live',
  offline: 'Live connection lost',
  severity: { critical: 'Critical', warning: 'Warning', info: 'Information' },
  event: {
    raised: 'New alert',
    escalated: 'Alert escalated',
    acknowledged: 'Alert acknowledged',
    resolved: 'Alert resolved',
  },
  open: 'See alerts',
  dismiss: 'Dismiss',
};

export type LiveWords = typeof es;

export function liveWords(locale: Locale): LiveWords {
  return locale === 'en' ? en : es;
}
