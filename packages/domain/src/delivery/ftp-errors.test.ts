import { describe, expect, it } from 'vitest';
import { explainFtpFailure } from './ftp-errors';

describe('explainFtpFailure', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:2999', 'refused'],
    ['getaddrinfo ENOTFOUND ftp.nowhere.invalid', 'dns'],
    ['Timeout (control socket)', 'timeout'],
    ['connect EHOSTUNREACH 10.0.0.1:21', 'unreachable'],
    ['530 Login incorrect.', 'login'],
    ['self-signed certificate', 'tls'],
    ['550 No such file or directory', 'folder'],
    ['something else entirely', 'other'],
  ])('%s → %s, with a message in both languages', (raw, reason) => {
    const explained = explainFtpFailure(raw);
    expect(explained.reason).toBe(reason);
    expect(explained.message).toMatch(/^[^/]+ \/ [^/]+$/);
  });
});
