import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/**
 * A SCRAM-SHA-256 verifier in the form PostgreSQL stores (RFC 5802, RFC 7677). Sending
 * `ALTER ROLE … PASSWORD '<verifier>'` sets a password without the password itself ever
 * reaching the server, its statement log or pg_stat_activity.
 */
export function scramSha256Verifier(
  password: string,
  salt: Buffer = randomBytes(16),
  iterations = 4096,
): string {
  const saltedPassword = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * The password of a tenant's PostgreSQL role, derived from the platform secret. It is
 * never stored: whoever holds TENANT_ROLE_SECRET can derive it, nobody else can.
 */
export function tenantRolePassword(secret: string, roleName: string): string {
  return createHmac('sha256', secret).update(`tenant-role:${roleName}`).digest('base64url');
}
