import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditHash } from '@anh/domain/audit';
import { useTestDatabase } from '../test/use-test-database';
import { withConnection } from './admin';
import { appendTenantAudit } from './audit-store';
import { seedTenant } from './seed';
import { anchorTenantAudit, verifyTenantAudit, type Tenant } from './tenants';

const testDb = useTestDatabase();
let tenant: Tenant;

/** Tampering as a database superuser would: triggers off for this session only. */
async function tamper(statements: string[]): Promise<void> {
  await withConnection(testDb().url, async (c) => {
    await c.query("SET session_replication_role = 'replica'");
    for (const statement of statements) await c.query(statement);
  });
}

beforeEach(async () => {
  const { db } = testDb();
  tenant = await seedTenant(db);
  for (let i = 1; i <= 4; i++) {
    await db.withTenant(tenant.id, (tx) =>
      appendTenantAudit(tx, {
        actor: 'user:ingeniera',
        action: 'variable.corrected',
        entity: 'variable',
        entityId: `v-${i}`,
        data: { from: i, to: i + 0.5, justification: `Calibración ${i}` },
      }),
    );
  }
});

const log = () => `"${tenant.schemaName}".audit_log`;

describe('tenant audit chain', () => {
  it('verifies an untouched chain, including concurrent appends', async () => {
    const { db } = testDb();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        db.withTenant(tenant.id, (tx) =>
          appendTenantAudit(tx, {
            actor: 'system:test',
            action: 'x',
            entity: 'y',
            entityId: String(i),
            data: { i },
          }),
        ),
      ),
    );
    const result = await verifyTenantAudit(db, tenant.id);
    expect(result).toMatchObject({ ok: true, count: 13, problems: [] });
  });

  it('is append-only for the tenant role', async () => {
    const { db } = testDb();
    for (const statement of [
      "UPDATE audit_log SET actor = 'x'",
      'DELETE FROM audit_log',
      'TRUNCATE audit_log',
    ]) {
      const error = await db
        .withTenant(tenant.id, (tx) => tx.execute(sql.raw(statement)))
        .catch((e: { cause?: { code?: string } }) => e.cause?.code);
      expect(error).toBe('42501');
    }
  });

  it('detects an edited row', async () => {
    await tamper([`UPDATE ${log()} SET data = '{"from": 3, "to": 99}' WHERE seq = 3`]);
    const result = await verifyTenantAudit(testDb().db, tenant.id);
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual({ kind: 'hash_mismatch', seq: 3 });
  });

  it('detects a row inserted in the middle, even one with a correctly computed hash', async () => {
    const { rows } = await withConnection(testDb().url, (c) =>
      c.query<{ hash: string }>(`SELECT hash FROM ${log()} WHERE seq = 2`),
    );
    const prevHash = rows[0]!.hash;
    const forged = {
      seq: 3,
      at: new Date().toISOString(),
      actor: 'user:intruso',
      action: 'x',
      entity: 'y',
      entityId: null,
      data: {},
    };
    await tamper([
      `UPDATE ${log()} SET seq = seq + 100 WHERE seq >= 3`,
      `UPDATE ${log()} SET seq = seq - 99 WHERE seq >= 100`,
      `INSERT INTO ${log()} (seq, at, actor, action, entity, entity_id, data, prev_hash, hash)
       VALUES (3, '${forged.at}', 'user:intruso', 'x', 'y', NULL, '{}', '${prevHash}', '${auditHash(prevHash, forged)}')`,
    ]);
    const result = await verifyTenantAudit(testDb().db, tenant.id);
    expect(result.ok).toBe(false);
    expect(
      result.problems.some((p) => p.kind === 'broken_link' || p.kind === 'hash_mismatch'),
    ).toBe(true);
  });

  it('detects a deleted row in the middle', async () => {
    await tamper([`DELETE FROM ${log()} WHERE seq = 2`]);
    const result = await verifyTenantAudit(testDb().db, tenant.id);
    expect(result.problems).toContainEqual({ kind: 'gap', seq: 3, expectedSeq: 2 });
    expect(result.problems).toContainEqual({ kind: 'broken_link', seq: 3 });
  });

  it('detects deleted newest rows through the anchor kept in the control schema', async () => {
    const { db } = testDb();
    const head = await anchorTenantAudit(db, tenant.id);
    expect(head?.seq).toBe(5);
    await tamper([`DELETE FROM ${log()} WHERE seq >= 4`]);
    const result = await verifyTenantAudit(db, tenant.id);
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual({ kind: 'anchor_missing', anchorSeq: 5, lastSeq: 3 });
  });
});
