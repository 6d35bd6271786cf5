import { eq, sql } from 'drizzle-orm';
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { z } from 'zod';
import { controlTables, userSecurity, type Database } from '@anh/db';
import { hashPassword, needsRehash, verifyPassword } from '@anh/domain/passwords';
import type { KeyRing } from '@anh/domain/secret-box';
import { webEnv } from '~/env';
import { sessionChecks } from './access-cache';
import { getDb } from './db';
import { keyRing } from './ingest/deps';
import { RateLimiter } from './ingest/rate-limit';

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  locale: 'es-CO' | 'en';
}

/**
 * Why a sign-in with the right password still did not open a session. The login page
 * shows each in the user's language (a wrong password stays a plain null: the answer
 * must not tell which of e-mail or password was wrong).
 */
export const SIGN_IN_REFUSALS = [
  'rate_limited',
  'email_unverified',
  'totp_required',
  'totp_invalid',
] as const;
export type SignInRefusal = (typeof SIGN_IN_REFUSALS)[number];

export class SignInRefused extends Error {
  constructor(readonly reason: SignInRefusal) {
    super(reason);
  }
}

const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  password: z.string().min(1).max(1024),
  totp: z
    .string()
    .trim()
    .max(12)
    .optional()
    .transform((v) => (v ? v : undefined)),
});

/** Attempts per e-mail and per client address per minute (argon2id makes each costly too). */
const ATTEMPTS_PER_EMAIL_PER_MINUTE = 10;
const ATTEMPTS_PER_ADDRESS_PER_MINUTE = 30;
const defaultLimiter = new RateLimiter();

export interface AuthorizeOptions {
  ring?: KeyRing | null;
  clientAddress?: string;
  nowMs?: number;
  limiter?: RateLimiter;
}

/**
 * Checks an e-mail and password (and the second factor when the user has one) against
 * control.users. Returns null for a wrong e-mail or password, a disabled user or
 * malformed input, so the response never tells which one it was; throws SignInRefused
 * for the refusals the user can act on.
 */
export async function authorizeCredentials(
  db: Database,
  raw: unknown,
  options: AuthorizeOptions = {},
): Promise<SessionUser | null> {
  const parsed = credentialsSchema.safeParse(raw);
  if (!parsed.success) return null;
  const now = options.nowMs ?? Date.now();
  const limiter = options.limiter ?? defaultLimiter;
  if (
    limiter.take(`login:email:${parsed.data.email}`, ATTEMPTS_PER_EMAIL_PER_MINUTE, now) > 0 ||
    limiter.take(
      `login:address:${options.clientAddress ?? 'unknown'}`,
      ATTEMPTS_PER_ADDRESS_PER_MINUTE,
      now,
    ) > 0
  )
    throw new SignInRefused('rate_limited');
  const [user] = await db.control
    .select()
    .from(controlTables.users)
    .where(eq(sql`lower(${controlTables.users.email})`, parsed.data.email));
  if (!user?.passwordHash || user.disabledAt) return null;
  if (!(await verifyPassword(parsed.data.password, user.passwordHash))) return null;
  if (!user.emailVerified) throw new SignInRefused('email_unverified');
  if (user.totpEnabledAt) {
    if (!parsed.data.totp) throw new SignInRefused('totp_required');
    const ring = options.ring ?? null;
    if (!ring || !(await userSecurity.consumeTotpCode(db, user.id, parsed.data.totp, ring, now)))
      throw new SignInRefused('totp_invalid');
  }
  if (needsRehash(user.passwordHash)) {
    // An older hash (scrypt): upgraded to argon2id now that the password is in hand.
    await db.control
      .update(controlTables.users)
      .set({ passwordHash: await hashPassword(parsed.data.password) })
      .where(eq(controlTables.users.id, user.id));
  }
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    locale: user.locale === 'en' ? 'en' : 'es-CO',
  };
}

function clientAddressOf(headers: unknown): string {
  const value = (headers as Record<string, string | string[] | undefined> | undefined)?.[
    'x-forwarded-for'
  ];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.split(',')[0]?.trim() || 'direct';
}

export function authOptions(): NextAuthOptions {
  return {
    secret: webEnv().NEXTAUTH_SECRET,
    // Cookies are httpOnly + SameSite=Lax by next-auth's defaults; Secure on https.
    // next-auth's own POST endpoints (sign-in, sign-out) carry its CSRF token.
    useSecureCookies: webEnv().NEXTAUTH_URL.startsWith('https://'),
    session: { strategy: 'jwt', maxAge: 12 * 60 * 60 },
    pages: { signIn: '/login' },
    providers: [
      CredentialsProvider({
        name: 'Correo y contraseña',
        credentials: {
          email: { type: 'email' },
          password: { type: 'password' },
          totp: { type: 'text' },
        },
        authorize: (credentials, request) =>
          authorizeCredentials(getDb(), credentials, {
            ring: keyRing(),
            clientAddress: clientAddressOf(request.headers),
          }),
      }),
    ],
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          const u = user as unknown as SessionUser;
          token.sub = u.id;
          token.locale = u.locale;
          token.issuedAtMs = Date.now();
          return token;
        }
        // Every request re-checks the user: a disabled user, or one who ended all
        // sessions (or reset the password) since this token was issued, is signed out.
        const issuedAtMs = typeof token.issuedAtMs === 'number' ? token.issuedAtMs : 0;
        if (
          typeof token.sub !== 'string' ||
          !(await sessionChecks().get(
            `${token.sub}|${issuedAtMs}`,
            () => userSecurity.sessionStillValid(getDb(), token.sub!, issuedAtMs),
            (valid) => valid,
          ))
        )
          return { revoked: true };
        return token;
      },
      session({ session, token }) {
        if (token.revoked) return { expires: session.expires };
        return { ...session, userId: token.sub, locale: token.locale };
      },
    },
  };
}

/** What the rest of the app reads from a next-auth session. */
export function sessionUserId(session: unknown): string | null {
  const id = (session as { userId?: unknown } | null)?.userId;
  return typeof id === 'string' ? id : null;
}
