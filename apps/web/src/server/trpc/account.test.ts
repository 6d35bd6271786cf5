import type { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { controlTables, issueAccountToken } from '@anh/db';
import { useTestDatabase } from '@anh/db/test-helpers';
import { randomNit, randomSuffix } from '@anh/db/seed';
import { authorizeCredentials } from '../auth';
import { createCaller } from './root';

/** A company signs up: the person, the company, its schema, and the person as its admin. */
const testDb = useTestDatabase();
const anonymous = (clientAddress = '198.51.100.7') =>
  createCaller({ db: testDb().db, userId: null, clientAddress });

const form = () => {
  const suffix = randomSuffix();
  return {
    name: 'Laura Gómez',
    email: `laura-${suffix}@operadora.co`,
    password: 'una-clave-bastante-larga',
    company: {
      legalName: `Petrolera ${suffix} S.A.S.`,
      nit: randomNit(),
      anhOperatorCode: `op${suffix}`.toUpperCase().slice(0, 12),
    },
  };
};

async function errorOf(promise: Promise<unknown>): Promise<TRPCError> {
  return (await promise.then(() => null).catch((e: unknown) => e)) as TRPCError;
}

describe('sign-up', () => {
  it('creates the person, the company with its own schema, and makes the person its admin', async () => {
    const input = form();
    const { tenantSlug } = await anonymous().account.signUp(input);
    expect(tenantSlug).toMatch(/^petrolera-/);
    const signIn = () =>
      authorizeCredentials(testDb().db, { email: input.email, password: input.password });
    // Not before the address is confirmed (the link e-mailed at sign-up; account-mail.test.ts).
    await expect(signIn()).rejects.toMatchObject({ reason: 'email_unverified' });
    const token = await issueAccountToken(testDb().db, 'verify', input.email, Date.now());
    await anonymous().account.verifyEmail({ token });
    const user = await signIn();
    expect(user).not.toBeNull();
    const [stored] = await testDb()
      .db.control.select({ hash: controlTables.users.passwordHash })
      .from(controlTables.users)
      .where(eq(controlTables.users.id, user!.id));
    expect(stored!.hash).toMatch(/^\$argon2id\$/);
    const caller = createCaller({ db: testDb().db, userId: user!.id });
    expect(await caller.me.tenants()).toEqual([
      { slug: tenantSlug, legalName: input.company.legalName, role: 'admin' },
    ]);
    // The company's schema is there and empty: the field overview answers for it.
    const overview = await caller.field.overview({ tenantSlug });
    expect(overview.sites).toEqual([]);
  });

  it('explains a wrong NIT check digit in Spanish and English, creating nothing', async () => {
    const input = form();
    const [base, digit] = input.company.nit.split('-') as [string, string];
    const wrong = {
      ...input,
      company: { ...input.company, nit: `${base}-${(Number(digit) + 1) % 10}` },
    };
    const error = await errorOf(anonymous().account.signUp(wrong));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(
      new RegExp(`dígito de verificación debería ser ${digit}.*check digit should be ${digit}`),
    );
    const users = await testDb()
      .db.control.select()
      .from(controlTables.users)
      .where(eq(controlTables.users.email, input.email));
    expect(users).toEqual([]);
  });

  it('refuses a taken e-mail and an already registered company', async () => {
    const first = form();
    await anonymous().account.signUp(first);
    const sameEmail = await errorOf(anonymous().account.signUp({ ...form(), email: first.email }));
    expect(sameEmail.code).toBe('CONFLICT');
    expect(sameEmail.message).toMatch(/Ya existe una cuenta con ese correo/);
    const sameCompany = await errorOf(
      anonymous().account.signUp({
        ...form(),
        company: { ...form().company, nit: first.company.nit },
      }),
    );
    expect(sameCompany.code).toBe('CONFLICT');
    expect(sameCompany.message).toMatch(/pida una invitación a su administrador/);
  });

  it('refuses a short password with a message in the user’s language', async () => {
    const error = await errorOf(anonymous().account.signUp({ ...form(), password: 'corta' }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/al menos 12 caracteres/);
  });

  it('limits sign-ups per address', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const error = await errorOf(
        anonymous('192.0.2.44').account.signUp({ ...form(), password: 'x' }),
      );
      codes.push(error.code);
    }
    expect(codes.slice(0, 10).every((c) => c === 'BAD_REQUEST')).toBe(true);
    expect(codes.at(-1)).toBe('TOO_MANY_REQUESTS');
  });
});
