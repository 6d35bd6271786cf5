import { describe, expect, it } from 'vitest';
import { webEnv } from './env';

describe('web env', () => {
  it('requires both secrets and fills local defaults', () => {
    const secret = 's'.repeat(32);
    expect(webEnv({ TENANT_ROLE_SECRET: secret, NEXTAUTH_SECRET: secret })).toMatchObject({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/anh',
      NEXTAUTH_URL: 'http://127.0.0.1:3000',
    });
    expect(() => webEnv({ TENANT_ROLE_SECRET: secret })).toThrow(/NEXTAUTH_SECRET is required/);
  });
});
