import { and, eq, gt, sql } from 'drizzle-orm';
import { AppError } from '@anh/domain/errors';
import { hashPassword } from '@anh/domain/passwords';
import { generateToken, sha256Hex } from '@anh/domain/secrets';
import type { Database } from './client';
import { appendControlAudit } from './audit-store';
import { users, verificationTokens } from './schema/control';

/**
 * One-time tokens sent by e-mail: confirming an address (3 days) and resetting a password
 * (1 hour). Only the token's SHA-256 is stored; using one deletes it.
 */
export type TokenPurpose = 'verify' | 'reset';
const LIFETIME_MS: Record<TokenPurpose, number> = { verify: 3 * 86_400_000, reset: 3600_000 };

export async function issueAccountToken(
  db: Database,
  purpose: TokenPurpose,
  email: string,
  nowMs: number,
): Promise<string> {
  const token = generateToken(32);
  await db.control.insert(verificationTokens).values({
    identifier: `${purpose}:${email.toLowerCase()}`,
    token: sha256Hex(token),
    expires: new Date(nowMs + LIFETIME_MS[purpose]),
  });
  return token;
}

async function consume(
  db: Database,
  purpose: TokenPurpose,
  token: string,
  nowMs: number,
): Promise<string> {
  const [row] = await db.control
    .delete(verificationTokens)
    .where(
      and(
        eq(verificationTokens.token, sha256Hex(token)),
        sql`${verificationTokens.identifier} like ${`${purpose}:%`}`,
        gt(verificationTokens.expires, new Date(nowMs)),
      ),
    )
    .returning({ identifier: verificationTokens.identifier });
  if (!row)
    throw new AppError(
      'NOT_FOUND',
      'El enlace no es válido o ya venció: pida uno nuevo / the link is invalid or expired: ask for a new one',
    );
  return row.identifier.slice(purpose.length + 1);
}

export async function verifyEmailWithToken(
  db: Database,
  token: string,
  nowMs: number,
): Promise<string> {
  const email = await consume(db, 'verify', token, nowMs);
  await db.control
    .update(users)
    .set({ emailVerified: new Date(nowMs) })
    .where(eq(sql`lower(${users.email})`, email));
  return email;
}

/** Sets a new password from a reset link; the e-mail address is verified by the same token. */
export async function resetPasswordWithToken(
  db: Database,
  token: string,
  password: string,
  nowMs: number,
): Promise<void> {
  const email = await consume(db, 'reset', token, nowMs);
  const passwordHash = await hashPassword(password);
  await db.control.transaction(async (tx) => {
    const [user] = await tx
      .update(users)
      .set({
        passwordHash,
        emailVerified: new Date(nowMs),
        // A reset is what someone does when a password may be known to others: every
        // session signed in with the old one ends.
        sessionsValidAfter: new Date(nowMs),
      })
      .where(eq(sql`lower(${users.email})`, email))
      .returning({ id: users.id });
    if (user)
      await appendControlAudit(tx, {
        actor: `user:${user.id}`,
        action: 'account.password_reset',
        entity: 'user',
        entityId: user.id,
        data: {},
      });
  });
}

export async function userExists(db: Database, email: string): Promise<boolean> {
  const [row] = await db.control
    .select({ id: users.id })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
  return Boolean(row);
}
