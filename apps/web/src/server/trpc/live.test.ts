import { beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { verifyLiveToken } from '@anh/domain/live-token';
import { createCaller } from './root';

const testDb = useTestDatabase();
const live = { url: 'http://127.0.0.1:3002', secret: 's'.repeat(40) };
let acme: Tenant;
let operator: User;

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  operator = await seedUser(db);
  await seedMembership(db, acme.id, operator.id, 'operator');
});

describe('live.connect', () => {
  it('issues a one-minute token naming the person, the company and the role', async () => {
    const caller = createCaller({ db: testDb().db, userId: operator.id, live });
    const before = Date.now();
    const answer = await caller.live.connect({ tenantSlug: acme.slug });
    expect(answer).toMatchObject({ url: live.url, tenantId: acme.id });
    const claims = verifyLiveToken(live.secret, answer!.token, Date.now());
    expect(claims).toMatchObject({ sub: operator.id, tid: acme.id, role: 'operator' });
    expect(claims.exp).toBeGreaterThanOrEqual(before + 60_000);
    expect(claims.exp).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(() => verifyLiveToken('t'.repeat(40), answer!.token, Date.now())).toThrow();
  });

  it('answers null when live alerts are not configured', async () => {
    const caller = createCaller({ db: testDb().db, userId: operator.id });
    expect(await caller.live.connect({ tenantSlug: acme.slug })).toBeNull();
  });
});
