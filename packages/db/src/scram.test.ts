import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/use-test-database';
import { withConnection } from './admin';
import { scramSha256Verifier } from './scram';

const testDb = useTestDatabase();

describe('scramSha256Verifier', () => {
  it('computes exactly the verifier PostgreSQL computes for the same password and salt', async () => {
    const role = `anh_scram_${Date.now()}`;
    const stored = await withConnection(testDb().url, async (c) => {
      await c.query("SET password_encryption = 'scram-sha-256'");
      await c.query(`CREATE ROLE ${role} PASSWORD 'contraseña-de-prueba'`);
      try {
        const { rows } = await c.query<{ p: string }>(
          'SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1',
          [role],
        );
        return rows[0]!.p;
      } finally {
        await c.query(`DROP ROLE ${role}`);
      }
    });
    const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(stored)!;
    const ours = scramSha256Verifier(
      'contraseña-de-prueba',
      Buffer.from(match[2]!, 'base64'),
      Number(match[1]),
    );
    expect(ours).toBe(stored);
    expect(
      scramSha256Verifier('otra', Buffer.from(match[2]!, 'base64'), Number(match[1])),
    ).not.toBe(stored);
  });
});
