import { bogotaDayStart, SLOT_MS, SLOTS_PER_DAY } from '../aggregation/bogota-day';
import { aggregateDay, type AggregationSample } from '../aggregation/slots';
import { variableByCode } from '../measurement/catalog';
import { api111Vcf, apiToDensity60, density60ToApi } from '../measurement/api-11-1';
import type { PointKind } from '../tenancy';
import type { FieldDay } from '../validation/day-rules';
import { AppError } from '../errors';

/**
 * A simulated production field whose numbers are physically consistent: wells feed a
 * separator, the separator a tank, the tank a fiscal LACT; gas goes to sales metering and
 * the flare; water is injected. Deterministic for a seed. Used by tests, benchmarks and
 * the demo, so every layer sees the same plausible field.
 */
export interface SimulatedVariable {
  code: string;
  samples: AggregationSample[];
}

export interface SimulatedPoint {
  code: string;
  name: string;
  kind: PointKind;
  variables: SimulatedVariable[];
}

export interface SimulationOptions {
  day: string;
  wells: number;
  seed?: number;
  /** Samples per variable per 10-minute slot (10 = one a minute). */
  samplesPerSlot?: number;
}

function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

export const SIMULATED_FISCAL = {
  api60: 28,
  temperatureF: 120,
  pressurePsig: 50,
  meterFactor: 1.0012,
  bswPercent: 0.4,
} as const;

export function simulateField(options: SimulationOptions): SimulatedPoint[] {
  const start = bogotaDayStart(options.day);
  if (!start.ok) throw new AppError('VALIDATION', `invalid day ${options.day}`);
  const rnd = random(options.seed ?? 7);
  const perSlot = options.samplesPerSlot ?? 10;
  const total = SLOTS_PER_DAY * perSlot;
  const step = SLOT_MS / perSlot;
  const times = Array.from({ length: total }, (_, k) => start.ms + k * step);
  const fraction = (k: number) => k / total; // of the day elapsed

  const series = (fn: (k: number) => number): AggregationSample[] =>
    times.map((timestamp, k) => ({ timestamp, value: fn(k), flag: 0 }));
  const noisy = (base: number, amplitude: number, phase: number) =>
    series((k) => base + amplitude * Math.sin(k / 97 + phase) + amplitude * 0.05 * (rnd() - 0.5));
  const constant = (value: number) => series(() => value);
  const counter = (opening: number, perDay: number) =>
    series((k) => opening + perDay * fraction(k));

  const points: SimulatedPoint[] = [];
  let oilPerDay = 0;
  let waterPerDay = 0;
  let gasPerDay = 0;
  for (let w = 1; w <= options.wells; w++) {
    const oil = 200 + 1800 * rnd();
    const water = oil * (0.5 + 3 * rnd());
    const gas = (oil * (300 + 500 * rnd())) / 1000;
    oilPerDay += oil;
    waterPerDay += water;
    gasPerDay += gas;
    const phase = rnd() * 6;
    points.push({
      code: `W-${String(w).padStart(3, '0')}`,
      name: `Pozo ${w}`,
      kind: 'well',
      variables: [
        { code: 'tubing_head_pressure', samples: noisy(300 + 500 * rnd(), 15, phase) },
        { code: 'casing_head_pressure', samples: noisy(150 + 300 * rnd(), 10, phase + 1) },
        { code: 'flowline_pressure', samples: noisy(120 + 100 * rnd(), 5, phase + 2) },
        { code: 'flowline_temperature', samples: noisy(140 + 40 * rnd(), 2, phase + 3) },
        { code: 'wellhead_temperature', samples: noisy(150 + 40 * rnd(), 2, phase + 4) },
        { code: 'bottomhole_pressure', samples: noisy(1500 + 2000 * rnd(), 20, phase + 5) },
        { code: 'bottomhole_temperature', samples: noisy(200 + 60 * rnd(), 1, phase) },
        { code: 'choke_opening', samples: constant(Math.round(30 + 50 * rnd())) },
        { code: 'well_status', samples: constant(1) },
        { code: 'hours_on', samples: constant(24) },
        { code: 'esp_frequency', samples: constant(Math.round(50 + 10 * rnd())) },
        { code: 'esp_motor_current', samples: noisy(60 + 80 * rnd(), 2, phase) },
        { code: 'esp_motor_voltage', samples: noisy(1500 + 1000 * rnd(), 10, phase) },
        { code: 'esp_intake_pressure', samples: noisy(500 + 1000 * rnd(), 10, phase) },
        { code: 'esp_discharge_pressure', samples: noisy(2500 + 2000 * rnd(), 20, phase) },
        { code: 'esp_motor_temperature', samples: noisy(200 + 80 * rnd(), 2, phase) },
        { code: 'esp_intake_temperature', samples: noisy(180 + 60 * rnd(), 1, phase) },
        { code: 'esp_vibration', samples: noisy(0.1 + 0.2 * rnd(), 0.02, phase) },
        { code: 'gas_lift_injection_pressure', samples: noisy(1000 + 500 * rnd(), 10, phase) },
        { code: 'well_test_oil_rate', samples: noisy(oil, oil * 0.01, phase) },
        { code: 'well_test_water_rate', samples: noisy(water, water * 0.01, phase) },
        { code: 'well_test_gas_rate', samples: noisy(gas, gas * 0.01, phase) },
      ],
    });
  }

  const { api60, temperatureF, pressurePsig, meterFactor, bswPercent } = SIMULATED_FISCAL;
  const vcf = api111Vcf({ api60, temperatureF, pressurePsig });
  if (!vcf.ok) throw new AppError('INTERNAL', 'simulation fiscal conditions outside API 11.1');
  const nsvPerDay = oilPerDay;
  const gsvPerDay = nsvPerDay / (1 - bswPercent / 100);
  const govPerDay = gsvPerDay / (vcf.value.ctpl * meterFactor);
  const observedApi = density60ToApi(apiToDensity60(api60) * vcf.value.ctl);
  const flarePerDay = 40 + 40 * rnd();
  const salesGasPerDay = gasPerDay - flarePerDay;
  const tankOpening = 20_000;

  points.push(
    {
      code: 'SEP-01',
      name: 'Separador de producción',
      kind: 'separator',
      variables: [
        { code: 'separator_pressure', samples: noisy(120, 3, 0) },
        { code: 'separator_temperature', samples: noisy(140, 1, 1) },
        { code: 'separator_level', samples: noisy(50, 5, 2) },
        { code: 'separator_oil_flow', samples: constant(oilPerDay) },
        { code: 'separator_water_flow', samples: constant(waterPerDay) },
        { code: 'separator_gas_flow', samples: constant(gasPerDay) },
        { code: 'separator_oil_totalizer', samples: counter(1_000_000, oilPerDay) },
        { code: 'separator_water_totalizer', samples: counter(3_000_000, waterPerDay) },
        { code: 'separator_gas_totalizer', samples: counter(500_000, gasPerDay) },
      ],
    },
    {
      code: 'TK-01',
      name: 'Tanque de almacenamiento 1',
      kind: 'tank',
      variables: [
        // Oil in from the separator, gross volume out through the LACT.
        {
          code: 'tank_gross_observed_volume',
          samples: series((k) => tankOpening + (oilPerDay - govPerDay) * fraction(k)),
        },
        {
          code: 'tank_level',
          samples: series((k) => 20 + ((oilPerDay - govPerDay) * fraction(k)) / 1000),
        },
        { code: 'tank_temperature', samples: noisy(125, 1, 3) },
        { code: 'tank_bsw', samples: constant(0.5) },
      ],
    },
    {
      code: 'LACT-01',
      name: 'Unidad LACT de fiscalización',
      kind: 'fiscal_liquid_meter',
      variables: [
        { code: 'fiscal_gross_volume_flow', samples: constant(govPerDay) },
        { code: 'fiscal_gross_totalizer', samples: counter(2_000_000, govPerDay) },
        { code: 'fiscal_gsv_totalizer', samples: counter(1_990_000, gsvPerDay) },
        { code: 'fiscal_nsv_totalizer', samples: counter(1_980_000, nsvPerDay) },
        { code: 'fiscal_density', samples: constant(apiToDensity60(observedApi)) },
        { code: 'fiscal_temperature', samples: constant(temperatureF) },
        { code: 'fiscal_pressure', samples: constant(pressurePsig) },
        { code: 'fiscal_bsw', samples: constant(bswPercent) },
        { code: 'fiscal_api_gravity', samples: constant(observedApi) },
        { code: 'fiscal_api_gravity_60', samples: constant(api60) },
        { code: 'fiscal_meter_factor', samples: constant(meterFactor) },
        { code: 'fiscal_days_since_proving', samples: constant(12) },
      ],
    },
    {
      code: 'GM-01',
      name: 'Medidor de gas de venta',
      kind: 'gas_meter',
      variables: [
        { code: 'gas_differential_pressure', samples: noisy(120, 5, 0) },
        { code: 'gas_static_pressure', samples: noisy(600, 5, 1) },
        { code: 'gas_temperature', samples: noisy(95, 1, 2) },
        { code: 'gas_standard_flow', samples: constant(salesGasPerDay) },
        { code: 'gas_standard_totalizer', samples: counter(800_000, salesGasPerDay) },
        { code: 'gas_specific_gravity', samples: constant(0.68) },
        { code: 'gas_heating_value', samples: constant(1085) },
        ...(
          [
            ['gas_c1', 85.2],
            ['gas_c2', 6.1],
            ['gas_c3', 3.2],
            ['gas_ic4', 0.6],
            ['gas_nc4', 0.9],
            ['gas_ic5', 0.3],
            ['gas_nc5', 0.25],
            ['gas_c6_plus', 0.35],
            ['gas_co2', 1.8],
            ['gas_n2', 1.3],
          ] as const
        ).map(([code, value]) => ({ code, samples: constant(value) })),
        { code: 'gas_h2s', samples: constant(4) },
      ],
    },
    {
      code: 'INJ-01',
      name: 'Pozo inyector de agua',
      kind: 'injection',
      variables: [
        { code: 'injection_pressure', samples: noisy(1800, 20, 0) },
        { code: 'injection_rate', samples: constant(waterPerDay) },
        { code: 'injection_totalizer', samples: counter(9_000_000, waterPerDay) },
        { code: 'injection_temperature', samples: noisy(130, 1, 1) },
      ],
    },
    {
      code: 'FL-01',
      name: 'Tea',
      kind: 'flare',
      variables: [
        { code: 'flare_rate', samples: constant(flarePerDay) },
        { code: 'flare_totalizer', samples: counter(40_000, flarePerDay) },
        { code: 'flare_pilot_on', samples: constant(1) },
      ],
    },
  );
  return points;
}

/** Aggregates a simulated field into the day structure the day rules and the report use. */
export function aggregateSimulatedField(
  day: string,
  points: readonly SimulatedPoint[],
  samplesPerSlot = 10,
): FieldDay {
  return {
    day,
    points: points.map((point) => ({
      code: point.code,
      name: point.name,
      kind: point.kind,
      variables: point.variables.map((variable) => {
        const definition = variableByCode(variable.code);
        if (!definition)
          throw new AppError(
            'VALIDATION',
            `simulated variable ${variable.code} is not in the catalog`,
          );
        const first = variable.samples[0]?.value ?? 0;
        const result = aggregateDay(day, variable.samples, {
          kind: definition.kind === 'totalizer' ? 'totalizer' : definition.kind,
          expectedPerSlot: samplesPerSlot,
          previousReading: definition.kind === 'totalizer' ? first : null,
        });
        if (!result.ok)
          throw new AppError('VALIDATION', 'simulated samples could not be aggregated', {
            details: { error: result.error },
          });
        return { code: variable.code, aggregation: result.value };
      }),
    })),
  };
}

/** The demo operator and field, shared by the demo, the report tests and the benchmark. */
export const DEMO_OPERATOR = {
  anhOperatorCode: 'DEMO01',
  nit: '901.234.567-7',
  legalName: 'Petrolera Demo de los Llanos S.A.S.',
} as const;

export const DEMO_FIELD = {
  code: 'CPF-RUBI',
  name: 'Facilidad Central de Producción',
  fieldName: 'Campo Demo Rubí',
  department: 'Meta',
  municipality: 'Puerto Gaitán',
} as const;
