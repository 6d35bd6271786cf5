import { describe, expect, it } from 'vitest';
import { createLogger } from './log';

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
    expect(entry.config).toEqual({
      url: 'redis://x',
      password: '[redacted]',
      nested: { apiKey: '[redacted]' },
    });
    expect(lines[0]).not.toContain('hunter2');
  });
});
