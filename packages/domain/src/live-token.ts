import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AppError } from './errors';
import { MEMBER_ROLES } from './tenancy';

/**
 * The ticket with which a signed-in browser opens the live-alert socket. The web app
 * issues it (after its own session and membership checks) and the worker's gateway
 * accepts it without a database lookup: an HMAC over the claims with a secret both share
 * (LIVE_TOKEN_SECRET). It lives one minute, so a revoked member can at most finish the
 * connection they had; every reconnection asks the web app for a new one.
 */
export const LIVE_TOKEN_TTL_MS = 60_000;

const claimsSchema = z
  .object({
    v: z.literal(1),
    /** control.users.id */
    sub: z.uuid(),
    /** control.tenants.id */
    tid: z.uuid(),
    role: z.enum(MEMBER_ROLES),
    /** Expiry, ms since the epoch. */
    exp: z.number().int().positive(),
  })
  .strict();

export type LiveTokenClaims = z.infer<typeof claimsSchema>;

const CONTEXT = 'anh-live-token:';

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret)
    .update(CONTEXT + body)
    .digest();
}

export function signLiveToken(
  secret: string,
  claims: { userId: string; tenantId: string; role: LiveTokenClaims['role']; nowMs: number },
): { token: string; expiresAt: number } {
  const exp = claims.nowMs + LIVE_TOKEN_TTL_MS;
  const body = Buffer.from(
    JSON.stringify({ v: 1, sub: claims.userId, tid: claims.tenantId, role: claims.role, exp }),
  ).toString('base64url');
  return { token: `${body}.${mac(secret, body).toString('base64url')}`, expiresAt: exp };
}

/** The claims of a genuine, unexpired token; an UNAUTHENTICATED AppError otherwise. */
export function verifyLiveToken(secret: string, token: unknown, nowMs: number): LiveTokenClaims {
  const refuse = (why: string) =>
    new AppError(
      'UNAUTHENTICATED',
      `Credencial de conexión inválida / invalid live token (${why})`,
    );
  if (typeof token !== 'string' || token.length > 1024) throw refuse('shape');
  const [body, signature, ...rest] = token.split('.');
  if (!body || !signature || rest.length > 0) throw refuse('shape');
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw refuse('signature');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw refuse('claims');
  }
  const claims = claimsSchema.safeParse(parsed);
  if (!claims.success) throw refuse('claims');
  if (claims.data.exp <= nowMs) throw refuse('expired');
  return claims.data;
}
