import { eq, sql } from 'drizzle-orm';
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { z } from 'zod';
import { controlTables, type Database } from '@anh/db';
import { hashPassword, needsRehash, verifyPassword } from '@anh/domain/passwords';
import { webEnv } from '~/env';
import { getDb } from './db';

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  locale: 'es-CO' | 'en';
}

const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  password: z.string().min(1).max(1024),
});

/**
 * Checks an e-mail and password against control.users. Returns null for every failure
 * (unknown e-mail, wrong password, disabled user, malformed input) so the response
 * never tells which one it was.
 */
export async function authorizeCredentials(
  db: Database,
  raw: unknown,
): Promise<SessionUser | null> {
  const parsed = credentialsSchema.safeParse(raw);
  if (!parsed.success) return null;
  const [user] = await db.control
    .select()
    .from(controlTables.users)
    .where(eq(sql`lower(${controlTables.users.email})`, parsed.data.email));
  if (!user?.passwordHash || user.disabledAt) return null;
  if (!(await verifyPassword(parsed.data.password, user.passwordHash))) return null;
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

export function authOptions(): NextAuthOptions {
  return {
    secret: webEnv().NEXTAUTH_SECRET,
    session: { strategy: 'jwt', maxAge: 12 * 60 * 60 },
    pages: { signIn: '/login' },
    providers: [
      CredentialsProvider({
        name: 'Correo y contraseña',
        credentials: { email: { type: 'email' }, password: { type: 'password' } },
        authorize: (credentials) => authorizeCredentials(getDb(), credentials),
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          const u = user as unknown as SessionUser;
          token.sub = u.id;
          token.locale = u.locale;
        }
        return token;
      },
      session({ session, token }) {
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
