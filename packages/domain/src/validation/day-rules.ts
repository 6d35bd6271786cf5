import type { DayAggregation } from '../aggregation/slots';
import { SLOTS_PER_DAY } from '../aggregation/bogota-day';
import { api111Vcf, apiToDensity60, density60ToApi } from '../measurement/api-11-1';
import type { PointKind } from '../tenancy';
import { RULES, type RuleDefinition } from './rules';
import { AppError } from '../errors';

/**
 * Rules over aggregated data: per 10-minute slot (completeness, status) and per day
 * (cross-variable physics, balances, totalizer against integrated rate, cumulative
 * monotonicity, calibration). Every rule reports ok, violation or not_evaluated (when the
 * field lacks the variables it needs), so a report shows what was checked, not just what
 * failed.
 */
export interface VariableDay {
  code: string;
  /** Aggregated canonical values of the day. */
  aggregation: DayAggregation;
}

export interface PointDay {
  code: string;
  name: string;
  kind: PointKind;
  variables: VariableDay[];
}

export interface FieldDay {
  day: string;
  points: PointDay[];
}

export interface DayRuleConfig {
  /** Slots below this completeness get a completeness.slot event. */
  minSlotCompleteness: number;
  gorRangeScfPerBbl: readonly [number, number];
  allocationTolerancePercent: number;
  tankBalanceTolerancePercent: number;
  gasBalanceTolerancePercent: number;
  totalizerVsRateTolerancePercent: number;
  gsvTolerancePercent: number;
  bswTolerancePoints: number;
  api60ToleranceDegrees: number;
  maxDaysSinceProving: number;
  meterFactorMaxChangePercent: number;
  /** Meter factor of the previous proving, per fiscal point code. */
  previousMeterFactor?: Readonly<Record<string, number>>;
}

export const DEFAULT_DAY_RULE_CONFIG: DayRuleConfig = {
  minSlotCompleteness: 0.8,
  gorRangeScfPerBbl: [0, 20_000],
  allocationTolerancePercent: 5,
  tankBalanceTolerancePercent: 2,
  gasBalanceTolerancePercent: 5,
  totalizerVsRateTolerancePercent: 2,
  gsvTolerancePercent: 0.25,
  bswTolerancePoints: 0.5,
  api60ToleranceDegrees: 0.5,
  maxDaysSinceProving: 30,
  meterFactorMaxChangePercent: 0.25,
};

export type RuleStatus = 'ok' | 'violation' | 'not_evaluated';

export interface RuleOutcome {
  ruleId: string;
  status: RuleStatus;
  point: string | null;
  variable: string | null;
  value: number | null;
  reference: number | null;
  /** Slots concerned, for slot-scope rules. */
  slots?: number[];
}

const RULE_BY_ID = new Map(RULES.map((r) => [r.id, r]));

export function ruleDefinition(id: string): RuleDefinition {
  const rule = RULE_BY_ID.get(id);
  if (!rule) throw new AppError('NOT_FOUND', `Unknown rule ${id}`, { details: { id } });
  return rule;
}

// --- helpers over aggregated series -------------------------------------------------

function find(point: PointDay, code: string): DayAggregation | undefined {
  return point.variables.find((v) => v.code === code)?.aggregation;
}

/** Mean of the slot means that exist (the day's time-weighted mean for evenly covered slots). */
export function dayMean(aggregation: DayAggregation | undefined): number | null {
  if (!aggregation) return null;
  let sum = 0;
  let count = 0;
  for (const slot of aggregation.slots) {
    if (slot.mean !== null) {
      sum += slot.mean;
      count++;
    }
  }
  return count === 0 ? null : sum / count;
}

export function dayLast(aggregation: DayAggregation | undefined): number | null {
  if (!aggregation) return null;
  for (let k = aggregation.slots.length - 1; k >= 0; k--) {
    const last = aggregation.slots[k]!.last;
    if (last !== null) return last;
  }
  return null;
}

export function dayFirst(aggregation: DayAggregation | undefined): number | null {
  if (!aggregation) return null;
  for (const slot of aggregation.slots) if (slot.first !== null) return slot.first;
  return null;
}

/** A rate in units/day integrated over the slots that have data: units produced that day. */
export function integratedRate(aggregation: DayAggregation | undefined): number | null {
  if (!aggregation) return null;
  let total = 0;
  let seen = false;
  for (const slot of aggregation.slots) {
    if (slot.mean !== null) {
      total += slot.mean / SLOTS_PER_DAY;
      seen = true;
    }
  }
  return seen ? total : null;
}

const percentOff = (value: number, reference: number) =>
  reference === 0
    ? value === 0
      ? 0
      : Infinity
    : (Math.abs(value - reference) / Math.abs(reference)) * 100;

function outcome(
  ruleId: string,
  point: string | null,
  variable: string | null,
  status: RuleStatus,
  value: number | null = null,
  reference: number | null = null,
): RuleOutcome {
  return { ruleId, status, point, variable, value, reference };
}

const within = (
  ruleId: string,
  point: string | null,
  value: number | null,
  reference: number | null,
  tolerancePercent: number,
): RuleOutcome => {
  if (value === null || reference === null)
    return outcome(ruleId, point, null, 'not_evaluated', value, reference);
  return outcome(
    ruleId,
    point,
    null,
    percentOff(value, reference) <= tolerancePercent ? 'ok' : 'violation',
    value,
    reference,
  );
};

/** Observed API gravity at temperature → API at 60 °F (iterating the API 11.1 CTL). */
export function api60FromObserved(observedApi: number, temperatureF: number): number | null {
  const observedDensity = apiToDensity60(observedApi);
  let density60 = observedDensity;
  for (let i = 0; i < 20; i++) {
    const vcf = api111Vcf({ api60: density60ToApi(density60), temperatureF, pressurePsig: 0 });
    if (!vcf.ok) return null;
    const next = observedDensity / vcf.value.ctl;
    if (Math.abs(next - density60) < 1e-9) return density60ToApi(next);
    density60 = next;
  }
  return density60ToApi(density60);
}

const FLOW_TOTALIZER_PAIRS: Array<[flow: string, totalizer: string]> = [
  ['fiscal_gross_volume_flow', 'fiscal_gross_totalizer'],
  ['separator_oil_flow', 'separator_oil_totalizer'],
  ['separator_water_flow', 'separator_water_totalizer'],
  ['separator_gas_flow', 'separator_gas_totalizer'],
  ['gas_standard_flow', 'gas_standard_totalizer'],
  ['injection_rate', 'injection_totalizer'],
  ['flare_rate', 'flare_totalizer'],
];

const COMPOSITION = [
  'gas_c1',
  'gas_c2',
  'gas_c3',
  'gas_ic4',
  'gas_nc4',
  'gas_ic5',
  'gas_nc5',
  'gas_c6_plus',
  'gas_co2',
  'gas_n2',
];

/** Produced volume of a point: its totalizer's day total, else its integrated flow. */
function produced(point: PointDay, flow: string, totalizer: string): number | null {
  return find(point, totalizer)?.total ?? integratedRate(find(point, flow));
}

export function evaluateDayRules(
  field: FieldDay,
  config: DayRuleConfig = DEFAULT_DAY_RULE_CONFIG,
): RuleOutcome[] {
  const results: RuleOutcome[] = [];
  const ofKind = (kind: PointKind) => field.points.filter((p) => p.kind === kind);

  // Family 5, per slot: completeness of every variable.
  for (const point of field.points) {
    for (const variable of point.variables) {
      const missing: number[] = [];
      const thin: number[] = [];
      for (const slot of variable.aggregation.slots) {
        if (slot.count === 0) missing.push(slot.slot);
        else if (slot.completeness < config.minSlotCompleteness) thin.push(slot.slot);
      }
      results.push({
        ...outcome(
          'completeness.slot_missing',
          point.code,
          variable.code,
          missing.length ? 'violation' : 'ok',
          missing.length,
          SLOTS_PER_DAY,
        ),
        slots: missing,
      });
      results.push({
        ...outcome(
          'completeness.slot',
          point.code,
          variable.code,
          thin.length ? 'violation' : 'ok',
          thin.length,
          config.minSlotCompleteness,
        ),
        slots: thin,
      });
    }
  }

  for (const well of ofKind('well')) {
    // Family 6: flow while shut in (slot), volume without hours (day).
    const status = find(well, 'well_status');
    const rates = ['well_test_oil_rate', 'well_test_water_rate', 'well_test_gas_rate']
      .map((code) => find(well, code))
      .filter((a): a is DayAggregation => a !== undefined);
    if (!status || rates.length === 0) {
      results.push(outcome('status.flow_while_shut_in', well.code, null, 'not_evaluated'));
    } else {
      const slots = status.slots
        .filter((s) => s.mean === 0 && rates.some((r) => (r.slots[s.slot]!.mean ?? 0) > 0))
        .map((s) => s.slot);
      results.push({
        ...outcome(
          'status.flow_while_shut_in',
          well.code,
          null,
          slots.length ? 'violation' : 'ok',
          slots.length,
          0,
        ),
        slots,
      });
    }
    const hours = dayLast(find(well, 'hours_on'));
    const oil = integratedRate(find(well, 'well_test_oil_rate'));
    if (hours === null || oil === null)
      results.push(
        outcome('status.volume_without_hours', well.code, null, 'not_evaluated', oil, hours),
      );
    else
      results.push(
        outcome(
          'status.volume_without_hours',
          well.code,
          null,
          hours === 0 && oil > 0 ? 'violation' : 'ok',
          oil,
          hours,
        ),
      );
  }

  const fiscalNsv: number[] = [];
  for (const meter of ofKind('fiscal_liquid_meter')) {
    const gov = find(meter, 'fiscal_gross_totalizer')?.total ?? null;
    const gsv = find(meter, 'fiscal_gsv_totalizer')?.total ?? null;
    const nsv = find(meter, 'fiscal_nsv_totalizer')?.total ?? null;
    if (nsv !== null) fiscalNsv.push(nsv);
    // Family 7, per slot and per day: net can never exceed gross standard volume.
    if (gsv === null || nsv === null) {
      results.push(
        outcome('cross_variable.nsv_le_gsv', meter.code, null, 'not_evaluated', nsv, gsv),
      );
    } else {
      const gsvSlots = find(meter, 'fiscal_gsv_totalizer')!.slots;
      const badSlots = find(meter, 'fiscal_nsv_totalizer')!
        .slots.filter((s) => {
          const gross = gsvSlots[s.slot]!.delta;
          return s.delta !== null && gross !== null && s.delta > gross * (1 + 1e-9) + 1e-9;
        })
        .map((s) => s.slot);
      const dayOk = nsv <= gsv * (1 + 1e-9);
      results.push({
        ...outcome(
          'cross_variable.nsv_le_gsv',
          meter.code,
          null,
          dayOk && badSlots.length === 0 ? 'ok' : 'violation',
          nsv,
          gsv,
        ),
        slots: badSlots,
      });
    }
    const api60 = dayMean(find(meter, 'fiscal_api_gravity_60'));
    const temperature = dayMean(find(meter, 'fiscal_temperature'));
    const pressure = dayMean(find(meter, 'fiscal_pressure'));
    const meterFactor = dayLast(find(meter, 'fiscal_meter_factor'));
    let expectedGsv: number | null = null;
    if (
      gov !== null &&
      api60 !== null &&
      temperature !== null &&
      pressure !== null &&
      meterFactor !== null
    ) {
      const vcf = api111Vcf({ api60, temperatureF: temperature, pressurePsig: pressure });
      if (vcf.ok) expectedGsv = gov * vcf.value.ctpl * meterFactor;
    }
    results.push(
      within('cross_variable.gsv_vs_gov', meter.code, gsv, expectedGsv, config.gsvTolerancePercent),
    );
    const bsw = dayMean(find(meter, 'fiscal_bsw'));
    if (bsw === null || gsv === null || nsv === null || gsv === 0)
      results.push(outcome('cross_variable.bsw_vs_water', meter.code, null, 'not_evaluated', bsw));
    else {
      const fromVolumes = ((gsv - nsv) / gsv) * 100;
      results.push(
        outcome(
          'cross_variable.bsw_vs_water',
          meter.code,
          null,
          Math.abs(bsw - fromVolumes) <= config.bswTolerancePoints ? 'ok' : 'violation',
          bsw,
          fromVolumes,
        ),
      );
    }
    const observed = dayMean(find(meter, 'fiscal_api_gravity'));
    const computed =
      observed !== null && temperature !== null ? api60FromObserved(observed, temperature) : null;
    if (api60 === null || computed === null)
      results.push(
        outcome(
          'cross_variable.api60_vs_observed',
          meter.code,
          null,
          'not_evaluated',
          api60,
          computed,
        ),
      );
    else
      results.push(
        outcome(
          'cross_variable.api60_vs_observed',
          meter.code,
          null,
          Math.abs(api60 - computed) <= config.api60ToleranceDegrees ? 'ok' : 'violation',
          api60,
          computed,
        ),
      );
    // Family 11.
    const days = dayLast(find(meter, 'fiscal_days_since_proving'));
    results.push(
      days === null
        ? outcome('calibration.proving_expired', meter.code, null, 'not_evaluated')
        : outcome(
            'calibration.proving_expired',
            meter.code,
            null,
            days <= config.maxDaysSinceProving ? 'ok' : 'violation',
            days,
            config.maxDaysSinceProving,
          ),
    );
    const previousFactor =
      config.previousMeterFactor?.[meter.code] ?? dayFirst(find(meter, 'fiscal_meter_factor'));
    if (meterFactor === null || previousFactor === null)
      results.push(outcome('calibration.meter_factor_change', meter.code, null, 'not_evaluated'));
    else {
      const change = percentOff(meterFactor, previousFactor);
      results.push(
        outcome(
          'calibration.meter_factor_change',
          meter.code,
          null,
          change <= config.meterFactorMaxChangePercent ? 'ok' : 'violation',
          change,
          config.meterFactorMaxChangePercent,
        ),
      );
    }
  }

  let separatorOil: number | null = null;
  let separatorGas: number | null = null;
  for (const separator of ofKind('separator')) {
    const oil = produced(separator, 'separator_oil_flow', 'separator_oil_totalizer');
    const gas = produced(separator, 'separator_gas_flow', 'separator_gas_totalizer');
    if (oil !== null) separatorOil = (separatorOil ?? 0) + oil;
    if (gas !== null) separatorGas = (separatorGas ?? 0) + gas;
    if (oil === null || gas === null || oil <= 0)
      results.push(
        outcome('cross_variable.gor_range', separator.code, null, 'not_evaluated', null),
      );
    else {
      const gor = (gas * 1000) / oil;
      const [min, max] = config.gorRangeScfPerBbl;
      results.push(
        outcome(
          'cross_variable.gor_range',
          separator.code,
          null,
          gor >= min && gor <= max ? 'ok' : 'violation',
          gor,
          max,
        ),
      );
    }
  }

  for (const meter of ofKind('gas_meter')) {
    const parts = COMPOSITION.map((code) => dayMean(find(meter, code)));
    if (parts.some((p) => p === null))
      results.push(
        outcome('cross_variable.gas_composition_sum', meter.code, null, 'not_evaluated'),
      );
    else {
      const sum = parts.reduce<number>((a, b) => a + b!, 0);
      results.push(
        outcome(
          'cross_variable.gas_composition_sum',
          meter.code,
          null,
          Math.abs(sum - 100) <= 1 ? 'ok' : 'violation',
          sum,
          100,
        ),
      );
    }
  }

  // Family 8: balances.
  results.push(
    within(
      'balance.allocation_vs_fiscal',
      null,
      separatorOil,
      fiscalNsv.length ? fiscalNsv.reduce((a, b) => a + b, 0) : null,
      config.allocationTolerancePercent,
    ),
  );
  const fiscalGross = ofKind('fiscal_liquid_meter').map(
    (m) => find(m, 'fiscal_gross_totalizer')?.total ?? null,
  );
  for (const tank of ofKind('tank')) {
    const volume = find(tank, 'tank_gross_observed_volume');
    const opening = dayFirst(volume);
    const closing = dayLast(volume);
    const out =
      fiscalGross.every((v) => v !== null) && fiscalGross.length
        ? fiscalGross.reduce<number>((a, b) => a + b, 0)
        : null;
    if (opening === null || closing === null || separatorOil === null || out === null)
      results.push(outcome('balance.tank', tank.code, null, 'not_evaluated'));
    else {
      const expected = opening + separatorOil - out;
      const throughput = Math.max(separatorOil, out, 1);
      const difference = closing - expected;
      results.push(
        outcome(
          'balance.tank',
          tank.code,
          null,
          (Math.abs(difference) / throughput) * 100 <= config.tankBalanceTolerancePercent
            ? 'ok'
            : 'violation',
          difference,
          expected,
        ),
      );
    }
  }
  const metered = sumOrNull(
    ofKind('gas_meter').map((m) => produced(m, 'gas_standard_flow', 'gas_standard_totalizer')),
  );
  const flared = sumOrNull(
    ofKind('flare').map((f) => produced(f, 'flare_rate', 'flare_totalizer')),
  );
  const lift = ofKind('well').reduce(
    (sum, w) => sum + (integratedRate(find(w, 'gas_lift_injection_rate')) ?? 0),
    0,
  );
  const disposition =
    metered === null && flared === null ? null : (metered ?? 0) + (flared ?? 0) + lift;
  results.push(
    within('balance.gas', null, separatorGas, disposition, config.gasBalanceTolerancePercent),
  );

  // Families 9 and 10: totalizers against integrated rates; cumulatives never fall.
  for (const point of field.points) {
    for (const [flow, totalizer] of FLOW_TOTALIZER_PAIRS) {
      const counter = find(point, totalizer);
      const rate = find(point, flow);
      if (!counter || !rate) continue;
      // Family 4: a counter that stands still while its flow runs is frozen.
      const frozen = counter.slots
        .filter((s) => s.delta === 0 && s.count > 1 && (rate.slots[s.slot]!.mean ?? 0) > 0)
        .map((s) => s.slot);
      results.push({
        ...outcome(
          'stuck.totalizer_not_moving',
          point.code,
          totalizer,
          frozen.length ? 'violation' : 'ok',
          frozen.length,
          0,
        ),
        slots: frozen,
      });
      results.push({
        ...within(
          'totalizer.vs_integrated_rate',
          point.code,
          counter.total,
          integratedRate(rate),
          config.totalizerVsRateTolerancePercent,
        ),
        variable: totalizer,
      });
    }
    for (const variable of point.variables) {
      if (variable.aggregation.total === null) continue;
      const resets = variable.aggregation.slots
        .filter((s) => s.counterEvent === 'reset')
        .map((s) => s.slot);
      results.push({
        ...outcome(
          'cumulative.monotonic',
          point.code,
          variable.code,
          resets.length ? 'violation' : 'ok',
          resets.length,
          0,
        ),
        slots: resets,
      });
    }
  }
  return results;
}

function sumOrNull(values: Array<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) : null;
}
