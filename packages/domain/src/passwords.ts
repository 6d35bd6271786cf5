import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { z } from 'zod';
import { verifySecret } from './secrets';

/**
 * People's passwords: argon2id (OWASP's minimum profile: 19 MiB, 2 passes, 1 lane).
 * Hashes made before argon2id (scrypt, see secrets.ts) still verify, and `needsRehash`
 * tells the sign-in to upgrade them while it has the password in hand.
 */
// Algorithm is a const enum (not importable under isolatedModules): 2 is Argon2id.
const ARGON2ID = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const passwordSchema = z
  .string()
  .min(12, 'La contraseña debe tener al menos 12 caracteres / at least 12 characters')
  .max(200, 'La contraseña es demasiado larga / too long');

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID);
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2')) {
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  }
  if (stored.startsWith('scrypt$')) return verifySecret(password, stored);
  return false;
}

export function needsRehash(stored: string): boolean {
  return !stored.startsWith('$argon2id$v=19$m=19456,t=2,p=1$');
}
