import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchOf,
  compileChannels,
  createValidationState,
  describeViolations,
  validateBatch,
  type ChannelBinding,
} from './engine';
import { FLAG, RULES } from './rules';

const T0 = Date.UTC(2026, 10, 27, 5, 0, 0); // 00:00 Bogotá
const MIN = 60_000;
const NOW = T0 + 24 * 60 * MIN;

const BINDINGS: ChannelBinding[] = [
  { id: 'thp', variable: 'tubing_head_pressure', unit: 'psig' },
  { id: 'thp-kpa', variable: 'tubing_head_pressure', unit: 'kPag' },
  { id: 'lact-total', variable: 'fiscal_gross_totalizer', unit: 'bbl', rolloverAt: 1_000_000 },
  { id: 'temp-c', variable: 'flowline_temperature', unit: 'degC' },
  { id: 'status', variable: 'well_status', unit: 'state' },
];
const { compiled } = compileChannels(BINDINGS);
const CH = { thp: 0, thpKpa: 1, total: 2, tempC: 3, status: 4 };

function run(
  samples: Parameters<typeof batchOf>[0],
  state = createValidationState(compiled.count),
) {
  const batch = batchOf(samples);
  const outcome = validateBatch(compiled, state, batch, { nowMs: NOW });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.error));
  const views = describeViolations(compiled, batch, outcome.result.violations, 'es');
  return { ...outcome.result, ids: views.map((v) => v.ruleId), views };
}

/** A quiet, plausible series for THP: slowly varying around 850 psig, one sample a minute. */
const goodThp = (count: number, from = T0) =>
  Array.from({ length: count }, (_, k) => ({
    channel: CH.thp,
    timestamp: from + k * MIN,
    value: 850 + 5 * Math.sin(k / 7),
  }));

describe('rule catalogue', () => {
  it('has at least 300 uniquely identified rules covering all 12 families, each bilingual', () => {
    expect(RULES.length).toBeGreaterThanOrEqual(300);
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    expect(new Set(RULES.map((r) => r.family)).size).toBe(12);
    for (const rule of RULES) {
      expect(rule.message.es.length).toBeGreaterThan(0);
      expect(rule.message.en.length).toBeGreaterThan(0);
    }
    expect(RULES.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'range.tubing_head_pressure',
        'totalizer.reset.fiscal_gross_totalizer',
      ]),
    );
  });

  it('converts gas reported at another base to the tenant base (one gas base)', () => {
    const { compiled: gas } = compileChannels(
      [
        {
          id: 'gas-api',
          variable: 'gas_standard_flow',
          unit: 'kscf/d',
          gasBase: { temperatureF: 60, pressurePsia: 14.696 },
        },
        { id: 'gas-co', variable: 'gas_standard_flow', unit: 'kscf/d' },
      ],
      { gasBase: { temperatureF: 60, pressurePsia: 14.65 } },
    );
    expect(gas.factor[0]).toBeCloseTo(14.696 / 14.65, 12);
    expect(gas.factor[1]).toBe(1);
  });

  it('refuses bindings with unknown variables or units the variable does not accept', () => {
    const { errors, compiled: c } = compileChannels([
      { id: 'a', variable: 'no_such_variable', unit: 'psig' },
      { id: 'b', variable: 'tubing_head_pressure', unit: 'bbl' },
      { id: 'c', variable: 'tubing_head_pressure', unit: 'psia' },
      { id: 'd', variable: 'tubing_head_pressure', unit: 'barg' },
    ]);
    expect(errors.map((e) => e.kind)).toEqual([
      'unknown_variable',
      'unit_not_accepted',
      'unit_not_accepted',
    ]);
    expect(c.count).toBe(1);
  });
});

describe('sample rules: each fires on a bad case and stays quiet on a good one', () => {
  it('a good series passes clean and converts units', () => {
    const r = run([
      ...goodThp(200),
      { channel: CH.thpKpa, timestamp: T0, value: 6000 },
      { channel: CH.tempC, timestamp: T0, value: 80 },
    ]);
    expect(r.ids).toEqual([]);
    expect([...r.flags].every((f) => f === FLAG.G)).toBe(true);
    expect(r.values[200]).toBeCloseTo(6000 / 6.894757293168361, 9);
    expect(r.values[201]).toBeCloseTo(176, 9);
  });

  it('schema: non-finite values are Bad', () => {
    const r = run([
      { channel: CH.thp, timestamp: T0, value: Number.NaN },
      { channel: CH.thp, timestamp: T0 + MIN, value: Infinity },
    ]);
    expect(r.ids).toEqual([
      'schema.finite.tubing_head_pressure',
      'schema.finite.tubing_head_pressure',
    ]);
    expect([...r.flags]).toEqual([FLAG.B, FLAG.B]);
  });

  it('range: outside physical is Bad, outside typical is a warning only', () => {
    const r = run([
      { channel: CH.thp, timestamp: T0, value: 20_000 },
      { channel: CH.thp, timestamp: T0 + MIN, value: 5 },
    ]);
    expect(r.ids).toEqual(['range.tubing_head_pressure', 'typical.tubing_head_pressure']);
    expect([...r.flags]).toEqual([FLAG.B, FLAG.G]);
    expect(r.views[0]!.message).toBe(
      'Presión en cabeza de tubería (THP): 20000 psig fuera del rango físico [-14.7, 15000]',
    );
  });

  it('rate of change: a spike warns', () => {
    const r = run([...goodThp(3), { channel: CH.thp, timestamp: T0 + 3 * MIN, value: 3000 }]);
    expect(r.ids).toEqual(['roc.tubing_head_pressure']);
  });

  it('stuck: a frozen transmitter turns Bad after its window, and recovers when it moves', () => {
    const frozen = Array.from({ length: 150 }, (_, k) => ({
      channel: CH.thp,
      timestamp: T0 + k * MIN,
      value: 850,
    }));
    const r = run([...frozen, { channel: CH.thp, timestamp: T0 + 150 * MIN, value: 851 }]);
    const firstStuck = r.ids.indexOf('stuck.tubing_head_pressure');
    expect(firstStuck).toBeGreaterThanOrEqual(0);
    expect(r.views[firstStuck]!.sample).toBe(120);
    expect(r.flags[119]).toBe(FLAG.G);
    expect(r.flags[149]).toBe(FLAG.B);
    expect(r.flags[150]).toBe(FLAG.G);
  });

  it('status: Bad source quality is Bad, Uncertain is a warning', () => {
    const r = run([
      { channel: CH.thp, timestamp: T0, value: 850, sourceStatus: 2 },
      { channel: CH.thp, timestamp: T0 + MIN, value: 850, sourceStatus: 1 },
    ]);
    expect(r.ids).toEqual([
      'quality.bad.tubing_head_pressure',
      'quality.uncertain.tubing_head_pressure',
    ]);
    expect([...r.flags]).toEqual([FLAG.B, FLAG.G]);
  });

  it('completeness and timeliness: future, duplicate and late samples', () => {
    const r = run([
      ...goodThp(3),
      { channel: CH.thp, timestamp: T0 + 2 * MIN, value: 999 },
      { channel: CH.thp, timestamp: T0 + MIN / 2, value: 852 },
      { channel: CH.thp, timestamp: NOW + 60 * MIN, value: 852 },
    ]);
    expect(r.ids).toEqual([
      'completeness.duplicate.tubing_head_pressure',
      'timeliness.out_of_order.tubing_head_pressure',
      'timeliness.future.tubing_head_pressure',
    ]);
    expect([...r.accepted]).toEqual([1, 1, 1, 0, 1, 1]);
    expect(r.flags[5]).toBe(FLAG.B);
  });

  it('totalizer: reset warns, rollover informs, an impossible jump is Bad, steady counting is quiet', () => {
    const t = (k: number, value: number) => ({ channel: CH.total, timestamp: T0 + k * MIN, value });
    expect(run([t(0, 1000), t(1, 1100), t(2, 1200)]).ids).toEqual([]);
    expect(run([t(0, 999_950), t(1, 30)]).ids).toEqual([
      'totalizer.rollover.fiscal_gross_totalizer',
    ]);
    expect(run([t(0, 5000), t(1, 10)]).ids).toEqual(['totalizer.reset.fiscal_gross_totalizer']);
    const jump = run([t(0, 1000), t(1, 100_000)]);
    expect(jump.ids).toEqual(['totalizer.jump.fiscal_gross_totalizer']);
    expect(jump.flags[1]).toBe(FLAG.B);
  });

  it('statistical: a step far outside the EWMA band is flagged, the value kept', () => {
    const r = run([...goodThp(60), { channel: CH.thp, timestamp: T0 + 60 * MIN, value: 1100 }]);
    expect(r.ids).toContain('spc.tubing_head_pressure');
    expect(r.flags[60]).toBe(FLAG.G);
    expect(r.values[60]).toBe(1100);
  });
});

describe('state handling', () => {
  it('leaves the input state untouched and resumes across batch boundaries exactly', () => {
    const samples = [
      ...goodThp(50),
      { channel: CH.thp, timestamp: T0 + 50 * MIN, value: 3000 },
      ...goodThp(149, T0 + 51 * MIN),
    ];
    const whole = run(samples);
    const initial = createValidationState(compiled.count);
    const first = run(samples.slice(0, 120), initial);
    expect(initial.lastTimestamp[CH.thp]).toBe(Number.NEGATIVE_INFINITY);
    const second = run(samples.slice(120), first.state);
    expect([...first.ids, ...second.ids]).toEqual(whole.ids);
    expect([...first.flags, ...second.flags]).toEqual([...whole.flags]);
  });

  it('returns a typed error for a malformed batch and changes nothing', () => {
    const state = createValidationState(compiled.count);
    const bad = batchOf([{ channel: 99, timestamp: T0, value: 1 }]);
    expect(validateBatch(compiled, state, bad, { nowMs: NOW })).toEqual({
      ok: false,
      error: { kind: 'unknown_channel', sample: 0, channel: 99 },
    });
    const short = { ...batchOf([{ channel: 0, timestamp: T0, value: 1 }]), length: 2 };
    expect(validateBatch(compiled, state, short, { nowMs: NOW })).toMatchObject({
      ok: false,
      error: { kind: 'length_mismatch' },
    });
  });

  it('never throws and always flags, whatever the numbers (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            channel: fc.integer({ min: 0, max: 4 }),
            timestamp: fc.oneof(fc.double(), fc.integer({ min: T0, max: NOW })),
            value: fc.double(),
            sourceStatus: fc.integer({ min: 0, max: 2 }),
          }),
          { maxLength: 200 },
        ),
        (samples) => {
          const r = run(samples);
          return r.flags.length === samples.length && [...r.flags].every((f) => f <= FLAG.M);
        },
      ),
    );
  });
});
