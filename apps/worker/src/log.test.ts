import { describe, expect, it } from 'vitest';
import { createLogger } from './log';

const collect = (level: Parameters<typeof createLogger>[0] = 'info') => {
  const lines: string[] = [];
  const log = createLogger(level, { service: 'test' }, (l) => lines.push(l));
  return { lines, log, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
};

describe('logger', () => {
  it('writes one JSON line per event and masks secrets at any depth', () => {
    const lines: string[] = [];
    const log = createLogger('info', { service: 'test' }, (l) => lines.push(l)).child({
      tenant: 't1',
    });
    log.debug('hidden');
    log.info('connected', {
      config: { url: 'redis://x', password: 'hunter2', nested: { apiKey: 'k' } },
      token: 't',
    });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      message: 'connected',
      service: 'test',
      tenant: 't1',
      token: '[redacted]',
    });
    expect(Date.parse(entry.time as string)).toBeGreaterThan(0);
    expect(entry.config).toEqual({
      url: 'redis://x',
      password: '[redacted]',
      nested: { apiKey: '[redacted]' },
    });
    expect(lines[0]).not.toContain('hunter2');
  });

  it('masks credentials inside values: bearer tokens, URL passwords, error messages', () => {
    const { lines, log, entries } = collect();
    log.warn('upload refused', {
      request: { headers: { authorization: 'Bearer key1.s3cr3t-value', host: 'cloud' } },
      database: 'postgres://anh:pg-pa55word@db.internal:5432/anh',
      note: 'sent Authorization: Bearer key1.s3cr3t-value to the cloud',
      error: new Error('connect to redis://:r3dis-secret@cache:6379 failed'),
    });
    const [entry] = entries();
    expect(entry).toMatchObject({
      request: { headers: { authorization: '[redacted]', host: 'cloud' } },
      database: 'postgres://anh:[redacted]@db.internal:5432/anh',
      note: 'sent Authorization: Bearer [redacted] to the cloud',
      error: { name: 'Error', message: 'connect to redis://:[redacted]@cache:6379 failed' },
    });
    for (const secret of ['s3cr3t-value', 'pg-pa55word', 'r3dis-secret'])
      expect(lines.join('\n')).not.toContain(secret);
  });

  it('masks secrets in child bindings and honours the level', () => {
    const { lines, log, entries } = collect('warn');
    const job = log.child({ tenantId: 'a1', jobId: 'j-7', smtpPassword: 'mail-s3cret' });
    job.info('not written');
    job.error('job failed', { attempt: 2 });
    expect(lines).toHaveLength(1);
    expect(entries()[0]).toMatchObject({
      level: 'error',
      message: 'job failed',
      tenantId: 'a1',
      jobId: 'j-7',
      smtpPassword: '[redacted]',
      attempt: 2,
    });
    expect(lines[0]).not.toContain('mail-s3cret');
  });
});
