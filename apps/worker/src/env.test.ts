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

describe('worker env: notification channels', () => {
  const sid = `AC${'a1'.repeat(16)}`;
  it('every channel is optional; links default to the local web app', () => {
    const env = readWorkerEnv({ TENANT_ROLE_SECRET: secret });
    expect(env.SMTP_URL).toBeUndefined();
    expect(env.TWILIO_ACCOUNT_SID).toBeUndefined();
    expect(env.VAPID_PUBLIC_KEY).toBeUndefined();
    expect(env.APP_URL).toBe('http://127.0.0.1:3000');
  });

  it('takes a whole channel, and refuses half of one', () => {
    const sms = {
      TENANT_ROLE_SECRET: secret,
      TWILIO_ACCOUNT_SID: sid,
      TWILIO_AUTH_TOKEN: 'f'.repeat(32),
      TWILIO_FROM: '+15005550006',
      TWILIO_API_BASE: 'http://127.0.0.1:9999',
    };
    expect(readWorkerEnv(sms)).toMatchObject({ TWILIO_FROM: '+15005550006' });
    expect(() => readWorkerEnv({ ...sms, TWILIO_AUTH_TOKEN: undefined })).toThrow(
      /SMS needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM together/,
    );
    expect(() => readWorkerEnv({ ...sms, TWILIO_ACCOUNT_SID: 'AC123' })).toThrow(/AC followed/);
    expect(() => readWorkerEnv({ ...sms, TWILIO_FROM: '3001234567' })).toThrow(/E\.164/);
    expect(() =>
      readWorkerEnv({ TENANT_ROLE_SECRET: secret, VAPID_PUBLIC_KEY: 'B'.repeat(87) }),
    ).toThrow(/Web Push needs VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY together/);
    expect(() =>
      readWorkerEnv({ TENANT_ROLE_SECRET: secret, VAPID_SUBJECT: 'http://example.co' }),
    ).toThrow(/VAPID_SUBJECT/);
  });
});
