import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { ACCESS_CACHE_MS, ShortMemo } from './access-cache';
import { createCaller } from './trpc/root';

describe('ShortMemo', () => {
  it('remembers for its time only, and never what `keep` refuses', async () => {
    let now = 0;
    const memo = new ShortMemo<boolean>(1000, () => now);
    let loads = 0;
    const load = (value: boolean) => () => {
      loads++;
      return Promise.resolve(value);
    };
    expect(await memo.get('a', load(true), (v) => v)).toBe(true);
    now = 999;
    expect(await memo.get('a', load(false), (v) => v)).toBe(true);
    now = 1000;
    expect(await memo.get('a', load(false), (v) => v)).toBe(false);
    expect(await memo.get('a', load(true), (v) => v)).toBe(true); // false was not kept
    expect(loads).toBe(3);
    memo.clear();
    expect(await memo.get('a', load(false), (v) => v)).toBe(false);
  });
});

describe('membership checks through the cache', () => {
  const testDb = useTestDatabase();
  let acme: Tenant;
  let admin: User;
  let engineer: User;
  const caller = (user: User) => createCaller({ db: testDb().db, userId: user.id });
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'OK',
      (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
    );

  beforeAll(async () => {
    const { db } = testDb();
    acme = await seedTenant(db);
    admin = await seedUser(db);
    engineer = await seedUser(db);
    await seedMembership(db, acme.id, admin.id, 'admin');
    await seedMembership(db, acme.id, engineer.id, 'engineer');
  });

  it('a change made here applies at once; one made elsewhere within ACCESS_CACHE_MS', async () => {
    const tenantSlug = acme.slug;
    // The role change (a mutation here) is seen by the very next request: auditors may not
    // register connectors.
    expect(await code(caller(engineer).config.variables({ tenantSlug }))).toBe('OK');
    await caller(admin).members.changeRole({ tenantSlug, userId: engineer.id, role: 'auditor' });
    expect(await code(caller(engineer).connectors.register({ tenantSlug, name: 'PLC' }))).toBe(
      'FORBIDDEN',
    );

    // Another process (here: SQL straight to the database) removes the membership.
    expect(await code(caller(engineer).config.variables({ tenantSlug }))).toBe('OK');
    await testDb().db.control.execute(
      sql`DELETE FROM control.memberships WHERE user_id = ${engineer.id} AND tenant_id = ${acme.id}`,
    );
    expect(await code(caller(engineer).config.variables({ tenantSlug }))).toBe('OK'); // remembered
    await new Promise((resolve) => setTimeout(resolve, ACCESS_CACHE_MS + 100));
    expect(await code(caller(engineer).config.variables({ tenantSlug }))).toBe('NOT_FOUND');
  });
});
