import type { Severity } from '@anh/domain/notify';
import type { PushPayload } from '@anh/domain/notify';
import type { WorkerEnv } from '../env';
import type { Logger } from '../log';
import { createEmailChannel } from './email';
import { createPushChannel } from './push';
import { createSmsChannel } from './sms';

/**
 * The three ways out. Each send answers in one shape, never throws for a delivery
 * problem (the dispatcher records it and retries later), and keeps secrets out of errors.
 */
export type SendResult =
  | { ok: true; providerId: string | null }
  /** `gone`: the address will never work again (a push subscription the service dropped). */
  | { ok: false; gone: boolean; error: string };

export interface EmailChannel {
  send(to: string, mail: { subject: string; text: string }): Promise<SendResult>;
  close(): void;
}

export interface SmsChannel {
  send(to: string, body: string): Promise<SendResult>;
}

export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushChannel {
  send(
    target: PushTarget,
    payload: PushPayload,
    options: { severity: Severity; topic: string },
  ): Promise<SendResult>;
}

export interface NotifyChannels {
  email: EmailChannel | null;
  sms: SmsChannel | null;
  push: PushChannel | null;
}

/** What the notification jobs need: the channels that are on, and the web app's URL. */
export interface NotifyContext {
  channels: NotifyChannels;
  /** Public URL of the web app (links in messages). */
  appUrl: string;
  close(): Promise<void>;
}

/** A short, secret-free description of a failure. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === 'string' || typeof code === 'number' ? `${code}: ` : ''}${error.message}`.slice(
      0,
      300,
    );
  }
  return String(error).slice(0, 300);
}

/**
 * The channels from the worker's settings; each unset one is off, said once in the log
 * (names of settings only, never their values).
 */
export function createNotifyContext(
  env: Pick<
    WorkerEnv,
    | 'APP_URL'
    | 'SMTP_URL'
    | 'MAIL_FROM'
    | 'TWILIO_ACCOUNT_SID'
    | 'TWILIO_AUTH_TOKEN'
    | 'TWILIO_FROM'
    | 'TWILIO_API_BASE'
    | 'VAPID_PUBLIC_KEY'
    | 'VAPID_PRIVATE_KEY'
    | 'VAPID_SUBJECT'
  >,
  log: Logger,
): NotifyContext {
  const email = env.SMTP_URL
    ? createEmailChannel({ url: env.SMTP_URL, from: env.MAIL_FROM })
    : null;
  const sms =
    env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM
      ? createSmsChannel({
          accountSid: env.TWILIO_ACCOUNT_SID,
          authToken: env.TWILIO_AUTH_TOKEN,
          from: env.TWILIO_FROM,
          ...(env.TWILIO_API_BASE ? { apiBase: env.TWILIO_API_BASE } : {}),
        })
      : null;
  const push =
    env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY
      ? createPushChannel({
          publicKey: env.VAPID_PUBLIC_KEY,
          privateKey: env.VAPID_PRIVATE_KEY,
          subject: env.VAPID_SUBJECT,
        })
      : null;
  if (!email) log.info('notification channel off: e-mail (SMTP_URL not set)');
  if (!sms)
    log.info(
      'notification channel off: SMS (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM not set)',
    );
  if (!push)
    log.info('notification channel off: Web Push (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY not set)');
  return {
    channels: { email, sms, push },
    appUrl: env.APP_URL,
    close() {
      email?.close();
      return Promise.resolve();
    },
  };
}
