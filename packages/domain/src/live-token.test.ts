import { describe, expect, it } from 'vitest';
import { isAppError } from './errors';
import { LIVE_TOKEN_TTL_MS, signLiveToken, verifyLiveToken } from './live-token';

const SECRET = 'a'.repeat(40);
const claims = {
  userId: '5b0c1f7e-9a43-4c1b-8d0e-2f6a7b8c9d01',
  tenantId: '0d9e8f7a-6b5c-4d3e-9f1a-2b3c4d5e6f70',
  role: 'operator' as const,
  nowMs: 1_800_000_000_000,
};

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return isAppError(error) ? `${error.code}: ${error.message}` : String(error);
  }
  return 'accepted';
};

describe('live token', () => {
  it('round-trips the claims until it expires', () => {
    const { token, expiresAt } = signLiveToken(SECRET, claims);
    expect(expiresAt).toBe(claims.nowMs + LIVE_TOKEN_TTL_MS);
    expect(verifyLiveToken(SECRET, token, claims.nowMs + 1000)).toEqual({
      v: 1,
      sub: claims.userId,
      tid: claims.tenantId,
      role: 'operator',
      exp: expiresAt,
    });
    expect(refusal(() => verifyLiveToken(SECRET, token, expiresAt))).toMatch(
      /UNAUTHENTICATED.*expired/,
    );
  });

  it('refuses another secret, a changed claim, and garbage', () => {
    const { token } = signLiveToken(SECRET, claims);
    expect(refusal(() => verifyLiveToken('b'.repeat(40), token, claims.nowMs))).toMatch(
      /signature/,
    );
    const [body, signature] = token.split('.');
    const forged = Buffer.from(
      Buffer.from(body!, 'base64url').toString().replace('"operator"', '"admin"'),
    ).toString('base64url');
    expect(refusal(() => verifyLiveToken(SECRET, `${forged}.${signature}`, claims.nowMs))).toMatch(
      /signature/,
    );
    for (const bad of [undefined, 42, '', 'x', 'a.b.c', `${body}.`, 'x'.repeat(2000)])
      expect(refusal(() => verifyLiveToken(SECRET, bad, claims.nowMs))).toMatch(/UNAUTHENTICATED/);
  });

  it('refuses well-signed claims of the wrong shape', () => {
    const { token } = signLiveToken(SECRET, { ...claims, role: 'owner' as never });
    expect(refusal(() => verifyLiveToken(SECRET, token, claims.nowMs))).toMatch(/claims/);
  });
});
