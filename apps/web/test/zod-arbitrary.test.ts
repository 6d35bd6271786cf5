import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deliverySettingsSchema } from '@anh/domain/delivery-settings';
import { newTenantSchema, slugSchema } from '@anh/domain/tenancy';
import { manualReadingsSchema } from '../src/server/ingest/manual';
import { signUpSchema } from '../src/server/trpc/routers/account';
import { appRouter } from '../src/server/trpc/root';
import {
  accepts,
  arbitraryFor,
  invalidFor,
  mergedInputSchema,
  POLLUTING_KEYS,
  type Schema,
} from './zod-arbitrary';

const SAMPLES = 200;

interface Tree {
  name: string;
  children: Tree[];
}
const tree: z.ZodType<Tree> = z.object({
  name: z.string().min(1).max(10),
  children: z.array(z.lazy(() => tree)).max(3),
});

/** Representative schemas: each kind and check the walker knows, and the app's real ones. */
const REPRESENTATIVE: Record<string, Schema> = {
  'string min/max': z.string().min(3).max(8),
  'string length': z.string().length(5),
  'string trim min': z.string().trim().min(2).max(20),
  'string regex': z.string().regex(/^[A-Z]{2}-\d{3}$/),
  'string regex + length': z
    .string()
    .min(4)
    .max(12)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/),
  'string starts/ends/includes': z.string().startsWith('ab').endsWith('yz').includes('_'),
  'string lower/upper': z.object({ a: z.string().lowercase(), b: z.string().uppercase() }),
  email: z.email().max(254),
  uuid: z.uuid(),
  guid: z.guid(),
  url: z.url(),
  'iso date': z.iso.date(),
  'iso datetime': z.iso.datetime(),
  'iso datetime offset': z.iso.datetime({ offset: true }),
  'iso datetime local, seconds': z.iso.datetime({ local: true, precision: 0 }),
  'iso time': z.iso.time(),
  ipv4: z.ipv4(),
  ipv6: z.ipv6(),
  cidr: z.cidrv4(),
  ulid: z.ulid(),
  base64: z.base64(),
  nanoid: z.nanoid(),
  cuid: z.cuid(),
  e164: z.e164(),
  'number int min/max': z.number().int().min(1).max(400),
  'number finite': z.number().finite(),
  'number exclusive': z.number().gt(0).lt(1),
  'number multipleOf': z.number().multipleOf(0.5).min(-10).max(10),
  'number positive int': z.int().positive(),
  int32: z.int32(),
  boolean: z.boolean(),
  enum: z.enum(['tank_gauging', 'lab_bsw', 'meter_ticket']),
  literal: z.literal(['a', 1, true]),
  'array min/max': z.array(z.uuid()).min(1).max(5),
  'array of objects': z
    .array(z.object({ v: z.number().finite(), ts: z.iso.datetime() }).strict())
    .min(1)
    .max(500),
  'optional/nullable/default': z.object({
    a: z.string().optional(),
    b: z.number().nullable(),
    c: z.enum(['x', 'y']).default('x'),
    d: z.boolean().prefault(true),
  }),
  union: z.union([z.string().min(2), z.number().int(), z.null()]),
  'discriminated union': z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('ftp'), host: z.string().min(1) }),
    z.object({ kind: z.literal('mail'), to: z.email() }),
  ]),
  record: z.record(z.string().min(1).max(5), z.number()),
  'exhaustive record': z.record(z.enum(['es', 'en']), z.string()),
  'pipe/transform': z
    .string()
    .regex(/^\d{1,6}$/)
    .transform(Number)
    .pipe(z.number()),
  tuple: z.tuple([z.string(), z.number().int()], z.boolean()),
  date: z.date().min(new Date('2020-01-01')).max(new Date('2030-01-01')),
  bigint: z.bigint().min(-5n).max(1_000n),
  lazy: tree,
  any: z.any(),
  unknown: z.unknown(),
  'strict object': z.object({ a: z.string(), b: z.number().optional() }).strict(),
  intersection: z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() })),
  set: z.set(z.string()).min(1).max(3),
  map: z.map(z.string(), z.number()),
  'template literal': z.templateLiteral(['v', z.number().int(), '.', z.enum(['json', 'csv'])]),
  // The app's own schemas.
  signUpSchema,
  deliverySettingsSchema,
  manualReadingsSchema,
  slugSchema,
};

/** Every procedure's input, as the fuzz test derives it (procedures added later included). */
const PROCEDURE_INPUTS: Record<string, Schema> = Object.fromEntries(
  Object.entries(
    appRouter._def.procedures as unknown as Record<string, { _def: { inputs: unknown[] } }>,
  ).map(([path, procedure]) => [`procedure ${path}`, mergedInputSchema(procedure._def.inputs)]),
);

const ALL = { ...REPRESENTATIVE, ...PROCEDURE_INPUTS };

const validShare = (schema: Schema, values: unknown[]) =>
  values.filter((v) => accepts(schema, v)).length / values.length;

describe('arbitraryFor', () => {
  it.each(Object.keys(ALL))('%s: at least 90 percent of samples are valid', (name) => {
    const schema = ALL[name]!;
    const values = fc.sample(arbitraryFor(schema), SAMPLES);
    expect(validShare(schema, values)).toBeGreaterThanOrEqual(0.9);
  });

  it('gives variety, not one value', () => {
    for (const [name, schema] of Object.entries(REPRESENTATIVE)) {
      if (['boolean', 'literal', 'exhaustive record'].includes(name)) continue;
      const values = fc.sample(arbitraryFor(schema), 50).map((v) => fc.stringify(v));
      expect(new Set(values).size, name).toBeGreaterThan(2);
    }
  });

  it('reaches the boundaries of lengths and numbers', () => {
    const lengths = fc
      .sample(arbitraryFor(z.string().min(3).max(8)), 500)
      .map((s) => (s as string).length);
    expect(lengths).toContain(3);
    expect(lengths).toContain(8);
    const ints = fc.sample(arbitraryFor(z.number().int().min(1).max(400)), 500);
    expect(ints).toContain(1);
    expect(ints).toContain(400);
  });

  it('uses overrides by field name, at any depth', () => {
    const schema = z.object({ a: z.object({ host: z.string().min(1) }), host: z.string() });
    const values = fc.sample(
      arbitraryFor(schema, { overrides: { host: fc.constant('127.0.0.1') } }),
      50,
    ) as Array<{ a: { host: string }; host: string }>;
    expect(values.every((v) => v.host === '127.0.0.1' && v.a.host === '127.0.0.1')).toBe(true);
    const wrapped = fc.sample(
      arbitraryFor(z.object({ id: z.uuid() }), {
        overrides: { id: (derived) => derived.map((id) => `x${String(id)}`) },
      }),
      20,
    ) as Array<{ id: string }>;
    expect(wrapped.every((v) => v.id.startsWith('x'))).toBe(true);
  });

  it('generates something plausible when a refinement cannot be derived', () => {
    const impossible = z.string().refine(() => false);
    expect(fc.sample(arbitraryFor(impossible), 20).every((v) => typeof v === 'string')).toBe(true);
    // A NIT's check digit is computed in a transform: the walker sees a string.
    const tenants = fc.sample(arbitraryFor(newTenantSchema), 20) as Array<{ nit: unknown }>;
    expect(tenants.every((t) => typeof t.nit === 'string')).toBe(true);
  });
});

describe('invalidFor', () => {
  const lax = new Set(['any', 'unknown']);
  it.each(Object.keys(ALL).filter((name) => !lax.has(name)))(
    '%s: most samples are invalid',
    (name) => {
      const schema = ALL[name]!;
      const values = fc.sample(invalidFor(schema), SAMPLES);
      expect(1 - validShare(schema, values)).toBeGreaterThanOrEqual(0.75);
    },
  );

  it('mutates nested fields, drops required ones and adds unknown keys', () => {
    const schema = z.object({
      user: z.object({ name: z.string().min(1), tags: z.array(z.string()).max(3) }).strict(),
      count: z.number().int(),
    });
    const failures = fc
      .sample(invalidFor(schema), 400)
      .map((v) => z.safeParse(schema, v))
      .flatMap((r) => (r.success ? [] : r.error.issues));
    const paths = new Set(failures.map((i) => i.path.join('.')));
    expect(paths).toContain('user.name');
    expect(paths).toContain('count');
    expect([...paths].some((p) => p.startsWith('user.tags'))).toBe(true);
    expect(failures.some((i) => i.code === 'unrecognized_keys')).toBe(true);
    expect(failures.some((i) => i.code === 'invalid_type' && i.message.includes('undefined'))).toBe(
      true,
    );
  });

  it('includes hostile values: prototype-pollution keys, NaN, -0, Infinity, huge strings', () => {
    const values = fc.sample(invalidFor(z.object({ a: z.number() })), 1_000);
    const ownKeys = values.flatMap((v) =>
      v !== null && typeof v === 'object' ? Reflect.ownKeys(v).map(String) : [],
    );
    expect(ownKeys.some((k) => POLLUTING_KEYS.includes(k))).toBe(true);
    const numbers = values.flatMap((v) =>
      v !== null && typeof v === 'object' && typeof (v as { a?: unknown }).a === 'number'
        ? [(v as { a: number }).a]
        : typeof v === 'number'
          ? [v]
          : [],
    );
    expect(numbers.some((n) => Number.isNaN(n))).toBe(true);
    expect(numbers.some((n) => !Number.isFinite(n) && !Number.isNaN(n))).toBe(true);
    const strings = values.flatMap((v) =>
      typeof v === 'string'
        ? [v]
        : v !== null && typeof v === 'object' && typeof (v as { a?: unknown }).a === 'string'
          ? [(v as { a: string }).a]
          : [],
    );
    expect(strings.some((s) => s.length >= 10_000)).toBe(true);
    // Nothing leaked onto Object.prototype while building them.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never changes the valid value it starts from', () => {
    const schema = z.object({ a: z.object({ b: z.string() }), c: z.array(z.number()) });
    fc.assert(
      fc.property(arbitraryFor(schema), fc.integer(), (valid, seed) => {
        const before = fc.stringify(valid);
        fc.sample(
          invalidFor(schema, { overrides: { a: fc.constant((valid as { a: unknown }).a) } }),
          { numRuns: 5, seed },
        );
        expect(fc.stringify(valid)).toBe(before);
      }),
      { numRuns: 20 },
    );
  });
});

describe('mergedInputSchema', () => {
  it('merges object inputs the way tRPC applies them', () => {
    const merged = mergedInputSchema([
      z.object({ tenantSlug: slugSchema }),
      z.object({ limit: z.number().int().default(60) }),
    ]);
    expect(accepts(merged, { tenantSlug: 'acme', limit: 3 })).toBe(true);
    expect(accepts(merged, { limit: 3 })).toBe(false);
  });

  it('takes no input as undefined, and refuses parsers that are not zod', () => {
    expect(accepts(mergedInputSchema([]), undefined)).toBe(true);
    expect(() => mergedInputSchema([(v: unknown) => v])).toThrow(/not a zod 4 schema/);
  });
});
