import { describe, expect, it } from 'vitest';
import { readWorkerEnv } from './env';

const secret = 'x'.repeat(32);

describe('worker env', () => {
  it('fills local defaults', () => {
    const env = readWorkerEnv({ TENANT_ROLE_SECRET: secret });
    expect(env).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      WORKER_HEALTH_PORT: 3001,
      QUEUE_PREFIX: 'anh',
    });
  });

  it('refuses a missing or short tenant role secret, and a bad port', () => {
    expect(() => readWorkerEnv({})).toThrow(/TENANT_ROLE_SECRET is required/);
    expect(() => readWorkerEnv({ TENANT_ROLE_SECRET: 'short' })).toThrow();
    expect(() =>
      readWorkerEnv({ TENANT_ROLE_SECRET: secret, WORKER_HEALTH_PORT: '70000' }),
    ).toThrow();
  });
});
