/**
 * Alert notifications (e-mail, SMS, Web Push), the pure part: who is told of what and
 * when, the texts, escalation and retries. The worker's dispatcher does the I/O.
 */
export * from './rules';
export * from './texts';
export * from './schemas';
