import { TRPCError } from '@trpc/server';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { ACCESS_CACHE_MS, ShortMemo } from './access-cache';
import { createCaller } from './trpc/root';

describe('ShortMemo', () => {
  const counting = () => {
    const calls = { n: 0 };
    const load =
      <T>(value: T) =>
      () => {
        calls.n++;
        return Promise.resolve(value);
      };
    return { calls, load };
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('remembers for its time only, and never what `keep` refuses', async () => {
    let now = 0;
    const memo = new ShortMemo<boolean>(1000, () => now);
    const { calls, load } = counting();
    expect(await memo.get('a', load(true), (v) => v)).toBe(true);
    now = 400;
    expect(await memo.get('a', load(false), (v) => v)).toBe(true); // young: not looked up
    now = 1000;
    expect(await memo.get('a', load(false), (v) => v)).toBe(false); // expired: waits
    expect(await memo.get('a', load(true), (v) => v)).toBe(true); // false was not kept
    expect(calls.n).toBe(3);
    memo.clear();
    expect(await memo.get('a', load(false), (v) => v)).toBe(false);
  });

  it('past half its time serves the answer and refreshes it in the background', async () => {
    let now = 0;
    const memo = new ShortMemo<string>(1000, () => now);
    const { calls, load } = counting();
    await memo.get('a', load('v1'));
    now = 600;
    let release: () => void = () => undefined;
    const slowV2 = () => {
      calls.n++;
      return new Promise<string>((resolve) => (release = () => resolve('v2')));
    };
    expect(await memo.get('a', slowV2)).toBe('v1'); // served at once…
    expect(await memo.get('a', load('v3'))).toBe('v1'); // …one refresh at a time
    expect(calls.n).toBe(2);
    release();
    await settle();
    now = 1500; // v2's lookup started at 600: age 900, served, refreshed ahead
    expect(await memo.get('a', load('v4'))).toBe('v2');
    expect(calls.n).toBe(3);
    await settle();
    now = 2100; // v4 is from 1500: a refresh starts and hangs
    const hanging = () => {
      calls.n++;
      return new Promise<string>((resolve) => (release = () => resolve('v6')));
    };
    expect(await memo.get('a', hanging)).toBe('v4');
    now = 2500; // v4 is now 1000 old: never served, the request waits for the lookup running
    const waited = memo.get('a', load('v7'));
    release();
    expect(await waited).toBe('v6');
    expect(calls.n).toBe(4);
  });

  it('a revocation found by a background refresh is not served again', async () => {
    let now = 0;
    const memo = new ShortMemo<boolean>(1000, () => now);
    const { load } = counting();
    await memo.get('a', load(true), (v) => v);
    now = 700;
    expect(await memo.get('a', load(false), (v) => v)).toBe(true); // served; refresh says no
    await settle();
    let asked = false;
    const ask = () => {
      asked = true;
      return Promise.resolve(false);
    };
    expect(await memo.get('a', ask, (v) => v)).toBe(false);
    expect(asked).toBe(true);
  });

  it('concurrent requests share one lookup; after clear() an older lookup stores nothing', async () => {
    const memo = new ShortMemo<number>(1000, () => 0);
    let release: (n: number) => void = () => undefined;
    let calls = 0;
    const slow = () => {
      calls++;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const answers = Promise.all(Array.from({ length: 10 }, () => memo.get('a', slow)));
    expect(calls).toBe(1);
    release(1);
    expect(await answers).toEqual(Array(10).fill(1));

    memo.clear();
    const before = memo.get('b', slow);
    memo.clear(); // e.g. a mutation while the lookup was running
    release(2);
    expect(await before).toBe(2);
    const after = memo.get('b', () => Promise.resolve(3));
    expect(await after).toBe(3); // the pre-clear answer was not remembered
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
