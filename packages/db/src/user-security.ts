import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { AppError } from '@anh/domain/errors';
import { open, seal, type KeyRing } from '@anh/domain/secret-box';
import { newTotpSecret, totpUri, verifyTotp } from '@anh/domain/totp';
import type { Database } from './client';
import { appendControlAudit } from './audit-store';
import { users } from './schema/control';

/**
 * A person's own security settings: the optional TOTP second factor (its secret sealed
 * with the key ring, bound to the user's id), the language, and ending every session.
 */
const totpContext = (userId: string) => `totp:${userId}`;

async function auditUser(db: Database, userId: string, action: string, data: unknown = {}) {
  await db.control.transaction((tx) =>
    appendControlAudit(tx, {
      actor: `user:${userId}`,
      action,
      entity: 'user',
      entityId: userId,
      data,
    }),
  );
}

export async function profile(db: Database, userId: string) {
  const [user] = await db.control
    .select({
      email: users.email,
      name: users.name,
      locale: users.locale,
      totpEnabledAt: users.totpEnabledAt,
    })
    .from(users)
    .where(eq(users.id, userId));
  if (!user) throw new AppError('NOT_FOUND', 'Usuario no encontrado / user not found');
  return {
    email: user.email,
    name: user.name,
    locale: user.locale === 'en' ? ('en' as const) : ('es-CO' as const),
    totpEnabled: user.totpEnabledAt !== null,
  };
}

export async function setLocale(db: Database, userId: string, locale: 'es-CO' | 'en') {
  await db.control.update(users).set({ locale }).where(eq(users.id, userId));
}

/** Starts (or restarts) enrolment: a new secret, not yet required at sign-in. */
export async function startTotpSetup(db: Database, userId: string, ring: KeyRing) {
  const [user] = await db.control
    .select({ email: users.email, enabled: users.totpEnabledAt })
    .from(users)
    .where(eq(users.id, userId));
  if (!user) throw new AppError('NOT_FOUND', 'Usuario no encontrado / user not found');
  if (user.enabled)
    throw new AppError(
      'CONFLICT',
      'La verificación en dos pasos ya está activa / two-step verification is already on',
    );
  const secret = newTotpSecret();
  await db.control
    .update(users)
    .set({ totpSecretSealed: seal(ring, secret, totpContext(userId)) })
    .where(eq(users.id, userId));
  return { secret, uri: totpUri(secret, user.email) };
}

/**
 * Checks a code against the user's secret and consumes its time step, so the same code
 * cannot be used twice. False for a wrong, stale or replayed code.
 */
export async function consumeTotpCode(
  db: Database,
  userId: string,
  code: string,
  ring: KeyRing,
  nowMs: number,
): Promise<boolean> {
  const [user] = await db.control
    .select({ sealed: users.totpSecretSealed })
    .from(users)
    .where(eq(users.id, userId));
  if (!user?.sealed) return false;
  const step = verifyTotp(open(ring, user.sealed, totpContext(userId)), code, nowMs);
  if (step === null) return false;
  const claimed = await db.control
    .update(users)
    .set({ totpLastStep: step })
    .where(and(eq(users.id, userId), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
    .returning({ id: users.id });
  return claimed.length === 1;
}

const wrongCode = () =>
  new AppError('VALIDATION', 'Código incorrecto o vencido / wrong or expired code', {
    details: { field: 'code' },
  });

export async function enableTotp(
  db: Database,
  userId: string,
  code: string,
  ring: KeyRing,
  nowMs: number,
) {
  if (!(await consumeTotpCode(db, userId, code, ring, nowMs))) throw wrongCode();
  await db.control
    .update(users)
    .set({ totpEnabledAt: new Date(nowMs) })
    .where(eq(users.id, userId));
  await auditUser(db, userId, 'account.totp_enabled');
}

export async function disableTotp(
  db: Database,
  userId: string,
  code: string,
  ring: KeyRing,
  nowMs: number,
) {
  if (!(await consumeTotpCode(db, userId, code, ring, nowMs))) throw wrongCode();
  await db.control
    .update(users)
    .set({ totpEnabledAt: null, totpSecretSealed: null, totpLastStep: null })
    .where(eq(users.id, userId));
  await auditUser(db, userId, 'account.totp_disabled');
}

/** Ends every session of the user issued up to now (JWTs are checked against this). */
export async function revokeSessions(db: Database, userId: string, nowMs: number) {
  await db.control
    .update(users)
    .set({ sessionsValidAfter: new Date(nowMs) })
    .where(eq(users.id, userId));
  await auditUser(db, userId, 'account.sessions_revoked');
}

/**
 * Whether a session issued at `issuedAtMs` still stands: the user exists, is not
 * disabled, and has not ended their sessions since.
 */
export async function sessionStillValid(
  db: Database,
  userId: string,
  issuedAtMs: number,
): Promise<boolean> {
  const [user] = await db.control
    .select({ disabledAt: users.disabledAt, after: users.sessionsValidAfter })
    .from(users)
    .where(eq(users.id, userId));
  if (!user || user.disabledAt) return false;
  return user.after === null || issuedAtMs > user.after.getTime();
}

/** For sign-in: the user's id, whether a second factor is required, and whether verified. */
export async function signInState(db: Database, email: string) {
  const [user] = await db.control
    .select({
      id: users.id,
      totpEnabledAt: users.totpEnabledAt,
      emailVerified: users.emailVerified,
    })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
  return user ?? null;
}
