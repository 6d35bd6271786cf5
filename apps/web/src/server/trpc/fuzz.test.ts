import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { parseKeyRing } from '@anh/domain/secret-box';
import { PERMISSIONS, type TenantProcedureName } from './permissions';
import { createCaller } from './root';

/**
 * Input fuzzing: every procedure, called by a member allowed to call it, with a valid
 * input whose fields are replaced one at a time by arbitrary values (and with arbitrary
 * whole inputs). Every failure must be a designed tRPC error, never INTERNAL_SERVER_ERROR.
 * The delivery target's host is never fuzzed into anything but 127.0.0.1: no traffic leaves.
 */
const testDb = useTestDatabase();
let acme: Tenant;
let admin: User;

type Input = Record<string, unknown>;
const NO_ID = '00000000-0000-4000-8000-000000000000';
const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);

/** A valid input per procedure (tenantSlug added at call time). */
type PublicProcedureName =
  | 'account.signUp'
  | 'account.verifyEmail'
  | 'account.requestPasswordReset'
  | 'account.resetPassword';

const VALID: Record<TenantProcedureName | PublicProcedureName, Input> = {
  'field.overview': {},
  'readings.addManual': {
    kind: 'tank_gauging',
    note: 'aforo',
    readings: [{ variableId: NO_ID, ts: '2026-11-27T10:00:00.000Z', value: 1 }],
  },
  'delivery.settings': {},
  'delivery.saveSettings': {
    settings: { host: '127.0.0.1', port: 2121, username: 'u', password: 'p', remoteDir: '/x' },
  },
  'delivery.testConnection': {},
  'delivery.reports': { limit: 10 },
  'delivery.amend': { day: '2026-01-01', siteId: NO_ID, reason: 'una razón suficiente' },
  'connectors.list': {},
  'connectors.createEnrollmentCode': { connectorName: 'PLC fuzz' },
  'connectors.revoke': { connectorId: NO_ID },
  'account.verifyEmail': { token: 'x'.repeat(43) },
  'account.requestPasswordReset': { email: 'nadie@example.com' },
  'account.resetPassword': { token: 'y'.repeat(43), password: 'una-clave-larga-de-verdad' },
  'account.signUp': {
    name: 'Ana',
    email: 'ana@example.com',
    password: 'una-clave-larga-de-verdad',
    company: { legalName: 'Fuzz S.A.S.', nit: '900.000.001-1', anhOperatorCode: 'FUZZ1' },
  },
};

// Never fuzzed: testConnection opens a connection to the saved host (kept at 127.0.0.1).
const FUZZED = (Object.keys(VALID) as Array<keyof typeof VALID>).filter(
  (name) => name !== 'delivery.testConnection',
);

function call(name: keyof typeof VALID, input: unknown): Promise<unknown> {
  const caller = createCaller({
    db: testDb().db,
    userId: admin.id,
    clientAddress: `fuzz-${Math.random()}`,
    ring,
  });
  const [router, procedure] = name.split('.') as [string, string];
  const fn = (
    caller as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>
  )[router]![procedure]!;
  const withSlug =
    name.startsWith('account.') ||
    typeof input !== 'object' ||
    input === null ||
    Array.isArray(input)
      ? input
      : { tenantSlug: acme.slug, ...input };
  return fn(withSlug);
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    return error instanceof TRPCError ? error.code : `untyped: ${String(error)}`;
  }
}

/** Replaces one (possibly nested) field of a valid input with an arbitrary value. */
function mutated(valid: Input): fc.Arbitrary<Input> {
  const paths: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    if (value && typeof value === 'object' && !Array.isArray(value))
      for (const [k, v] of Object.entries(value)) {
        paths.push([...path, k]);
        walk(v, [...path, k]);
      }
  };
  walk(valid, []);
  if (paths.length === 0) return fc.constant(valid);
  return fc.tuple(fc.constantFrom(...paths), fc.anything({ maxDepth: 2 })).map(([path, value]) => {
    const copy = structuredClone(valid);
    let node = copy as Record<string, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = path.at(-1)!;
    node[last] = last === 'host' ? '127.0.0.1' : value;
    return copy;
  });
}

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  await seedField(db, acme.id, { wells: 1 });
  admin = await seedUser(db);
  await seedMembership(db, acme.id, admin.id, 'admin');
});

describe('input fuzzing of every procedure', () => {
  it('covers every tenant procedure of the permission matrix', () => {
    for (const name of Object.keys(PERMISSIONS)) expect(VALID).toHaveProperty([name]);
  });

  it.each(FUZZED)('%s: arbitrary inputs give designed errors, never a 500', async (name) => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(mutated(VALID[name]), fc.anything({ maxDepth: 2 })),
        async (input) => {
          const code = await outcome(call(name, input));
          expect(code).not.toMatch(/^untyped/);
          expect(code).not.toBe('INTERNAL_SERVER_ERROR');
        },
      ),
      { numRuns: 40 },
    );
  });
});
