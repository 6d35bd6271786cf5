import { describe, expect, it } from 'vitest';
import { aggregateSimulatedField, simulateField, type SimulatedPoint } from '../simulation/field';
import { api60FromObserved, evaluateDayRules, type RuleOutcome } from './day-rules';
import { RULES } from './rules';
import { api111Vcf, apiToDensity60, density60ToApi } from '../measurement/api-11-1';

const DAY = '2026-11-27';

function field(mutate?: (points: SimulatedPoint[]) => void) {
  const points = simulateField({ day: DAY, wells: 3, seed: 11 });
  mutate?.(points);
  return evaluateDayRules(aggregateSimulatedField(DAY, points));
}

function variable(points: SimulatedPoint[], point: string, code: string) {
  const found = points.find((p) => p.code === point)?.variables.find((v) => v.code === code);
  if (!found) throw new Error(`${point}/${code} not simulated`);
  return found;
}

const scale = (points: SimulatedPoint[], point: string, code: string, factor: number) => {
  const v = variable(points, point, code);
  v.samples = v.samples.map((s) => ({ ...s, value: s.value * factor }));
};

const violations = (results: RuleOutcome[]) =>
  results.filter((r) => r.status === 'violation').map((r) => `${r.ruleId}@${r.point ?? 'field'}`);

describe('day and slot rules on a consistent simulated field', () => {
  const clean = field();

  it('evaluate every aggregate rule and find nothing wrong', () => {
    expect(violations(clean)).toEqual([]);
    const evaluated = new Set(
      clean.filter((r) => r.status !== 'not_evaluated').map((r) => r.ruleId),
    );
    const aggregateRules = RULES.filter((r) => r.scope !== 'sample').map((r) => r.id);
    expect([...evaluated].sort()).toEqual([...aggregateRules].sort());
  });

  it.each([
    [
      'completeness.slot_missing',
      (p: SimulatedPoint[]) => {
        const v = variable(p, 'W-001', 'tubing_head_pressure');
        v.samples = v.samples.slice(10);
      },
      'W-001',
    ],
    [
      'completeness.slot',
      (p: SimulatedPoint[]) => {
        const v = variable(p, 'W-002', 'casing_head_pressure');
        v.samples = v.samples.filter((_, k) => k % 10 < 5);
      },
      'W-002',
    ],
    [
      'status.flow_while_shut_in',
      (p: SimulatedPoint[]) => {
        const v = variable(p, 'W-001', 'well_status');
        v.samples = v.samples.map((s, k) => (k < 30 ? { ...s, value: 0 } : s));
      },
      'W-001',
    ],
    [
      'status.volume_without_hours',
      (p: SimulatedPoint[]) => scale(p, 'W-003', 'hours_on', 0),
      'W-003',
    ],
    [
      'cross_variable.nsv_le_gsv',
      (p: SimulatedPoint[]) => scale(p, 'LACT-01', 'fiscal_nsv_totalizer', 1.01),
      'LACT-01',
    ],
    [
      'cross_variable.gsv_vs_gov',
      (p: SimulatedPoint[]) => scale(p, 'LACT-01', 'fiscal_meter_factor', 1.003),
      'LACT-01',
    ],
    [
      'cross_variable.bsw_vs_water',
      (p: SimulatedPoint[]) => scale(p, 'LACT-01', 'fiscal_bsw', 3),
      'LACT-01',
    ],
    [
      'cross_variable.gor_range',
      (p: SimulatedPoint[]) => {
        scale(p, 'SEP-01', 'separator_gas_totalizer', 60);
      },
      'SEP-01',
    ],
    [
      'cross_variable.api60_vs_observed',
      (p: SimulatedPoint[]) => scale(p, 'LACT-01', 'fiscal_api_gravity_60', 1.1),
      'LACT-01',
    ],
    [
      'cross_variable.gas_composition_sum',
      (p: SimulatedPoint[]) => scale(p, 'GM-01', 'gas_c1', 1.05),
      'GM-01',
    ],
    [
      'balance.allocation_vs_fiscal',
      (p: SimulatedPoint[]) => scale(p, 'SEP-01', 'separator_oil_totalizer', 1.1),
      'field',
    ],
    [
      'balance.tank',
      (p: SimulatedPoint[]) => {
        const v = variable(p, 'TK-01', 'tank_gross_observed_volume');
        v.samples = v.samples.map((s, k) =>
          k === v.samples.length - 1 ? { ...s, value: s.value + 5000 } : s,
        );
      },
      'TK-01',
    ],
    [
      'balance.gas',
      (p: SimulatedPoint[]) => scale(p, 'GM-01', 'gas_standard_totalizer', 1.2),
      'field',
    ],
    [
      'totalizer.vs_integrated_rate',
      (p: SimulatedPoint[]) => scale(p, 'INJ-01', 'injection_rate', 0.9),
      'INJ-01',
    ],
    [
      'stuck.totalizer_not_moving',
      (p: SimulatedPoint[]) => {
        // The oil counter freezes for 100 minutes while oil keeps flowing, then resumes.
        const v = variable(p, 'SEP-01', 'separator_oil_totalizer');
        const frozenAt = v.samples[300]!.value;
        const lost = v.samples[399]!.value - frozenAt;
        v.samples = v.samples.map((s, k) =>
          k >= 300 && k < 400
            ? { ...s, value: frozenAt }
            : k >= 400
              ? { ...s, value: s.value - lost }
              : s,
        );
      },
      'SEP-01',
    ],
    [
      'cumulative.monotonic',
      (p: SimulatedPoint[]) => {
        const v = variable(p, 'FL-01', 'flare_totalizer');
        v.samples = v.samples.map((s, k) => (k >= 700 ? { ...s, value: s.value - 30_000 } : s));
      },
      'FL-01',
    ],
    [
      'calibration.proving_expired',
      (p: SimulatedPoint[]) => scale(p, 'LACT-01', 'fiscal_days_since_proving', 3),
      'LACT-01',
    ],
    [
      'calibration.meter_factor_change',
      (p: SimulatedPoint[]) => {
        const v = variable(p, 'LACT-01', 'fiscal_meter_factor');
        v.samples = v.samples.map((s, k) => (k > 700 ? { ...s, value: 1.006 } : s));
      },
      'LACT-01',
    ],
  ])('%s fires when the field breaks it', (ruleId, mutate, point) => {
    expect(violations(field(mutate))).toContain(`${ruleId}@${point}`);
  });

  it('checks NSV ≤ GSV slot by slot, not only on the day total', () => {
    const results = field((p) => {
      // Net volume counted early in slot 30 and late in slot 31: the day total is unchanged.
      const v = variable(p, 'LACT-01', 'fiscal_nsv_totalizer');
      v.samples = v.samples.map((s, k) =>
        k >= 300 && k < 320
          ? { ...s, value: s.value + (k < 310 ? (5 * (k - 299)) / 10 : (5 * (320 - k)) / 10) }
          : s,
      );
    });
    const outcome = results.find((r) => r.ruleId === 'cross_variable.nsv_le_gsv')!;
    expect(outcome.status).toBe('violation');
    expect(outcome.slots).toEqual([30]);
    expect(outcome.value!).toBeLessThanOrEqual(outcome.reference!);
  });

  it('says not_evaluated instead of guessing when a variable is missing', () => {
    const results = field((p) => {
      const lact = p.find((x) => x.code === 'LACT-01')!;
      lact.variables = lact.variables.filter((v) => v.code !== 'fiscal_api_gravity');
    });
    expect(results.find((r) => r.ruleId === 'cross_variable.api60_vs_observed')?.status).toBe(
      'not_evaluated',
    );
  });
});

describe('api60FromObserved', () => {
  it('inverts the API 11.1 correction', () => {
    // Oil is lighter (higher API) hot: observe it at temperature, convert back to 60 °F.
    for (const [api60, temperature] of [
      [28, 120],
      [15, 180],
      [40, 40],
    ] as const) {
      const vcf = api111Vcf({ api60, temperatureF: temperature, pressurePsig: 0 });
      if (!vcf.ok) throw new Error('outside API 11.1');
      const observed = density60ToApi(apiToDensity60(api60) * vcf.value.ctl);
      if (temperature > 60) expect(observed).toBeGreaterThan(api60);
      expect(api60FromObserved(observed, temperature)).toBeCloseTo(api60, 6);
    }
    expect(api60FromObserved(28, 60)).toBeCloseTo(28, 6);
  });
});
