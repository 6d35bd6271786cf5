import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../errors';
import { uploadBatchSchema } from './upload';
import { decompressBody, DEFAULT_BODY_LIMITS, parseUploadBody } from './upload-body';

const header = {
  contract: 1,
  batchId: '7d1f0c36-8a5e-4b8e-9a51-0e6f2a3b4c5d',
  connectorId: '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
  sequence: 4,
  createdAt: '2026-11-27T15:00:05.120Z',
};
const good = {
  binding: 'v1',
  ts: '2026-11-27T15:00:00.000Z',
  value: 1.5,
  quality: { status: 'good', code: 0 },
};

// The fast path for common samples must agree with the zod schema on every input.
const variants: Array<[string, unknown]> = [
  ['the common shape', good],
  ['second precision', { ...good, ts: '2026-11-27T15:00:00Z' }],
  ['an offset', { ...good, ts: '2026-11-27T10:00:00.000-05:00' }],
  ['a null value', { ...good, value: null }],
  ['no code', { ...good, quality: { status: 'bad' } }],
  ['an impossible date', { ...good, ts: '2026-02-30T00:00:00.000Z' }],
  ['a string value', { ...good, value: '1.5' }],
  ['an extra key', { ...good, unit: 'psi' }],
  ['an extra quality key', { ...good, quality: { status: 'good', why: 1 } }],
  ['a code too large', { ...good, quality: { status: 'good', code: 2 ** 32 } }],
  ['a fractional code', { ...good, quality: { status: 'good', code: 1.5 } }],
  ['an unknown status', { ...good, quality: { status: 'fine' } }],
  ['an empty binding', { ...good, binding: '' }],
  ['a leap day', { ...good, ts: '2028-02-29T00:00:00.000Z' }],
  ['a leap day in a common year', { ...good, ts: '2026-02-29T00:00:00.000Z' }],
  ['hour 24', { ...good, ts: '2026-11-27T24:00:00.000Z' }],
  ['a lowercase z', { ...good, ts: '2026-11-27T15:00:00.000z' }],
  ['no quality', { binding: 'v1', ts: good.ts, value: 1, extra: 1 }],
  ['microseconds', { ...good, ts: '2026-11-27T15:00:00.000001Z' }],
];

describe('parseUploadBody', () => {
  it.each(variants)('agrees with the contract schema on %s', (_, sample) => {
    const batch = { ...header, samples: [good, sample] };
    const expected = uploadBatchSchema.safeParse(batch).success;
    const actual = (() => {
      try {
        return parseUploadBody(Buffer.from(JSON.stringify(batch)), 'json').batch;
      } catch (error) {
        if (isAppError(error) && error.code === 'VALIDATION') return null;
        throw error;
      }
    })();
    expect(actual !== null).toBe(expected);
    if (actual) expect(actual).toEqual(uploadBatchSchema.parse(batch));
  });

  it('gives a re-sent batch (new createdAt) the same digest, and other content another', () => {
    const body = (b: object) => Buffer.from(JSON.stringify(b));
    const first = parseUploadBody(body({ ...header, samples: [good] }), 'json');
    const resent = parseUploadBody(
      body({ ...header, createdAt: '2026-11-27T15:09:00.000Z', samples: [good] }),
      'json',
    );
    const other = parseUploadBody(body({ ...header, samples: [{ ...good, value: 2 }] }), 'json');
    expect(resent.digest).toBe(first.digest);
    expect(other.digest).not.toBe(first.digest);
  });

  it('stops inflating at the limit', () => {
    const bomb = gzipSync(Buffer.alloc(1024 * 1024));
    expect(() =>
      decompressBody(bomb, 'gzip', { maxBodyBytes: 1e6, maxDecodedBytes: 1000 }),
    ).toThrow(/decompressed body exceeds 1000 bytes/);
    expect(decompressBody(bomb, 'gzip', DEFAULT_BODY_LIMITS).length).toBe(1024 * 1024);
  });
});
