import nodemailer from 'nodemailer';

/**
 * Outgoing e-mail (nodemailer to the configured SMTP server). Messages are Spanish first,
 * English second. Callers never put a secret other than the one-time link in a message.
 */
export interface Mailer {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
}

export function createMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
  };
}
