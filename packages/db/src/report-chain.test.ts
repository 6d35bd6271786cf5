import { beforeAll, expect, it } from 'vitest';
import { buildTimeOf } from '@anh/domain/delivery-schedule';
import { useTestDatabase } from '../test/use-test-database';
import { withConnection } from './admin';
import { verifyReportChains } from './report-chain';
import { amendReport, buildDayReports } from './reports';
import { seedMembership, seedTenant, seedUser } from './seed';
import { seedProductionHistory } from './seed-history';
import type { Tenant } from './tenants';

/**
 * verifyReportChains against stored reports, then against the same reports changed behind
 * the application's back (as a superuser can, with the immutability trigger bypassed):
 * each kind of change is found, on the report it was made to.
 */
const testDb = useTestDatabase();
const NOW = Date.UTC(2026, 10, 27, 20, 37, 12);
const DAYS = ['2026-11-25', '2026-11-26'];
let acme: Tenant;
let rival: Tenant;

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  const engineer = await seedUser(db);
  await seedMembership(db, acme.id, engineer.id, 'engineer');
  const site = await seedProductionHistory(db, acme.id, { wells: 1, days: 2, nowMs: NOW });
  await seedProductionHistory(db, rival.id, { wells: 1, days: 1, nowMs: NOW, seed: 2 });
  for (const day of DAYS) await buildDayReports(db, acme.id, day, { nowMs: buildTimeOf(day) });
  await amendReport(db, acme.id, {
    day: DAYS[1]!,
    siteId: site.siteId,
    reason: 'Corrección de la boleta 4411 del LACT',
    userId: engineer.id,
    nowMs: buildTimeOf(DAYS[1]!) + 3_600_000,
  });
  await buildDayReports(db, rival.id, DAYS[1]!, { nowMs: buildTimeOf(DAYS[1]!) });
}, 60_000);

const verify = (tenant: Tenant) => testDb().db.withTenantClient(tenant.id, verifyReportChains);

/** Changes a stored report as a superuser would, past the immutability trigger. */
async function tamper(tenant: Tenant, sql: string, params: unknown[]): Promise<void> {
  await withConnection(testDb().url, async (client) => {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(`SET LOCAL search_path TO "${tenant.schemaName}"`);
    await client.query(sql, params);
    await client.query('COMMIT');
  });
}

const reportOf = (seq: number) =>
  withConnection(testDb().url, async (client) => {
    const { rows } = await client.query<{ id: string; content: string; sha256: string }>(
      `SELECT id, content, sha256 FROM "${acme.schemaName}".reports WHERE chain_seq = $1`,
      [seq],
    );
    return rows[0]!;
  });

it('verifies the chain of each field, one tenant at a time', async () => {
  const result = await verify(acme);
  expect(result).toMatchObject({ ok: true, reports: 3, problems: [] });
  expect(result.sites).toHaveLength(1);
  expect(result.sites[0]!.head).toBe((await reportOf(3)).sha256);
  expect(await verify(rival)).toMatchObject({ ok: true, reports: 1 });
});

it('finds a changed value, a re-formatted file and a broken link', async () => {
  const second = await reportOf(2);
  // A value changed inside the file: the bytes no longer give the stored hash.
  const changed = second.content.replace('"family":8,', '"family":9,');
  expect(changed).not.toBe(second.content);
  await tamper(acme, 'UPDATE reports SET content = $2 WHERE id = $1', [second.id, changed]);
  let result = await verify(acme);
  expect(result.ok).toBe(false);
  expect(result.problems.map((p) => [p.chainSeq, p.kind])).toEqual([[2, 'hash_mismatch']]);

  // The same data, pretty-printed: the hash of the parsed report still matches, but the
  // stored file is not the canonical bytes that were delivered.
  await tamper(acme, 'UPDATE reports SET content = $2 WHERE id = $1', [
    second.id,
    JSON.stringify(JSON.parse(second.content), null, 1),
  ]);
  result = await verify(acme);
  expect(result.problems.map((p) => [p.chainSeq, p.kind])).toEqual([[2, 'not_canonical']]);
  await tamper(acme, 'UPDATE reports SET content = $2 WHERE id = $1', [second.id, second.content]);

  // The amendment pointed at another predecessor.
  const third = await reportOf(3);
  await tamper(acme, 'UPDATE reports SET previous_sha256 = $2 WHERE id = $1', [
    third.id,
    'f'.repeat(64),
  ]);
  result = await verify(acme);
  expect(result.problems.map((p) => [p.chainSeq, p.kind])).toEqual([
    [3, 'broken_link'],
    [3, 'stated_link_mismatch'],
  ]);
  // The other tenant's chain is untouched and not read here.
  expect(await verify(rival)).toMatchObject({ ok: true, reports: 1 });
});
