import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { TRPCError } from '@trpc/server';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantTables, type Tenant } from '@anh/db';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { nitCheckDigit } from '@anh/domain/nit';
import { parseKeyRing } from '@anh/domain/secret-box';
import { MEMBER_ROLES, slugSchema, type MemberRole } from '@anh/domain/tenancy';
import {
  arbitraryFor,
  invalidFor,
  mergedInputSchema,
  type ArbitraryOptions,
  type Schema,
} from '../../../test/zod-arbitrary';
import { protectedProcedure } from './init';
import { PERMISSIONS } from './permissions';
import { appRouter, createCaller } from './root';

/**
 * Input fuzzing of every procedure of the app router, found at run time (procedures added
 * later are fuzzed too). Inputs are derived from each procedure's own zod input parsers:
 * mostly valid ones, and valid ones broken in one place (or hostile altogether). Each call
 * is made by someone allowed to make it; every failure must be a designed tRPC error,
 * never INTERNAL_SERVER_ERROR.
 *
 * No traffic leaves this machine: procedures that connect to a saved host (testConnection)
 * are never called, and every input field named `host` is forced to 127.0.0.1.
 */
const testDb = useTestDatabase();
const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);

/** Runs per procedure and kind of input (FUZZ_RUNS=400 to fuzz longer, by hand). */
const VALID_RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const INVALID_RUNS = Number(process.env.FUZZ_RUNS ?? 40);

/** Routers about the signed-in person, not a tenant: any signed-in user may call them. */
const USER_SCOPED_ROUTERS = ['me'];

/** Never called: they open a connection to a host saved in the tenant's settings. */
const neverFuzzed = (path: string) => /testConnection$/i.test(path);

/**
 * INTERNAL_SERVER_ERRORs found by this fuzzing, reported and not yet fixed (the routers and
 * the database layer are not this file's to change). An entry tolerates only its cause, in
 * the procedures it names; remove it with the fix, and the fuzzing checks the fix.
 */
const KNOWN_INTERNAL_ERRORS: Array<{
  cause: RegExp;
  procedures: readonly string[] | 'any';
  bug: string;
}> = [
  // Found and fixed: NUL characters and lone surrogates (refused by the storableText
  // middleware in init.ts), year 0000 in delivery.amend (refused by its schema).
];

const isKnown = (path: string, cause: string) =>
  KNOWN_INTERNAL_ERRORS.some(
    (known) =>
      (known.procedures === 'any' || known.procedures.includes(path)) && known.cause.test(cause),
  );

// ---------------------------------------------------------------------------------------
// The procedures, as the router holds them

interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription';
  inputs: unknown[];
  middlewares: unknown[];
}
interface RouterDef {
  procedures: Record<string, { _def: ProcedureDef }>;
  lazy: Record<string, { load(): Promise<void> }>;
}
const routerDef = appRouter._def as unknown as RouterDef;

// Lazy sub-routers add their procedures when loaded: load them all before listing.
for (let round = 0; round < 10 && Object.keys(routerDef.lazy).length > 0; round++)
  await Promise.all(Object.values(routerDef.lazy).map((lazy) => lazy.load()));

const PROCEDURES = Object.keys(routerDef.procedures).sort();
const FUZZED = PROCEDURES.filter((path) => !neverFuzzed(path));
const NEVER = PROCEDURES.filter(neverFuzzed);

const sessionMiddlewares = (protectedProcedure as unknown as { _def: ProcedureDef })._def
  .middlewares;

/** Built on protectedProcedure (its middlewares come first): needs a signed-in user. */
function needsSession(def: ProcedureDef): boolean {
  return sessionMiddlewares.every((middleware, i) => def.middlewares[i] === middleware);
}

/** Takes a `tenantSlug`: goes through the tenant gate (tenantProcedure). */
function tenantScoped(def: ProcedureDef): boolean {
  return def.inputs.some((input) => {
    const shape = (input as Schema | null)?._zod?.def as { shape?: object } | undefined;
    return shape?.shape !== undefined && Object.hasOwn(shape.shape, 'tenantSlug');
  });
}

type Access =
  { kind: 'public' } | { kind: 'signed-in' } | { kind: 'tenant'; roles: readonly MemberRole[] };

/** Who may call `path`, or an error that says what is missing. */
function accessOf(path: string): Access {
  const def = routerDef.procedures[path]!._def;
  const permissions = PERMISSIONS as Record<string, readonly MemberRole[]>;
  if (!needsSession(def)) return { kind: 'public' };
  if (Object.hasOwn(permissions, path)) {
    if (!tenantScoped(def))
      throw new Error(
        `${path} is in PERMISSIONS but takes no tenantSlug: it is not behind the tenant gate (use tenantProcedure('${path}'))`,
      );
    return { kind: 'tenant', roles: permissions[path]! };
  }
  if (tenantScoped(def))
    throw new Error(
      `${path} is a tenant procedure missing from PERMISSIONS (permissions.ts): add '${path}' with the roles that may call it, and build it with tenantProcedure('${path}')`,
    );
  if (USER_SCOPED_ROUTERS.includes(path.split('.')[0]!)) return { kind: 'signed-in' };
  throw new Error(
    `${path} needs a session but is neither public nor in PERMISSIONS (permissions.ts): add it there with the roles that may call it (a procedure about the signed-in person, not a tenant, belongs in a router of USER_SCOPED_ROUTERS: ${USER_SCOPED_ROUTERS.join(', ')})`,
  );
}

// ---------------------------------------------------------------------------------------
// The people and the data they call with

let acme: Tenant;
/** One member of acme per role. */
const members = {} as Record<MemberRole, User>;
/** A signed-in person for the user-scoped procedures (their state changes: not a member above). */
let person: User;
let siteIds: string[] = [];
let pointIds: string[] = [];
let variableIds: string[] = [];
let connectorIds: string[] = [];

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  const field = await seedField(db, acme.id, { wells: 1 });
  siteIds = [field.siteId];
  pointIds = field.pointIds;
  variableIds = (
    await db.withTenant(acme.id, (tx) =>
      tx.select({ id: tenantTables.variables.id }).from(tenantTables.variables),
    )
  ).map((v) => v.id);
  for (const role of MEMBER_ROLES) {
    members[role] = await seedUser(db);
    await seedMembership(db, acme.id, members[role].id, role);
  }
  person = await seedUser(db);
  await seedMembership(db, acme.id, person.id, 'operator');
  if (routerDef.procedures['connectors.register']) {
    const registered = (await invoke(callerFor(members.admin), 'connectors.register', {
      tenantSlug: acme.slug,
      name: 'PLC fuzz',
    })) as { id?: string; connectorId?: string };
    const id = registered.id ?? registered.connectorId;
    if (id) connectorIds = [id];
  }
});

/** Mostly the real thing (so calls get past lookups), sometimes what the schema derives. */
const mostly =
  (values: () => readonly unknown[]) =>
  (derived: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => {
    const real = values();
    if (real.length === 0) return derived;
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...real) },
      { weight: 1, arbitrary: derived },
    );
  };

const DAY_MS = 86_400_000;

/** By field name, anywhere in an input (see ArbitraryOptions.overrides). */
function overrides(): ArbitraryOptions {
  return {
    overrides: {
      tenantSlug: (derived) =>
        fc.oneof(
          { weight: 9, arbitrary: fc.constant(acme.slug) },
          { weight: 1, arbitrary: fc.oneof(derived, arbitraryFor(slugSchema)) },
        ),
      host: fc.constant('127.0.0.1'),
      siteId: mostly(() => siteIds),
      pointId: mostly(() => pointIds),
      variableId: mostly(() => variableIds),
      connectorId: mostly(() => connectorIds),
      // Recent readings get past the retention and future checks into the store.
      ts: (derived) =>
        fc.oneof(
          { weight: 1, arbitrary: derived },
          {
            weight: 4,
            arbitrary: fc
              .integer({ min: -30 * DAY_MS, max: 0 })
              .map((ago) => new Date(Date.now() + ago).toISOString()),
          },
        ),
      // A NIT's check digit is computed in a transform, out of the walker's sight. Some
      // valid ones get sign-ups through (each costs a password hash and a new tenant).
      nit: (derived) =>
        fc.oneof(
          { weight: 3, arbitrary: derived },
          {
            weight: 1,
            arbitrary: fc
              .integer({ min: 800_000_000, max: 999_999_999 })
              .map(String)
              .map((base) => `${base}-${nitCheckDigit(base)}`),
          },
        ),
    },
  };
}

// ---------------------------------------------------------------------------------------
// Calling

let calls = 0;
function callerFor(user: User | null) {
  return createCaller({
    db: testDb().db,
    userId: user?.id ?? null,
    // A fresh address per call: rate limits per address do not hide what comes after them.
    clientAddress: `fuzz-${++calls}`,
    ring,
  });
}

async function invoke(
  caller: ReturnType<typeof callerFor>,
  path: string,
  input: unknown,
): Promise<unknown> {
  let node: unknown = caller;
  for (const key of path.split('.')) node = (node as Record<string, unknown>)[key];
  const result = await (node as (input: unknown) => Promise<unknown>)(input);
  // A subscription hands back an iterable: open it, and close it at once.
  if (result && typeof result === 'object' && Symbol.asyncIterator in result)
    await (result as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
  return result;
}

/** Any field named `host`, at any depth, becomes 127.0.0.1 (copy on write). */
function loopbackHosts(value: unknown, depth = 0): unknown {
  if (depth > 40 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => loopbackHosts(item, depth + 1));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.getOwnPropertyNames(value)) {
    const item = (value as Record<string, unknown>)[key];
    const next = key === 'host' ? '127.0.0.1' : loopbackHosts(item, depth + 1);
    if (next === item) continue;
    copy ??= Object.create(proto, Object.getOwnPropertyDescriptors(value)) as Record<
      string,
      unknown
    >;
    Object.defineProperty(copy, key, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy ?? value;
}

function shown(value: unknown): string {
  const text = fc.stringify(value);
  return text.length > 2_000 ? `${text.slice(0, 2_000)}… (${text.length} characters)` : text;
}

/** The cause and its own causes (drizzle wraps the database's error in its own). */
function describeCause(error: TRPCError): string {
  const lines: string[] = [];
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 5 && cause !== undefined; depth++) {
    lines.push(
      cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : inspect(cause),
    );
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return lines.length > 0 ? lines.join('\n  caused by: ') : error.message;
}

/** Calls `path` with `input` as `user`; throws (with what to reproduce it) on a 500. */
async function expectDesignedOutcome(
  path: string,
  access: Access,
  user: User | null,
  input: unknown,
): Promise<void> {
  try {
    await invoke(callerFor(user), path, input);
  } catch (error) {
    if (!(error instanceof TRPCError))
      throw new Error(`${path} threw something that is not a TRPCError: ${String(error)}`, {
        cause: error,
      });
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      const cause = describeCause(error);
      if (isKnown(path, cause)) return;
      throw new Error(
        `${path} answered INTERNAL_SERVER_ERROR\n  input: ${shown(input)}\n  cause: ${cause}`,
      );
    }
    if (
      access.kind === 'tenant' &&
      error.code === 'FORBIDDEN' &&
      /requires role/.test(error.message)
    )
      throw new Error(
        `${path}: the tenant gate refused a role PERMISSIONS allows (${error.message}); does the procedure pass its own name to tenantProcedure()?`,
      );
  }
}

/** Who calls: a member with an allowed role, the signed-in person, or (public) anyone. */
function callers(access: Access): fc.Arbitrary<User | null> {
  switch (access.kind) {
    case 'tenant':
      return fc.constantFrom(...access.roles).map((role) => members[role]);
    case 'signed-in':
      return fc.constant(person);
    case 'public':
      return fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constant(person) },
      );
  }
}

function inputSchemaOf(path: string): Schema {
  return mergedInputSchema(routerDef.procedures[path]!._def.inputs);
}

// ---------------------------------------------------------------------------------------

describe('input fuzzing of every procedure', () => {
  let prototypeKeys: string[];
  beforeAll(() => {
    prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
  });

  it('finds the procedures of the router', () => {
    expect(FUZZED.length).toBeGreaterThan(10);
  });

  it('knows who may call every procedure: public, PERMISSIONS, or the signed-in person', () => {
    const problems = PROCEDURES.flatMap((path) => {
      try {
        accessOf(path);
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    });
    expect(problems).toEqual([]);
  });

  it('has a procedure for every entry of PERMISSIONS', () => {
    const stale = Object.keys(PERMISSIONS).filter((name) => !PROCEDURES.includes(name));
    expect(stale).toEqual([]);
  });

  it.skip.each(NEVER)('%s: never fuzzed (connects to the saved host)', () => {});

  it.each(FUZZED)('%s: derived, mostly valid inputs never give a 500', async (path) => {
    const access = accessOf(path);
    const inputs = arbitraryFor(inputSchemaOf(path), overrides());
    await fc.assert(
      fc.asyncProperty(inputs, callers(access), async (input, user) => {
        await expectDesignedOutcome(path, access, user, loopbackHosts(input));
      }),
      { numRuns: VALID_RUNS },
    );
  });

  it.each(FUZZED)('%s: broken and hostile inputs never give a 500', async (path) => {
    const access = accessOf(path);
    const inputs = invalidFor(inputSchemaOf(path), overrides());
    await fc.assert(
      fc.asyncProperty(inputs, callers(access), async (input, user) => {
        await expectDesignedOutcome(path, access, user, loopbackHosts(input));
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
      }),
      { numRuns: INVALID_RUNS },
    );
  });
});
