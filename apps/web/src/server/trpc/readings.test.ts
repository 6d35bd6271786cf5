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
  auditor = await seedUser(db);
  await seedMembership(db, acme.id, operator.id, 'operator');
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
