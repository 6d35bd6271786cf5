import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from './errors';

/**
 * Credentials at rest (FTP passwords and the like): AES-256-GCM under a key from the
 * environment. The sealed form names its key (`v1.<keyId>.<iv>.<tag>.<ciphertext>`,
 * base64url), so keys can be rotated: add the new key, make it current, re-seal (or let
 * values be re-sealed as they are next saved), then retire the old one.
 */
export interface KeyRing {
  /** Id of the key new values are sealed with. */
  current: string;
  /** Key id → 32-byte key. */
  keys: ReadonlyMap<string, Buffer>;
}

/** Parses `id1:base64key1,id2:base64key2` (the first is current) into a key ring. */
export function parseKeyRing(spec: string): KeyRing {
  const keys = new Map<string, Buffer>();
  let current: string | undefined;
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [id, b64] = part.split(':');
    if (!id || !b64 || !/^[A-Za-z0-9_-]{1,32}$/.test(id))
      throw new AppError('VALIDATION', 'key ring entries look like <id>:<base64 of 32 bytes>');
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) throw new AppError('VALIDATION', `key ${id} is not 32 bytes`);
    keys.set(id, key);
    current ??= id;
  }
  if (!current) throw new AppError('VALIDATION', 'the key ring is empty');
  return { current, keys };
}

export function seal(ring: KeyRing, plaintext: string, context: string): string {
  const key = ring.keys.get(ring.current)!;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  // The context (e.g. tenant id + purpose) is authenticated: a value moved elsewhere fails.
  cipher.setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const b = (x: Buffer) => x.toString('base64url');
  return ['v1', ring.current, b(iv), b(cipher.getAuthTag()), b(ciphertext)].join('.');
}

export function open(ring: KeyRing, sealed: string, context: string): string {
  const [version, keyId, iv, tag, ciphertext] = sealed.split('.');
  if (version !== 'v1' || !keyId || !iv || !tag || ciphertext === undefined)
    throw new AppError('INTEGRITY', 'sealed value is malformed');
  const key = ring.keys.get(keyId);
  if (!key)
    throw new AppError('INTEGRITY', `sealed with key ${keyId}, which is not in the key ring`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new AppError('INTEGRITY', 'sealed value does not open (wrong key, context or tampered)');
  }
}

/** The key id a value was sealed with (to find values to re-seal after a rotation). */
export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split('.');
  return parts[0] === 'v1' && parts[1] ? parts[1] : null;
}
