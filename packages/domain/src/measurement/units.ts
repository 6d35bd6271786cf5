/**
 * Units of measurement and conversion to each dimension's canonical unit.
 *
 * Conversions are affine (canonical = value · factor + offset) except between gauge and
 * absolute pressure, which needs the site's atmospheric pressure, and between gas volumes
 * at different base conditions, which needs both bases (see gas-base.ts). Factors are the
 * exact definitions where one exists (NIST SP 811, API MPMS 11.5); others are cited.
 */
export type Dimension =
  | 'pressure_gauge'
  | 'pressure_absolute'
  | 'differential_pressure'
  | 'temperature'
  | 'liquid_volume'
  | 'liquid_flow'
  | 'gas_volume'
  | 'gas_flow'
  | 'density'
  | 'api_gravity'
  | 'specific_gravity'
  | 'fraction'
  | 'mole_fraction'
  | 'concentration'
  | 'length'
  | 'frequency'
  | 'rotation'
  | 'stroke_rate'
  | 'current'
  | 'voltage'
  | 'velocity'
  | 'force'
  | 'duration'
  | 'age'
  | 'ratio'
  | 'heating_value'
  | 'state';

interface UnitDefinition {
  dimension: Dimension;
  /** canonical = value · factor + offset */
  factor: number;
  offset?: number;
  label: string;
}

/** 1 psi in kPa (exact: 0.45359237 kg · 9.80665 m/s² / 0.0254² m²). */
export const KPA_PER_PSI = 6.894757293168361;
/** 1 US barrel in m³ (exact: 42 US gal · 3.785411784 L). */
export const M3_PER_BBL = 0.158987294928;
/** 1 ft³ in m³ (exact: 0.3048³). */
export const M3_PER_FT3 = 0.028316846592;
/** Standard atmosphere in psia (101.325 kPa). */
export const STANDARD_ATMOSPHERE_PSIA = 101.325 / KPA_PER_PSI;

const pressure = (
  dimension: 'pressure_gauge' | 'pressure_absolute',
  kpaPerUnit: number,
  label: string,
) => ({
  dimension,
  factor: kpaPerUnit / KPA_PER_PSI,
  label,
});

export const UNITS = {
  // Pressures: canonical psig (gauge) and psia (absolute).
  psig: pressure('pressure_gauge', KPA_PER_PSI, 'psig'),
  kPag: pressure('pressure_gauge', 1, 'kPa(g)'),
  MPag: pressure('pressure_gauge', 1000, 'MPa(g)'),
  barg: pressure('pressure_gauge', 100, 'bar(g)'),
  'kgf/cm2g': pressure('pressure_gauge', 98.0665, 'kgf/cm²(g)'),
  psia: pressure('pressure_absolute', KPA_PER_PSI, 'psia'),
  kPaa: pressure('pressure_absolute', 1, 'kPa(a)'),
  MPaa: pressure('pressure_absolute', 1000, 'MPa(a)'),
  bara: pressure('pressure_absolute', 100, 'bar(a)'),
  Paa: pressure('pressure_absolute', 0.001, 'Pa(a)'),
  // Differential pressure: canonical inH2O at 60 °F (AGA Report 3: 0.248843 kPa).
  inH2O: { dimension: 'differential_pressure', factor: 1, label: 'inH₂O (60 °F)' },
  kPa: { dimension: 'differential_pressure', factor: 1 / 0.248843, label: 'kPa' },
  mbar: { dimension: 'differential_pressure', factor: 0.1 / 0.248843, label: 'mbar' },
  // Temperature: canonical °F (the API MPMS 11.1 base is 60 °F).
  degF: { dimension: 'temperature', factor: 1, label: '°F' },
  degC: { dimension: 'temperature', factor: 1.8, offset: 32, label: '°C' },
  K: { dimension: 'temperature', factor: 1.8, offset: 32 - 273.15 * 1.8, label: 'K' },
  // Liquid volume: canonical US barrel.
  bbl: { dimension: 'liquid_volume', factor: 1, label: 'bbl' },
  m3: { dimension: 'liquid_volume', factor: 1 / M3_PER_BBL, label: 'm³' },
  L: { dimension: 'liquid_volume', factor: 0.001 / M3_PER_BBL, label: 'L' },
  gal: { dimension: 'liquid_volume', factor: 1 / 42, label: 'US gal' },
  ft3: { dimension: 'liquid_volume', factor: M3_PER_FT3 / M3_PER_BBL, label: 'ft³' },
  // Liquid flow: canonical bbl/d.
  'bbl/d': { dimension: 'liquid_flow', factor: 1, label: 'bbl/d' },
  'bbl/h': { dimension: 'liquid_flow', factor: 24, label: 'bbl/h' },
  'm3/d': { dimension: 'liquid_flow', factor: 1 / M3_PER_BBL, label: 'm³/d' },
  'm3/h': { dimension: 'liquid_flow', factor: 24 / M3_PER_BBL, label: 'm³/h' },
  gpm: { dimension: 'liquid_flow', factor: 1440 / 42, label: 'US gal/min' },
  // Gas volume at the tenant's base conditions: canonical KPC (thousand standard ft³).
  kscf: { dimension: 'gas_volume', factor: 1, label: 'KPC (kscf)' },
  scf: { dimension: 'gas_volume', factor: 0.001, label: 'scf' },
  MMscf: { dimension: 'gas_volume', factor: 1000, label: 'MMscf' },
  // Gas flow: canonical KPCD.
  'kscf/d': { dimension: 'gas_flow', factor: 1, label: 'KPCD (kscf/d)' },
  'MMscf/d': { dimension: 'gas_flow', factor: 1000, label: 'MMscfd' },
  'scf/h': { dimension: 'gas_flow', factor: 0.024, label: 'scf/h' },
  'scf/d': { dimension: 'gas_flow', factor: 0.001, label: 'scf/d' },
  // Density: canonical kg/m³.
  'kg/m3': { dimension: 'density', factor: 1, label: 'kg/m³' },
  'g/cm3': { dimension: 'density', factor: 1000, label: 'g/cm³' },
  'lb/ft3': { dimension: 'density', factor: 0.45359237 / M3_PER_FT3, label: 'lb/ft³' },
  degAPI: { dimension: 'api_gravity', factor: 1, label: '°API' },
  sg: { dimension: 'specific_gravity', factor: 1, label: 'SG' },
  '%': { dimension: 'fraction', factor: 1, label: '%' },
  fraction: { dimension: 'fraction', factor: 100, label: 'fraction' },
  'mol%': { dimension: 'mole_fraction', factor: 1, label: 'mol %' },
  ppm: { dimension: 'concentration', factor: 1, label: 'ppm' },
  ft: { dimension: 'length', factor: 1, label: 'ft' },
  in: { dimension: 'length', factor: 1 / 12, label: 'in' },
  m: { dimension: 'length', factor: 1 / 0.3048, label: 'm' },
  cm: { dimension: 'length', factor: 0.01 / 0.3048, label: 'cm' },
  mm: { dimension: 'length', factor: 0.001 / 0.3048, label: 'mm' },
  Hz: { dimension: 'frequency', factor: 1, label: 'Hz' },
  rpm: { dimension: 'rotation', factor: 1, label: 'rpm' },
  spm: { dimension: 'stroke_rate', factor: 1, label: 'strokes/min' },
  A: { dimension: 'current', factor: 1, label: 'A' },
  V: { dimension: 'voltage', factor: 1, label: 'V' },
  kV: { dimension: 'voltage', factor: 1000, label: 'kV' },
  'in/s': { dimension: 'velocity', factor: 1, label: 'in/s' },
  'mm/s': { dimension: 'velocity', factor: 1 / 25.4, label: 'mm/s' },
  lbf: { dimension: 'force', factor: 1, label: 'lbf' },
  kN: { dimension: 'force', factor: 1000 / 4.4482216152605, label: 'kN' },
  h: { dimension: 'duration', factor: 1, label: 'h' },
  min: { dimension: 'duration', factor: 1 / 60, label: 'min' },
  d: { dimension: 'age', factor: 1, label: 'd' },
  ratio: { dimension: 'ratio', factor: 1, label: '—' },
  'BTU/scf': { dimension: 'heating_value', factor: 1, label: 'BTU/scf' },
  'MJ/m3': { dimension: 'heating_value', factor: 1 / 0.037258945, label: 'MJ/m³' },
  state: { dimension: 'state', factor: 1, label: '0/1' },
} as const satisfies Record<string, UnitDefinition>;

export type UnitCode = keyof typeof UNITS;

export function isUnitCode(code: string): code is UnitCode {
  return Object.hasOwn(UNITS, code);
}

export type ConversionError =
  | { kind: 'unknown_unit'; unit: string }
  | { kind: 'incompatible_units'; from: string; to: string }
  | { kind: 'needs_atmospheric_pressure'; from: string; to: string }
  | { kind: 'not_finite'; value: number };

export interface ConversionContext {
  /** Site atmospheric pressure in psia; needed only between gauge and absolute pressure. */
  atmosphericPressurePsia?: number;
}

/** A compiled conversion: canonical = x · factor + offset (checked once, applied often). */
export interface Converter {
  factor: number;
  offset: number;
}

export type ConverterResult =
  { ok: true; converter: Converter } | { ok: false; error: ConversionError };

/**
 * Builds the conversion from one unit to another, or says why there is none. Gauge and
 * absolute pressures convert into each other only with an atmospheric pressure.
 */
export function converterBetween(
  from: string,
  to: string,
  context: ConversionContext = {},
): ConverterResult {
  if (!isUnitCode(from)) return { ok: false, error: { kind: 'unknown_unit', unit: from } };
  if (!isUnitCode(to)) return { ok: false, error: { kind: 'unknown_unit', unit: to } };
  const a: UnitDefinition = UNITS[from];
  const b: UnitDefinition = UNITS[to];
  // value → canonical(a) → canonical(b) → to
  let shift = 0;
  if (a.dimension !== b.dimension) {
    const pair = `${a.dimension}>${b.dimension}`;
    if (
      pair !== 'pressure_gauge>pressure_absolute' &&
      pair !== 'pressure_absolute>pressure_gauge'
    ) {
      return { ok: false, error: { kind: 'incompatible_units', from, to } };
    }
    const atm = context.atmosphericPressurePsia;
    if (atm === undefined || !Number.isFinite(atm) || atm <= 0) {
      return { ok: false, error: { kind: 'needs_atmospheric_pressure', from, to } };
    }
    shift = a.dimension === 'pressure_gauge' ? atm : -atm;
  }
  const aOffset = a.offset ?? 0;
  const bOffset = b.offset ?? 0;
  // canonical_b = a.factor·x + aOffset + shift; result = (canonical_b − bOffset) / b.factor
  return {
    ok: true,
    converter: { factor: a.factor / b.factor, offset: (aOffset + shift - bOffset) / b.factor },
  };
}

export type ConvertResult = { ok: true; value: number } | { ok: false; error: ConversionError };

export function convert(
  value: number,
  from: string,
  to: string,
  context: ConversionContext = {},
): ConvertResult {
  if (!Number.isFinite(value)) return { ok: false, error: { kind: 'not_finite', value } };
  const built = converterBetween(from, to, context);
  if (!built.ok) return built;
  return { ok: true, value: value * built.converter.factor + built.converter.offset };
}

export function dimensionOf(unit: UnitCode): Dimension {
  return UNITS[unit].dimension;
}
