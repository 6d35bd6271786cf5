import { randomUUID } from 'node:crypto';
import type { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { tenantBindings } from '@anh/db/test-fixtures';
import type { VariableBinding } from '@anh/db/telemetry';
import { createCaller } from './root';

/** Manual readings enter the ingest path as a batch of their own, with their author. */
const testDb = useTestDatabase();
let acme: Tenant;
let rival: Tenant;
let operator: User;
let engineer: User;
let auditor: User;
let acmeVars: VariableBinding[];
let rivalVars: VariableBinding[];
const woken: string[] = [];

const callerFor = (user: User) =>
  createCaller({
    db: testDb().db,
    userId: user.id,
    wakePipeline: (tenantId) => {
      woken.push(tenantId);
      return Promise.resolve();
    },
  });

async function errorOf(promise: Promise<unknown>): Promise<TRPCError> {
  return (await promise.then(() => null).catch((e: unknown) => e)) as TRPCError;
}

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  await seedField(db, acme.id, { wells: 1 });
  await seedField(db, rival.id, { wells: 1 });
  operator = await seedUser(db);
  engineer = await seedUser(db);
  auditor = await seedUser(db);
  await seedMembership(db, acme.id, operator.id, 'operator');
  await seedMembership(db, acme.id, engineer.id, 'engineer');
  await seedMembership(db, acme.id, auditor.id, 'auditor');
  acmeVars = await tenantBindings(db, acme.id);
  rivalVars = await tenantBindings(db, rival.id);
});

describe('manual readings', () => {
  it('an operator records a tank gauging: one manual batch with its author, pipeline woken', async () => {
    const level = acmeVars.find((v) => v.code === 'tank_level')!;
    const ts = new Date(Date.now() - 3600_000).toISOString();
    const result = await callerFor(operator).readings.addManual({
      tenantSlug: acme.slug,
      kind: 'tank_gauging',
      note: 'Aforo de las 06:00',
      readings: [{ variableId: level.id, ts, value: 21.25 }],
    });
    expect(result).toMatchObject({ stored: 1, samples: 1 });
    const rows = await testDb().db.withTenantClient(
      acme.id,
      async (client) =>
        (
          await client.query<Record<string, unknown>>(
            `SELECT b.origin, b.author_id, b.manual_kind, b.note, s.value, s.variable_id
           FROM ingest_batches b JOIN samples s ON s.batch_seq = b.seq WHERE b.id = $1`,
            [result.batchId],
          )
        ).rows,
    );
    expect(rows).toEqual([
      {
        origin: 'manual',
        author_id: operator.id,
        manual_kind: 'tank_gauging',
        note: 'Aforo de las 06:00',
        value: 21.25,
        variable_id: level.id,
      },
    ]);
    expect(woken).toContain(acme.id);
  });

  it('an auditor may not enter readings', async () => {
    const error = await errorOf(
      callerFor(auditor).readings.addManual({
        tenantSlug: acme.slug,
        kind: 'lab_bsw',
        readings: [{ variableId: acmeVars[0]!.id, ts: new Date().toISOString(), value: 1 }],
      }),
    );
    expect(error.code).toBe('FORBIDDEN');
  });

  it("refuses another company's variable and a future time, storing nothing", async () => {
    const count = () =>
      testDb().db.withTenantClient(acme.id, async (c) =>
        Number(
          (await c.query<{ n: string }>('SELECT count(*) AS n FROM ingest_batches')).rows[0]!.n,
        ),
      );
    const before = await count();
    const other = await errorOf(
      callerFor(operator).readings.addManual({
        tenantSlug: acme.slug,
        kind: 'meter_ticket',
        readings: [{ variableId: rivalVars[0]!.id, ts: new Date().toISOString(), value: 1 }],
      }),
    );
    expect(other.code).toBe('BAD_REQUEST');
    expect(other.message).toMatch(/unknown variable/);
    const future = await errorOf(
      callerFor(operator).readings.addManual({
        tenantSlug: acme.slug,
        kind: 'lab_bsw',
        readings: [
          {
            variableId: acmeVars[0]!.id,
            ts: new Date(Date.now() + 3 * 86_400_000).toISOString(),
            value: 1,
          },
        ],
      }),
    );
    expect(future.code).toBe('BAD_REQUEST');
    expect(future.message).toMatch(/in the future/);
    expect(await count()).toBe(before);
  });
});

/** What the tenant holds for one batch id: its batch rows and the samples they stored. */
async function storedFor(batchId: string) {
  return testDb().db.withTenantClient(acme.id, async (client) => ({
    batches: Number(
      (
        await client.query<{ n: string }>(
          'SELECT count(*) AS n FROM ingest_batches WHERE id = $1',
          [batchId],
        )
      ).rows[0]!.n,
    ),
    samples: (
      await client.query<{ value: number; ts: Date }>(
        `SELECT s.value, s.ts FROM samples s JOIN ingest_batches b ON b.seq = s.batch_seq
          WHERE b.id = $1 ORDER BY s.ts`,
        [batchId],
      )
    ).rows,
  }));
}

describe('manual readings sent again from a phone (idempotency key)', () => {
  const hourAgo = (n: number) =>
    new Date(Math.floor(Date.now() / 60_000) * 60_000 - n * 3600_000).toISOString();

  it('a replay answers the first outcome, flagged, and stores nothing twice', async () => {
    const bsw = acmeVars.find((v) => v.code === 'tank_bsw')!;
    const key = randomUUID();
    const input = {
      tenantSlug: acme.slug,
      kind: 'lab_bsw' as const,
      note: 'Muestra del laboratorio',
      idempotencyKey: key,
      readings: [
        { variableId: bsw.id, ts: hourAgo(2), value: 0.42 },
        { variableId: bsw.id, ts: hourAgo(3), value: 0.4 },
      ],
    };
    const before = woken.length;
    const first = await callerFor(operator).readings.addManual(input);
    expect(first).toEqual({
      batchId: key,
      samples: 2,
      stored: 2,
      replay: false,
      conflicts: [],
    });
    expect(woken.length).toBe(before + 1);
    const again = await callerFor(operator).readings.addManual(input);
    expect(again).toEqual({ ...first, replay: true });
    // A replay has nothing new for the pipeline.
    expect(woken.length).toBe(before + 1);
    const held = await storedFor(key);
    expect(held.batches).toBe(1);
    expect(held.samples.map((s) => s.value)).toEqual([0.4, 0.42]);
  });

  it('two deliveries of one key at the same moment store it once', async () => {
    const level = acmeVars.find((v) => v.code === 'tank_level')!;
    const key = randomUUID();
    const input = {
      tenantSlug: acme.slug,
      kind: 'tank_gauging' as const,
      idempotencyKey: key,
      readings: [{ variableId: level.id, ts: hourAgo(5), value: 18.5 }],
    };
    const outcomes = await Promise.all([
      callerFor(operator).readings.addManual(input),
      callerFor(operator).readings.addManual(input),
    ]);
    expect(outcomes.map((o) => o.replay).sort()).toEqual([false, true]);
    expect(outcomes.map((o) => o.stored)).toEqual([1, 1]);
    const held = await storedFor(key);
    expect(held.batches).toBe(1);
    expect(held.samples.map((s) => s.value)).toEqual([18.5]);
  });

  it('a reading whose time already holds another value comes back as a conflict, on replay too', async () => {
    const level = acmeVars.find((v) => v.code === 'tank_level')!;
    const ts = hourAgo(7);
    const earlier = await callerFor(engineer).readings.addManual({
      tenantSlug: acme.slug,
      kind: 'tank_gauging',
      readings: [{ variableId: level.id, ts, value: 20 }],
    });
    expect(earlier.stored).toBe(1);
    const key = randomUUID();
    const input = {
      tenantSlug: acme.slug,
      kind: 'tank_gauging' as const,
      idempotencyKey: key,
      readings: [
        { variableId: level.id, ts, value: 20.75 },
        { variableId: level.id, ts: hourAgo(8), value: 19.5 },
      ],
    };
    const first = await callerFor(operator).readings.addManual(input);
    const conflict = {
      variableId: level.id,
      ts: new Date(ts).toISOString(),
      value: 20.75,
      storedValue: 20,
      storedOrigin: 'manual',
    };
    expect(first).toMatchObject({ samples: 2, stored: 1, replay: false, conflicts: [conflict] });
    const again = await callerFor(operator).readings.addManual(input);
    expect(again).toEqual({ ...first, replay: true });
    // The first value stays: the conflicting reading is not stored, the other one is.
    expect((await storedFor(earlier.batchId)).samples.map((s) => s.value)).toEqual([20]);
    expect((await storedFor(key)).samples.map((s) => s.value)).toEqual([19.5]);
    // The same value again is not a conflict: it is already there.
    const same = await callerFor(operator).readings.addManual({
      ...input,
      idempotencyKey: randomUUID(),
      readings: [{ variableId: level.id, ts, value: 20 }],
    });
    expect(same).toMatchObject({ stored: 0, replay: false, conflicts: [] });
  });

  it('a key reused for other readings, or by another person, is refused and stores nothing', async () => {
    const level = acmeVars.find((v) => v.code === 'tank_level')!;
    const key = randomUUID();
    const input = {
      tenantSlug: acme.slug,
      kind: 'tank_gauging' as const,
      idempotencyKey: key,
      readings: [{ variableId: level.id, ts: hourAgo(10), value: 17 }],
    };
    await callerFor(operator).readings.addManual(input);
    const otherValue = await errorOf(
      callerFor(operator).readings.addManual({
        ...input,
        readings: [{ ...input.readings[0]!, value: 17.5 }],
      }),
    );
    expect(otherValue.code).toBe('CONFLICT');
    expect(otherValue.message).toMatch(/idempotency key was already used/);
    const otherKind = await errorOf(
      callerFor(operator).readings.addManual({ ...input, kind: 'meter_ticket' }),
    );
    expect(otherKind.code).toBe('CONFLICT');
    const otherPerson = await errorOf(callerFor(engineer).readings.addManual(input));
    expect(otherPerson.code).toBe('CONFLICT');
    const held = await storedFor(key);
    expect(held.batches).toBe(1);
    expect(held.samples.map((s) => s.value)).toEqual([17]);
  });

  it('refuses a key that is not a UUID', async () => {
    const error = await errorOf(
      callerFor(operator).readings.addManual({
        tenantSlug: acme.slug,
        kind: 'lab_bsw',
        idempotencyKey: 'reading-1',
        readings: [{ variableId: acmeVars[0]!.id, ts: new Date().toISOString(), value: 1 }],
      }),
    );
    expect(error.code).toBe('BAD_REQUEST');
  });
});
