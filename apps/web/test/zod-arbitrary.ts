import fc from 'fast-check';
import { z } from 'zod';

/**
 * fast-check arbitraries derived from zod 4 schemas, by walking `schema._zod.def`.
 *
 * `arbitraryFor(schema)` generates values that are mostly VALID for the schema: every
 * check zod describes in its definition (lengths, bounds, integer, formats, regexes,
 * enums, literals, array sizes, strict objects…) is honoured, and what cannot be derived
 * (a `.refine`) is met by sampling: each node keeps the generators and values its own
 * `safeParse` accepts, when it accepts enough of them; otherwise it generates something
 * plausible, which the schema may refuse.
 *
 * `invalidFor(schema)` mutates a valid value: one field (at any depth) gets a value of
 * another type, a required field is dropped, an unknown key is added (prototype-pollution
 * keys included), or the whole value is replaced by something hostile.
 */
export type Schema = z.core.$ZodType;

export interface ArbitraryOptions {
  /**
   * By field name, anywhere in the value: the arbitrary to use for that field, or a
   * function of the derived one (e.g. `(derived) => fc.oneof(fc.constant(realId), derived)`).
   */
  overrides?: Record<
    string,
    fc.Arbitrary<unknown> | ((derived: fc.Arbitrary<unknown>) => fc.Arbitrary<unknown>)
  >;
  /** Depth past which optional parts are left out and arrays kept at their minimum. Default 6. */
  maxDepth?: number;
}

type Def = z.core.$ZodTypes['_zod']['def'];

/** The fields of the check definitions this module reads (zod's own are one type per check). */
interface CheckDef {
  check: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  length?: number;
  size?: number;
  format?: string;
  pattern?: RegExp;
  prefix?: string;
  suffix?: string;
  includes?: string;
}

/** Format schemas (z.email(), z.iso.datetime()…) are strings whose definition is a check too. */
interface StringFormatDef {
  check?: string;
  format?: string;
  pattern?: RegExp;
  offset?: boolean;
  local?: boolean;
  precision?: number | null;
}

const SAMPLE_SIZE = 60;
/** Below this share of accepted samples a node is not filtered (it would starve the generator). */
const MIN_ACCEPTANCE = 0.04;

export function accepts(schema: Schema, value: unknown): boolean {
  try {
    return z.safeParse(schema, value).success;
  } catch {
    return false; // async refinements, throwing transforms: not a value we can vouch for
  }
}

function acceptance(schema: Schema, arbitrary: fc.Arbitrary<unknown>): number {
  try {
    const values = fc.sample(arbitrary, { numRuns: SAMPLE_SIZE, seed: 20_26 });
    return values.filter((v) => accepts(schema, v)).length / values.length;
  } catch {
    return 0;
  }
}

interface Candidate {
  weight: number;
  arbitrary: fc.Arbitrary<unknown>;
}

/**
 * Keeps the candidates that the schema accepts at all, weighted by how often, and filters
 * by the schema itself when that does not starve (refinements and combined checks).
 */
function fit(schema: Schema, candidates: Candidate[]): fc.Arbitrary<unknown> {
  const scored = candidates.map((c) => ({ ...c, share: acceptance(schema, c.arbitrary) }));
  const useful = scored.filter((c) => c.share > 0);
  const kept = useful.length > 0 ? useful : scored;
  const weighted = kept.map((c) => ({
    arbitrary: c.arbitrary,
    weight: Math.max(1, Math.round(c.weight * c.share * 10)),
  }));
  const combined = weighted.length === 1 ? weighted[0]!.arbitrary : fc.oneof(...weighted);
  const share =
    kept.reduce((sum, c) => sum + c.weight * c.share, 0) /
    kept.reduce((sum, c) => sum + c.weight, 0);
  if (share >= 1 || share < MIN_ACCEPTANCE) return combined;
  return combined.filter((v) => accepts(schema, v));
}

const one = (arbitrary: fc.Arbitrary<unknown>, weight = 1): Candidate => ({ weight, arbitrary });

function checksOf(def: { checks?: ReadonlyArray<{ _zod: { def: unknown } }> }): CheckDef[] {
  return (def.checks ?? []).map((c) => c._zod.def as CheckDef);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------------------------------
// Strings

const STRING_UNIT = fc.oneof(
  { weight: 6, arbitrary: fc.constant('grapheme-ascii' as const) },
  { weight: 2, arbitrary: fc.constant('grapheme' as const) },
  { weight: 1, arbitrary: fc.constant('binary' as const) },
);

function plainString(minLength: number, maxLength: number): fc.Arbitrary<string> {
  const upTo = Math.min(maxLength, minLength + 40);
  const typical = STRING_UNIT.chain((unit) => fc.string({ unit, minLength, maxLength: upTo }));
  const candidates = [{ weight: 8, arbitrary: typical }];
  // Boundaries: exactly the shortest and the longest length allowed, in a few alphabets.
  const exactly = (length: number) =>
    fc
      .constantFrom('a', 'Z9', 'ñ', 'é ', '字', 'x\u0301', '😀')
      .map((chars) => chars.repeat(Math.ceil(length / chars.length) + 1).slice(0, length));
  if (Number.isFinite(maxLength) && maxLength <= 100_000)
    candidates.push({ weight: 1, arbitrary: exactly(maxLength) });
  if (minLength > 0) candidates.push({ weight: 1, arbitrary: exactly(minLength) });
  return fc.oneof(...candidates);
}

function tryStringMatching(pattern: RegExp): fc.Arbitrary<string> | null {
  try {
    const arbitrary = fc.stringMatching(pattern);
    fc.sample(arbitrary, 1);
    return arbitrary;
  } catch {
    return null; // lookarounds, back-references… not supported by fc.stringMatching
  }
}

/** Strings matching `pattern` at a few sizes (fit() keeps those whose lengths are allowed). */
function matching(pattern: RegExp, weight: number): Candidate[] {
  if (!tryStringMatching(pattern)) return [];
  return (['xsmall', 'small'] as const).map((size) =>
    one(fc.stringMatching(pattern, { size }), weight),
  );
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** ISO date-times as `z.iso.datetime(options)` accepts them. */
function isoDateTime(def: StringFormatDef, years: [number, number]): fc.Arbitrary<string> {
  const date = fc.date({
    min: new Date(Date.UTC(years[0], 0, 1)),
    max: new Date(Date.UTC(years[1], 11, 31, 23, 59, 59)),
    noInvalidDate: true,
  });
  const zone = fc.oneof(
    { weight: 3, arbitrary: fc.constant('Z') },
    {
      weight: def.offset ? 2 : 0,
      arbitrary: fc
        .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 14 }), fc.constantFrom(0, 30))
        .map(([sign, h, m]) => `${sign}${pad2(h)}:${pad2(m)}`),
    },
    { weight: def.local ? 1 : 0, arbitrary: fc.constant('') },
  );
  return fc.tuple(date, zone).map(([d, z]) => {
    const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
    const precision = def.precision ?? null;
    let body: string;
    if (precision === null) body = iso.slice(0, 23);
    else if (precision < 0) body = iso.slice(0, 16);
    else if (precision === 0) body = iso.slice(0, 19);
    else
      body = `${iso.slice(0, 19)}.${iso.slice(20, 23).padEnd(precision, '0').slice(0, precision)}`;
    return body + z;
  });
}

function formatCandidates(def: StringFormatDef): Candidate[] {
  const fromPattern = def.pattern ? tryStringMatching(def.pattern) : null;
  const candidates: Candidate[] = [];
  const addMatching = (weight: number) => {
    if (def.pattern) candidates.push(...matching(def.pattern, weight));
  };
  const add = (arbitrary: fc.Arbitrary<unknown> | null, weight = 1) => {
    if (arbitrary) candidates.push({ weight, arbitrary });
  };
  switch (def.format) {
    case 'email':
      add(fc.emailAddress(), 2);
      add(fromPattern, 2);
      break;
    case 'uuid':
    case 'guid':
      add(fc.uuid(), 3);
      add(fromPattern, 1);
      break;
    case 'url':
      add(fc.webUrl({ withQueryParameters: true, withFragments: true }), 3);
      add(fc.webUrl(), 1);
      break;
    case 'date':
      // Realistic days, and every day the pattern allows (years 0000–9999).
      add(
        fc
          .date({ min: new Date('1900-01-01'), max: new Date('2100-12-31'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10)),
        3,
      );
      add(fromPattern, 1);
      break;
    case 'datetime':
      add(isoDateTime(def, [1970, 2100]), 3);
      add(isoDateTime(def, [0, 9999]), 1);
      add(fromPattern, 1);
      break;
    case 'time':
      add(
        fc
          .tuple(
            fc.integer({ min: 0, max: 23 }),
            fc.integer({ min: 0, max: 59 }),
            fc.integer({ min: 0, max: 59 }),
          )
          .map(([h, m, s]) =>
            def.precision === -1 ? `${pad2(h)}:${pad2(m)}` : `${pad2(h)}:${pad2(m)}:${pad2(s)}`,
          ),
        2,
      );
      add(fromPattern, 1);
      break;
    case 'ipv4':
      add(fc.ipV4(), 2);
      break;
    case 'ipv6':
      add(fc.ipV6(), 2);
      break;
    case 'cidrv4':
      add(
        fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, n]) => `${ip}/${n}`),
        2,
      );
      break;
    case 'cidrv6':
      add(
        fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([ip, n]) => `${ip}/${n}`),
        2,
      );
      break;
    case 'ulid':
      add(fc.ulid(), 2);
      break;
    case 'base64':
      add(fc.base64String(), 2);
      break;
    case 'base64url':
      add(
        fc
          .base64String()
          .map((s) => s.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')),
        2,
      );
      break;
    case 'json_string':
      add(fc.json(), 2);
      break;
    case 'lowercase':
      add(plainString(0, 40).map((s) => s.toLowerCase()));
      break;
    case 'uppercase':
      add(plainString(0, 40).map((s) => s.toUpperCase()));
      break;
    default:
      addMatching(2);
  }
  return candidates;
}

/** A format the whole string is drawn from (as opposed to a constraint mapped onto it). */
const SHAPING_FORMATS = new Set([
  'regex',
  'lowercase',
  'uppercase',
  'starts_with',
  'ends_with',
  'includes',
]);

function stringArbitrary(
  schema: Schema,
  def: Extract<Def, { type: 'string' }>,
): fc.Arbitrary<unknown> {
  const self = def as unknown as StringFormatDef;
  const checks = checksOf(def);
  let minLength = 0;
  let maxLength = Number.POSITIVE_INFINITY;
  for (const c of checks) {
    if (c.check === 'min_length') minLength = Math.max(minLength, c.minimum ?? 0);
    if (c.check === 'max_length') maxLength = Math.min(maxLength, c.maximum ?? maxLength);
    if (c.check === 'length_equals') minLength = maxLength = c.length ?? 0;
  }
  const formats: StringFormatDef[] = [
    ...(self.check === 'string_format' ? [self] : []),
    ...checks.filter((c) => c.check === 'string_format'),
  ];
  const primary = formats.find((f) => !SHAPING_FORMATS.has(f.format ?? ''));
  const regex = formats.find((f) => f.format === 'regex');

  let candidates: Candidate[];
  if (primary) candidates = formatCandidates(primary);
  else if (regex?.pattern) {
    candidates = [...matching(regex.pattern, 4), one(plainString(minLength, maxLength))];
  } else candidates = [one(plainString(minLength, maxLength))];
  if (candidates.length === 0) candidates = [one(plainString(minLength, maxLength))];

  // Constraints that reshape any string: case, prefix, suffix, inclusion.
  const shape = (s: string): string => {
    let out = s;
    for (const f of formats as CheckDef[]) {
      if (f.format === 'lowercase') out = out.toLowerCase();
      if (f.format === 'uppercase') out = out.toUpperCase();
    }
    for (const f of formats as CheckDef[]) {
      if (f.format === 'includes' && f.includes !== undefined && !out.includes(f.includes))
        out += f.includes;
    }
    for (const f of formats as CheckDef[]) {
      if (f.format === 'starts_with' && f.prefix !== undefined && !out.startsWith(f.prefix))
        out = f.prefix + out;
      if (f.format === 'ends_with' && f.suffix !== undefined && !out.endsWith(f.suffix))
        out += f.suffix;
    }
    return out;
  };
  const shaped = candidates.map((c) => ({
    weight: c.weight,
    arbitrary: c.arbitrary.map((v) => (typeof v === 'string' ? shape(v) : v)),
  }));
  return fit(schema, shaped);
}

// ---------------------------------------------------------------------------------------
// Numbers, bigints, dates

interface Bounds<T> {
  min?: T;
  max?: T;
  minExcluded: boolean;
  maxExcluded: boolean;
}

function boundsOf<T extends number | bigint | Date>(
  checks: CheckDef[],
  convert: (v: unknown) => T | undefined,
): Bounds<T> {
  const bounds: Bounds<T> = { minExcluded: false, maxExcluded: false };
  for (const c of checks) {
    const value = convert(c.value);
    if (value === undefined) continue;
    if (c.check === 'greater_than' && (bounds.min === undefined || value >= bounds.min)) {
      bounds.min = value;
      bounds.minExcluded = !c.inclusive;
    }
    if (c.check === 'less_than' && (bounds.max === undefined || value <= bounds.max)) {
      bounds.max = value;
      bounds.maxExcluded = !c.inclusive;
    }
  }
  return bounds;
}

function numberArbitrary(
  schema: Schema,
  def: Extract<Def, { type: 'number' }>,
): fc.Arbitrary<unknown> {
  const self = def as unknown as CheckDef;
  const checks = [...(self.check === 'number_format' ? [self] : []), ...checksOf(def)];
  const bounds = boundsOf(checks, (v) => (typeof v === 'number' ? v : undefined));
  let lo = bounds.min ?? -Number.MAX_VALUE;
  let hi = bounds.max ?? Number.MAX_VALUE;
  const format = checks.find((c) => c.check === 'number_format')?.format;
  const isInt = format?.includes('int') ?? false;
  if (format) {
    const [fmin, fmax] = z.core.util.NUMBER_FORMAT_RANGES[format as z.core.$ZodNumberFormats];
    lo = Math.max(lo, fmin);
    hi = Math.min(hi, fmax);
  }
  const multipleOf = checks.find((c) => c.check === 'multiple_of')?.value;
  const candidates: Candidate[] = [];
  if (typeof multipleOf === 'number' && multipleOf > 0) {
    const kMin = Math.max(Math.ceil(lo / multipleOf), Number.MIN_SAFE_INTEGER);
    const kMax = Math.min(Math.floor(hi / multipleOf), Number.MAX_SAFE_INTEGER);
    if (kMin <= kMax)
      candidates.push(
        one(
          fc.integer({ min: kMin, max: kMax }).map((k) => k * multipleOf),
          4,
        ),
      );
  } else if (isInt) {
    const min = Math.ceil(bounds.minExcluded && Number.isInteger(lo) ? lo + 1 : lo);
    const max = Math.floor(bounds.maxExcluded && Number.isInteger(hi) ? hi - 1 : hi);
    const intMin = Math.max(min, Number.MIN_SAFE_INTEGER);
    const intMax = Math.min(max, Number.MAX_SAFE_INTEGER);
    if (intMin <= intMax) {
      candidates.push(one(fc.integer({ min: intMin, max: intMax }), 4));
      candidates.push(one(fc.constantFrom(intMin, intMax), 1));
      const smallMin = Math.max(intMin, -100);
      const smallMax = Math.min(intMax, 100);
      if (smallMin <= smallMax)
        candidates.push(one(fc.integer({ min: smallMin, max: smallMax }), 3));
    }
  } else {
    candidates.push(
      one(
        fc.double({
          min: lo,
          max: hi,
          minExcluded: bounds.minExcluded,
          maxExcluded: bounds.maxExcluded,
          noNaN: true,
          noDefaultInfinity: true,
        }),
        4,
      ),
    );
    const small = fc.double({
      min: Math.max(lo, -1000),
      max: Math.min(hi, 1000),
      noNaN: true,
      noDefaultInfinity: true,
    });
    if (Math.max(lo, -1000) <= Math.min(hi, 1000)) candidates.push(one(small, 3));
  }
  if (candidates.length === 0) candidates.push(one(fc.double({ noNaN: true })));
  return fit(schema, candidates);
}

function bigintArbitrary(
  schema: Schema,
  def: Extract<Def, { type: 'bigint' }>,
): fc.Arbitrary<unknown> {
  const bounds = boundsOf(checksOf(def), (v) => (typeof v === 'bigint' ? v : undefined));
  const min = bounds.min === undefined ? undefined : bounds.min + (bounds.minExcluded ? 1n : 0n);
  const max = bounds.max === undefined ? undefined : bounds.max - (bounds.maxExcluded ? 1n : 0n);
  return fit(schema, [one(fc.bigInt({ min, max }))]);
}

function dateArbitrary(schema: Schema, def: Extract<Def, { type: 'date' }>): fc.Arbitrary<unknown> {
  const bounds = boundsOf(checksOf(def), (v) => (v instanceof Date ? v : undefined));
  return fit(schema, [one(fc.date({ min: bounds.min, max: bounds.max, noInvalidDate: true }))]);
}

// ---------------------------------------------------------------------------------------
// The walk

function lengthBounds(checks: CheckDef[], sized = false): { min: number; max: number } {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  for (const c of checks) {
    if (c.check === (sized ? 'min_size' : 'min_length')) min = Math.max(min, c.minimum ?? 0);
    if (c.check === (sized ? 'max_size' : 'max_length')) max = Math.min(max, c.maximum ?? max);
    if (c.check === (sized ? 'size_equals' : 'length_equals'))
      min = max = (sized ? c.size : c.length) ?? 0;
  }
  return { min, max };
}

function sized<T>(
  element: fc.Arbitrary<T>,
  bounds: { min: number; max: number },
  deep: boolean,
): fc.Arbitrary<T[]> {
  if (deep) return fc.array(element, { minLength: bounds.min, maxLength: bounds.min });
  const candidates = [
    {
      weight: 8,
      arbitrary: fc.array(element, {
        minLength: bounds.min,
        maxLength: Math.min(bounds.max, bounds.min + 4),
      }),
    },
  ];
  if (Number.isFinite(bounds.max) && bounds.max <= 1000 && bounds.max > bounds.min + 4)
    candidates.push({
      weight: 1,
      arbitrary: fc.array(element, { minLength: bounds.max, maxLength: bounds.max }),
    });
  return fc.oneof(...candidates);
}

const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
);

const LEAVES = new Set(['string', 'number', 'bigint', 'date', 'template_literal']);
const leafCache = new WeakMap<Schema, fc.Arbitrary<unknown>>();

class Walker {
  private readonly maxDepth: number;
  constructor(private readonly options: ArbitraryOptions) {
    this.maxDepth = options.maxDepth ?? 6;
  }

  field(key: string, schema: Schema, depth: number): fc.Arbitrary<unknown> {
    const override = this.options.overrides?.[key];
    if (override === undefined) return this.walk(schema, depth);
    return typeof override === 'function' ? override(this.walk(schema, depth)) : override;
  }

  walk(schema: Schema, depth: number): fc.Arbitrary<unknown> {
    const type = (schema._zod.def as Def).type;
    if (!LEAVES.has(type)) return this.build(schema, depth);
    // Leaves do not depend on the options: derive each once (sampling is the costly part).
    let arbitrary = leafCache.get(schema);
    if (!arbitrary) leafCache.set(schema, (arbitrary = this.build(schema, depth)));
    return arbitrary;
  }

  private build(schema: Schema, depth: number): fc.Arbitrary<unknown> {
    // A recursive schema that never bottoms out (a required self-reference) has no finite
    // value: stop building, the schema will refuse what comes out.
    if (depth > this.maxDepth + 10) return fc.constant(undefined);
    const deep = depth > this.maxDepth;
    const def = schema._zod.def as Def;
    switch (def.type) {
      case 'string':
        return stringArbitrary(schema, def);
      case 'number':
        return numberArbitrary(schema, def);
      case 'bigint':
        return bigintArbitrary(schema, def);
      case 'date':
        return dateArbitrary(schema, def);
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'undefined':
      case 'void':
      case 'never':
        return fc.constant(undefined);
      case 'nan':
        return fc.constant(Number.NaN);
      case 'symbol':
        return fc.string({ maxLength: 8 }).map((s) => Symbol(s));
      case 'any':
      case 'unknown':
        return anyValue;
      case 'enum':
      case 'literal':
        // The values zod accepts (a native enum's reverse mappings left out).
        return fc.constantFrom(...(schema._zod.values ?? new Set<unknown>([undefined])));
      case 'template_literal':
        return fit(schema, [one(tryStringMatching(schema._zod.pattern!) ?? fc.string())]);
      case 'object': {
        const shape = def.shape as Record<string, Schema>;
        const keys = Object.keys(shape);
        const required = keys.filter((k) => shape[k]!._zod.optin === undefined);
        const present = deep ? required : keys;
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        for (const key of present) model[key] = this.field(key, shape[key]!, depth + 1);
        return fit(schema, [one(fc.record(model, { requiredKeys: required }))]);
      }
      case 'array':
        return fit(schema, [
          one(sized(this.walk(def.element, depth + 1), lengthBounds(checksOf(def)), deep)),
        ]);
      case 'set':
        return fit(schema, [
          one(
            sized(this.walk(def.valueType, depth + 1), lengthBounds(checksOf(def), true), deep).map(
              (values) => new Set(values),
            ),
          ),
        ]);
      case 'map':
        return fit(schema, [
          one(
            fc
              .array(
                fc.tuple(this.walk(def.keyType, depth + 1), this.walk(def.valueType, depth + 1)),
                {
                  maxLength: deep ? 0 : 4,
                },
              )
              .map((entries) => new Map(entries)),
          ),
        ]);
      case 'tuple': {
        const items = def.items.map((item) => this.walk(item, depth + 1));
        const rest = def.rest
          ? fc.array(this.walk(def.rest, depth + 1), { maxLength: deep ? 0 : 3 })
          : fc.constant([]);
        return fit(schema, [one(fc.tuple(fc.tuple(...items), rest).map(([a, b]) => [...a, ...b]))]);
      }
      case 'record': {
        const value = this.walk(def.valueType, depth + 1);
        const exhaustive = def.keyType._zod.values;
        if (exhaustive) {
          const model: Record<string, fc.Arbitrary<unknown>> = {};
          for (const key of exhaustive)
            if (typeof key === 'string' || typeof key === 'number') model[String(key)] = value;
          return fit(schema, [one(fc.record(model))]);
        }
        const key = this.walk(def.keyType, depth + 1).map((k) =>
          typeof k === 'string' ? k : String(k),
        );
        return fit(schema, [one(fc.dictionary(key, value, { maxKeys: deep ? 0 : 4 }))]);
      }
      case 'union': {
        const options = def.options.map((option) => this.walk(option, depth + 1));
        return fit(schema, [one(options.length === 1 ? options[0]! : fc.oneof(...options))]);
      }
      case 'intersection': {
        const merged = fc
          .tuple(this.walk(def.left, depth + 1), this.walk(def.right, depth + 1))
          .map(([a, b]) => (isPlainObject(a) && isPlainObject(b) ? { ...a, ...b } : a));
        return fit(schema, [one(merged)]);
      }
      case 'optional':
        if (deep) return fc.constant(undefined);
        return fc.oneof(
          { weight: 1, arbitrary: fc.constant(undefined) },
          { weight: 4, arbitrary: this.walk(def.innerType, depth) },
        );
      case 'nullable':
        if (deep) return fc.constant(null);
        return fc.oneof(
          { weight: 1, arbitrary: fc.constant(null) },
          { weight: 4, arbitrary: this.walk(def.innerType, depth) },
        );
      case 'default':
        // `undefined` takes the default; the default itself is an output, not an input.
        if (deep) return fc.constant(undefined);
        return fit(schema, [
          one(fc.constant(undefined), 1),
          one(this.walk(def.innerType, depth), 3),
        ]);
      case 'prefault':
        if (deep) return fc.constant(undefined);
        return fit(schema, [
          one(fc.constant(undefined), 1),
          one(
            fc.constant(null).map(() => def.defaultValue),
            1,
          ),
          one(this.walk(def.innerType, depth), 3),
        ]);
      case 'nonoptional':
        return this.walk(def.innerType, depth).filter((v) => v !== undefined);
      case 'readonly':
      case 'catch':
        return this.walk(def.innerType, depth);
      case 'pipe':
        // The input side: what the client sends. A transform's output is never sent.
        return fit(schema, [one(this.walk(def.in, depth))]);
      case 'transform':
      case 'success':
        return anyValue;
      case 'lazy':
        return this.walk(def.getter(), depth + 1);
      case 'promise':
        return this.walk(def.innerType, depth).map((v) => Promise.resolve(v));
      case 'custom':
      case 'function':
      case 'file':
        return fit(schema, [one(anyValue)]);
      default:
        return fit(schema, [one(anyValue)]);
    }
  }
}

/** Values that are mostly valid for `schema` (see the module comment). */
export function arbitraryFor(
  schema: Schema,
  options: ArbitraryOptions = {},
): fc.Arbitrary<unknown> {
  return new Walker(options).walk(schema, 0);
}

// ---------------------------------------------------------------------------------------
// Invalid values

/** Keys that have broken parsers and merges before. */
export const POLLUTING_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'then',
];

const hugeString = fc
  .tuple(
    fc.constantFrom('a', ' ', 'ñ', '😀', '\u0000', "'", '%', '{{', '../'),
    fc.integer({ min: 10_000, max: 100_000 }),
  )
  .map(([chars, n]) => chars.repeat(n));

const specialNumber = fc.constantFrom(
  Number.NaN,
  -0,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_SAFE_INTEGER - 2,
  2 ** 31,
  -(2 ** 31) - 1,
  1e21,
  0.1 + 0.2,
);

const specialString = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uFEFF',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e999',
  'true',
  '[]',
  '{}',
  "'; DROP TABLE tenants;--",
  '../../etc/passwd',
  '%00',
  '${7*7}',
  '<script>alert(1)</script>',
);

/** An object with own prototype-pollution keys, as JSON.parse builds them. */
const pollutingObject = fc
  .tuple(fc.constantFrom(...POLLUTING_KEYS), fc.jsonValue({ maxDepth: 1 }))
  .map(
    ([key, value]) =>
      JSON.parse(
        `{"${key}": {"polluted": ${JSON.stringify(value ?? null)}}, "prototype": {"polluted": true}}`,
      ) as unknown,
  );

const deepNesting = fc
  .tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean())
  .map(([depth, arrays]) => {
    let value: unknown = 'bottom';
    for (let i = 0; i < depth; i++) value = arrays && i % 2 === 0 ? [value] : { a: value };
    return value;
  });

/** Anything at all, with the values that break code most often over-represented. */
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.anything({
      maxDepth: 3,
      key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...POLLUTING_KEYS)),
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withTypedArray: true,
      withSparseArray: true,
      withBoxedValues: true,
    }),
  },
  { weight: 1, arbitrary: hugeString },
  { weight: 2, arbitrary: specialNumber },
  { weight: 2, arbitrary: specialString },
  { weight: 1, arbitrary: pollutingObject },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, true, false, 0n, 2n ** 64n) },
  { weight: 1, arbitrary: fc.constant(null).map(() => new Date(Number.NaN)) },
);

/** A value of another kind than `schema` takes (filtered by the schema, when that can be done). */
const otherKinds = fc.oneof(
  fc.string({ maxLength: 20 }),
  specialString,
  fc.integer(),
  specialNumber,
  fc.boolean(),
  fc.constantFrom(null, undefined),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
  fc.bigInt(),
  fc.date(),
  pollutingObject,
  hugeString,
);

const acceptsAlmostAnything = new WeakMap<Schema, boolean>();

function replacementFor(schema: Schema): fc.Arbitrary<unknown> | null {
  let lax = acceptsAlmostAnything.get(schema);
  if (lax === undefined) {
    lax = acceptance(schema, otherKinds) > 0.85;
    acceptsAlmostAnything.set(schema, lax);
  }
  return lax ? null : otherKinds.filter((v) => !accepts(schema, v));
}

type Path = Array<string | number>;

interface Slot {
  path: Path;
  schema: Schema;
  /** The object this slot is a field of, when it is one. */
  parent?: z.core.$ZodObject;
  key?: string;
}

/** Unwraps optional, nullable, default… to the schema the present value is checked by. */
function unwrap(schema: Schema): Schema {
  let current = schema;
  for (let i = 0; i < 50; i++) {
    const def = current._zod.def as Def;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'nonoptional':
      case 'readonly':
      case 'catch':
        current = def.innerType;
        continue;
      case 'pipe':
        current = def.in;
        continue;
      case 'lazy':
        current = def.getter();
        continue;
      default:
        return current;
    }
  }
  return current;
}

/** Every present part of `value` with the schema that checks it, the root included. */
function slotsOf(schema: Schema, value: unknown, path: Path = [], slots: Slot[] = []): Slot[] {
  if (path.length > 20) return slots;
  const inner = unwrap(schema);
  const def = inner._zod.def as Def;
  switch (def.type) {
    case 'object':
      if (isPlainObject(value))
        for (const [key, field] of Object.entries(def.shape as Record<string, Schema>)) {
          if (!Object.hasOwn(value, key) || value[key] === undefined) continue;
          slots.push({
            path: [...path, key],
            schema: field,
            parent: inner as z.core.$ZodObject,
            key,
          });
          slotsOf(field, value[key], [...path, key], slots);
        }
      break;
    case 'array':
      if (Array.isArray(value))
        value.slice(0, 5).forEach((item, i) => {
          slots.push({ path: [...path, i], schema: def.element });
          slotsOf(def.element, item, [...path, i], slots);
        });
      break;
    case 'tuple':
      if (Array.isArray(value))
        def.items.forEach((item, i) => {
          if (i >= value.length) return;
          slots.push({ path: [...path, i], schema: item });
          slotsOf(item, value[i], [...path, i], slots);
        });
      break;
    case 'record':
      if (isPlainObject(value))
        for (const key of Object.keys(value).slice(0, 5)) {
          slots.push({ path: [...path, key], schema: def.valueType });
          slotsOf(def.valueType, value[key], [...path, key], slots);
        }
      break;
    case 'union': {
      const option = def.options.find((o) => accepts(o, value));
      if (option) slotsOf(option, value, path, slots);
      break;
    }
    case 'intersection':
      slotsOf(def.left, value, path, slots);
      slotsOf(def.right, value, path, slots);
      break;
  }
  return slots;
}

/** A copy of `value` with `path` set to `replacement` (or deleted), sharing untouched parts. */
function setAt(value: unknown, path: Path, replacement: unknown, remove = false): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string | number, ...Path];
  const container = value as Record<string | number, unknown>;
  // Own descriptors, not assignment: a copied `__proto__` key stays a key.
  const copy = Array.isArray(value)
    ? ([...(value as unknown[])] as unknown as Record<string | number, unknown>)
    : (Object.create(
        Object.getPrototypeOf(value) as object | null,
        Object.getOwnPropertyDescriptors(value),
      ) as Record<string, unknown>);
  if (rest.length === 0 && remove) delete copy[head];
  else
    Object.defineProperty(copy, head, {
      value: setAt(container[head], rest, replacement, remove),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}

function replaceOneField(schema: Schema, value: unknown): fc.Arbitrary<unknown> {
  const slots = [{ path: [], schema } as Slot, ...slotsOf(schema, value)]
    .map((slot) => ({ slot, replacement: replacementFor(slot.schema) }))
    .filter((s) => s.replacement !== null);
  if (slots.length === 0) return hostile;
  return fc
    .integer({ min: 0, max: slots.length - 1 })
    .chain((i) => slots[i]!.replacement!.map((r) => setAt(value, slots[i]!.slot.path, r)));
}

function dropRequiredField(schema: Schema, value: unknown): fc.Arbitrary<unknown> {
  const required = slotsOf(schema, value).filter(
    (s) => s.parent && s.key !== undefined && s.schema._zod.optin === undefined,
  );
  if (required.length === 0) return replaceOneField(schema, value);
  return fc.constantFrom(...required).map((slot) => setAt(value, slot.path, undefined, true));
}

function addUnknownKey(schema: Schema, value: unknown): fc.Arbitrary<unknown> {
  const objects = [{ path: [], schema } as Slot, ...slotsOf(schema, value)].filter(
    (s) =>
      isPlainObject(get(value, s.path)) && (unwrap(s.schema)._zod.def as Def).type === 'object',
  );
  if (objects.length === 0) return replaceOneField(schema, value);
  // Strict objects refuse unknown keys: prefer them, the others strip what they do not know.
  const strict = objects.filter((s) => {
    const catchall = (unwrap(s.schema)._zod.def as unknown as { catchall?: Schema }).catchall;
    return catchall !== undefined && (catchall._zod.def as Def).type === 'never';
  });
  const targets = strict.length > 0 ? strict : objects;
  return fc
    .tuple(
      fc.constantFrom(...targets),
      fc.oneof(fc.constantFrom(...POLLUTING_KEYS), fc.string({ minLength: 1, maxLength: 12 })),
      fc.oneof(fc.jsonValue({ maxDepth: 1 }), pollutingObject),
    )
    .filter(([slot, key]) => {
      const shape = (unwrap(slot.schema)._zod.def as unknown as { shape: Record<string, Schema> })
        .shape;
      return !Object.hasOwn(shape, key);
    })
    .map(([slot, key, extra]) => setAt(value, [...slot.path, key], extra));
}

function get(value: unknown, path: Path): unknown {
  let node = value;
  for (const key of path) node = (node as Record<string | number, unknown> | undefined)?.[key];
  return node;
}

/**
 * Values that mostly fail `schema`: a valid value with one field (at any depth) of another
 * type, a required field dropped, an unknown key added; or something hostile altogether.
 */
export function invalidFor(schema: Schema, options: ArbitraryOptions = {}): fc.Arbitrary<unknown> {
  const valid = arbitraryFor(schema, options);
  return fc.oneof(
    { weight: 5, arbitrary: valid.chain((v) => replaceOneField(schema, v)) },
    { weight: 2, arbitrary: valid.chain((v) => dropRequiredField(schema, v)) },
    { weight: 1, arbitrary: valid.chain((v) => addUnknownKey(schema, v)) },
    { weight: 2, arbitrary: hostile },
  );
}

// ---------------------------------------------------------------------------------------
// tRPC inputs

/**
 * One schema for a procedure's input parsers, applied as tRPC applies them: each parser
 * reads the whole raw input and the results are merged. Objects merge into one object
 * (strip mode, as the parsers are not strict); anything else is an intersection.
 * No parser: the procedure takes no input (`undefined`).
 */
export function mergedInputSchema(inputs: readonly unknown[]): Schema {
  const schemas = inputs.map((input, i) => {
    if (typeof input !== 'object' || input === null || !('_zod' in input))
      throw new Error(`input parser #${i} is not a zod 4 schema: cannot derive inputs for it`);
    return input as Schema;
  });
  if (schemas.length === 0) return z.undefined();
  if (schemas.length === 1) return schemas[0]!;
  if (schemas.every((s) => (s._zod.def as Def).type === 'object'))
    return z.object(
      Object.assign(
        {},
        ...schemas.map((s) => (s._zod.def as unknown as { shape: Record<string, Schema> }).shape),
      ) as Record<string, z.ZodType>,
    );
  return schemas.reduce((a, b) => z.intersection(a as z.ZodType, b as z.ZodType));
}
