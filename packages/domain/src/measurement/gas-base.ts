import { KPA_PER_PSI, M3_PER_FT3 } from './units';

/**
 * Base (standard) conditions of a gas volume. Colombia's gas regulation (CREG, RUT) uses
 * 60 °F and 14.65 psia; 14.696 psia (one atmosphere) is common elsewhere; ISO 13443 uses
 * 15 °C and 101.325 kPa for Sm³. The bases differ by about 0.3 %, so every gas value is
 * stored with its base.
 */
export interface GasBase {
  temperatureF: number;
  pressurePsia: number;
}

export const GAS_BASE_COLOMBIA: GasBase = { temperatureF: 60, pressurePsia: 14.65 };
export const GAS_BASE_API: GasBase = { temperatureF: 60, pressurePsia: 14.696 };
/** ISO 13443 standard reference conditions: 15 °C (59 °F), 101.325 kPa. */
export const GAS_BASE_ISO: GasBase = { temperatureF: 59, pressurePsia: 101.325 / KPA_PER_PSI };

const RANKINE_OFFSET = 459.67;

/**
 * Factor that turns a gas volume at base `from` into the same quantity at base `to`, by
 * the ideal-gas law (compressibility at base conditions is taken as equal for both, an
 * error below 0.01 % for natural gas between these bases; AGA Report 8 gives Zb).
 */
export function gasBaseFactor(from: GasBase, to: GasBase): number {
  return (
    (from.pressurePsia / to.pressurePsia) *
    ((to.temperatureF + RANKINE_OFFSET) / (from.temperatureF + RANKINE_OFFSET))
  );
}

/** Sm³ (ISO base) to KPC at a given base. */
export function sm3ToKscf(volumeSm3: number, base: GasBase = GAS_BASE_COLOMBIA): number {
  return (volumeSm3 / M3_PER_FT3 / 1000) * gasBaseFactor(GAS_BASE_ISO, base);
}

export function kscfToSm3(volumeKscf: number, base: GasBase = GAS_BASE_COLOMBIA): number {
  return volumeKscf * 1000 * M3_PER_FT3 * gasBaseFactor(base, GAS_BASE_ISO);
}
