import { createHash } from 'node:crypto';
import { authenticateConnector, type ConnectorIdentity, type Database } from '@anh/db';

/**
 * Verifying a connector secret costs one scrypt (tens of milliseconds, on purpose). A
 * connector sends a batch every few seconds, so a verified token is remembered for a
 * minute, keyed by its SHA-256 (the token itself is never kept). A revoked credential
 * therefore stops working within a minute.
 */
const TTL_MS = 60_000;

export class CredentialCache {
  private readonly entries = new Map<string, { identity: ConnectorIdentity; until: number }>();

  constructor(private readonly ttlMs = TTL_MS) {}

  async authenticate(db: Database, token: string, nowMs: number): Promise<ConnectorIdentity> {
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = this.entries.get(key);
    if (hit && hit.until > nowMs) return hit.identity;
    const identity = await authenticateConnector(db, token);
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(key, { identity, until: nowMs + this.ttlMs });
    return identity;
  }
}
