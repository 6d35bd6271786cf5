import { describe, expect, it } from 'vitest';
import { generateToken, hashSecret, sha256Hex, verifySecret } from './secrets';

describe('secret hashing', () => {
  it('verifies the right secret and refuses a wrong one', async () => {
    const stored = await hashSecret('clave-de-campo-2026');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(stored).not.toContain('clave-de-campo-2026');
    expect(await verifySecret('clave-de-campo-2026', stored)).toBe(true);
    expect(await verifySecret('clave-de-campo-2027', stored)).toBe(false);
    expect(await verifySecret('clave-de-campo-2026', 'garbage')).toBe(false);
  });

  it('salts: the same secret hashes differently each time', async () => {
    expect(await hashSecret('x')).not.toBe(await hashSecret('x'));
  });

  it('makes url-safe tokens and hex digests', () => {
    expect(generateToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
