import nodemailer from 'nodemailer';
import { describeError, type EmailChannel } from './channels';

/**
 * E-mail through an SMTP server (nodemailer). Short timeouts: a hung server must not hold
 * the notify job; the message is retried on a later run.
 */
export function createEmailChannel(options: { url: string; from: string }): EmailChannel {
  const transport = nodemailer.createTransport(options.url, {
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(to, mail) {
      try {
        const info = await transport.sendMail({
          from: options.from,
          to,
          subject: mail.subject,
          text: mail.text,
        });
        if (info.rejected.length > 0)
          return { ok: false, gone: false, error: 'the SMTP server refused the recipient' };
        return { ok: true, providerId: info.messageId ?? null };
      } catch (error) {
        return { ok: false, gone: false, error: describeError(error) };
      }
    },
    close() {
      transport.close();
    },
  };
}
