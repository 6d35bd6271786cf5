import { describe, expect, it } from 'vitest';
import { notificationOptions, parsePushPayload, safePath } from './push';

const ORIGIN = 'https://campo.example.co';

describe('Web Push payloads', () => {
  it('reads the JSON the server sends, keeping only a path of this app', () => {
    const payload = parsePushPayload(
      {
        title: 'Alerta crítica en W-001',
        body: 'Presión de cabeza fuera de rango',
        url: '/t/acme/campo?alerta=1',
        tag: 'alert:1234',
        severity: 'critical',
      },
      ORIGIN,
    );
    expect(payload).toEqual({
      title: 'Alerta crítica en W-001',
      body: 'Presión de cabeza fuera de rango',
      url: '/t/acme/campo?alerta=1',
      tag: 'alert:1234',
      severity: 'critical',
    });
    expect(notificationOptions(payload)).toMatchObject({
      tag: 'alert:1234',
      renotify: true,
      requireInteraction: true,
      data: { url: '/t/acme/campo?alerta=1', severity: 'critical' },
    });
  });

  it('never leads off the app: other origins and odd schemes open the start page', () => {
    expect(safePath('https://evil.example/phish', ORIGIN)).toBe('/');
    expect(safePath('//evil.example/x', ORIGIN)).toBe('/');
    expect(safePath('javascript:alert(1)', ORIGIN)).toBe('/');
    expect(safePath(`${ORIGIN}/t/acme#x`, ORIGIN)).toBe('/t/acme#x');
    expect(safePath(42, ORIGIN)).toBe('/');
  });

  it('shows something sensible for a malformed message rather than nothing', () => {
    expect(parsePushPayload('not json', ORIGIN)).toEqual({
      title: 'ANH Smart Reporter',
      body: 'not json',
      url: '/',
      tag: null,
      severity: 'info',
    });
    const odd = parsePushPayload({ title: '  ', severity: 'panic', body: 'x'.repeat(900) }, ORIGIN);
    expect(odd.title).toBe('ANH Smart Reporter');
    expect(odd.severity).toBe('info');
    expect(odd.body).toHaveLength(500);
    const options = notificationOptions(odd);
    expect(options.requireInteraction).toBe(false);
    expect('tag' in options).toBe(false);
  });
});
