import { describe, expect, it } from 'vitest';
import { checkSameOrigin } from './csrf';

const appUrl = 'https://reporter.example.co';
const endpoint = `${appUrl}/api/trpc/account.signUp`;

function post(headers: Record<string, string>): Request {
  return new Request(endpoint, { method: 'POST', headers, body: '{}' });
}

describe('checkSameOrigin', () => {
  it('allows a request from the app origin', () => {
    expect(checkSameOrigin(post({ origin: appUrl, cookie: 'session=1' }), appUrl)).toBe(true);
    // A trailing slash or path in the configured URL does not matter, the origin does.
    expect(checkSameOrigin(post({ origin: appUrl }), `${appUrl}/`)).toBe(true);
    expect(
      checkSameOrigin(post({ origin: 'http://127.0.0.1:3107' }), 'http://127.0.0.1:3107'),
    ).toBe(true);
  });

  it('refuses a request from another origin', () => {
    for (const origin of [
      'https://evil.example',
      'https://reporter.example.co.evil.example',
      'https://sub.reporter.example.co', // same site, other origin
      'http://reporter.example.co', // other scheme
      'https://reporter.example.co:8443', // other port
    ]) {
      expect(checkSameOrigin(post({ origin, cookie: 'session=1' }), appUrl), origin).toBe(false);
    }
  });

  it("refuses the opaque origin 'null'", () => {
    expect(checkSameOrigin(post({ origin: 'null', cookie: 'session=1' }), appUrl)).toBe(false);
    expect(checkSameOrigin(post({ origin: 'null' }), appUrl)).toBe(false);
  });

  it('without Origin, follows Sec-Fetch-Site', () => {
    const cookie = 'session=1';
    expect(checkSameOrigin(post({ 'sec-fetch-site': 'cross-site', cookie }), appUrl)).toBe(false);
    expect(checkSameOrigin(post({ 'sec-fetch-site': 'same-site', cookie }), appUrl)).toBe(false);
    expect(checkSameOrigin(post({ 'sec-fetch-site': 'same-origin', cookie }), appUrl)).toBe(true);
    expect(checkSameOrigin(post({ 'sec-fetch-site': 'none', cookie }), appUrl)).toBe(true);
  });

  it('allows a non-browser client (no Origin, no fetch metadata) that sends no cookie', () => {
    expect(checkSameOrigin(post({ 'content-type': 'application/json' }), appUrl)).toBe(true);
  });

  it('refuses a cookie-bearing request with neither Origin nor fetch metadata', () => {
    expect(checkSameOrigin(post({ cookie: 'next-auth.session-token=abc' }), appUrl)).toBe(false);
  });
});
