import type { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlTables } from '@anh/db';
import { randomNit, randomSuffix } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { authorizeCredentials } from '../auth';
import { createMailer } from '../mail';
import { createCaller } from './root';
import { startTestSmtpServer, type TestSmtpServer } from '../../../test/smtp-server';

/** E-mail verification and password reset, through a real SMTP server (aiosmtpd). */
const testDb = useTestDatabase();
let smtp: TestSmtpServer;

const anonymous = () =>
  createCaller({
    db: testDb().db,
    userId: null,
    clientAddress: `mail-${randomSuffix()}`,
    mailer: createMailer(smtp.url, 'ANH Smart Reporter <no-reply@test.local>'),
    appUrl: 'https://app.example.co',
  });

async function linkTo(path: string, email: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    // Bodies arrive quoted-printable: undo soft line breaks and =3D before reading the link.
    const decoded = smtp
      .output()
      .replace(/=\r?\n/g, '')
      .replace(/=3D/g, '=');
    const blocks = decoded.split('---------- MESSAGE FOLLOWS ----------');
    const mine = blocks.filter((b) => b.includes(email));
    const match = mine
      .at(-1)
      ?.match(new RegExp(`https://app\\.example\\.co/${path}\\?token=([A-Za-z0-9_-]+)`));
    if (match) return match[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${path} link mailed to ${email}`);
}

beforeAll(async () => {
  smtp = await startTestSmtpServer();
});
afterAll(async () => {
  await smtp.close();
});

async function signUp() {
  const suffix = randomSuffix();
  const email = `carlos-${suffix}@operadora.co`;
  await anonymous().account.signUp({
    name: 'Carlos Pérez',
    email,
    password: 'clave-inicial-larga',
    company: {
      legalName: `Crudos ${suffix} S.A.S.`,
      nit: randomNit(),
      anhOperatorCode: `CR${suffix}`.toUpperCase(),
    },
  });
  return email;
}

async function verifiedAt(email: string): Promise<Date | null> {
  const [user] = await testDb()
    .db.control.select({ at: controlTables.users.emailVerified })
    .from(controlTables.users)
    .where(eq(controlTables.users.email, email));
  return user!.at;
}

describe('account e-mails', () => {
  it('sign-up mails a confirmation link; the link verifies the address once', async () => {
    const email = await signUp();
    expect(await verifiedAt(email)).toBeNull();
    const token = await linkTo('verificar', email);
    expect(smtp.output()).toContain('Confirme su correo');
    expect(await anonymous().account.verifyEmail({ token })).toEqual({ email });
    expect(await verifiedAt(email)).not.toBeNull();
    const again = await anonymous()
      .account.verifyEmail({ token })
      .catch((e: unknown) => e);
    expect((again as TRPCError).code).toBe('NOT_FOUND');
  });

  it('a reset link sets a new password; an unknown address gets the same answer and no mail', async () => {
    const email = await signUp();
    expect(await anonymous().account.requestPasswordReset({ email })).toEqual({ sent: true });
    const token = await linkTo('restablecer', email);
    await anonymous().account.resetPassword({ token, password: 'clave-nueva-muy-larga' });
    expect(
      await authorizeCredentials(testDb().db, { email, password: 'clave-inicial-larga' }),
    ).toBeNull();
    expect(
      await authorizeCredentials(testDb().db, { email, password: 'clave-nueva-muy-larga' }),
    ).not.toBeNull();
    const reused = await anonymous()
      .account.resetPassword({ token, password: 'otra-clave-muy-larga' })
      .catch((e: unknown) => e);
    expect((reused as TRPCError).code).toBe('NOT_FOUND');
    const nobody = `nadie-${randomSuffix()}@operadora.co`;
    expect(await anonymous().account.requestPasswordReset({ email: nobody })).toEqual({
      sent: true,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.output()).not.toContain(nobody);
  });
});
