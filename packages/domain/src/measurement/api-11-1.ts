/**
 * API MPMS Chapter 11.1 (2004, addendum 2019): temperature and pressure volume correction
 * factors for generalized crude oils, refined products and lubricating oils, in US
 * customary units (°F, psig, API gravity at 60 °F). Implements, in order, the standard's
 * procedure 11.1.5.x: ITS-90 → IPTS-68 temperature, base density shift to IPTS-68,
 * thermal expansion coefficient α60, CTL, compressibility Fp, CPL, CTPL rounded to
 * 5 decimals. Checked against the standard's worked examples 11.1.6.1 (tests cite them).
 */

export const COMMODITY_GROUPS = {
  /** K coefficients from API MPMS 11.1-2004 Table 1. */
  crude_oil: { k0: 341.0957, k1: 0, k2: 0, minDensity: 610.6, maxDensity: 1163.5 },
  fuel_oils: { k0: 103.872, k1: 0.2701, k2: 0, minDensity: 838.3127, maxDensity: 1163.5 },
  jet_fuels: { k0: 330.301, k1: 0, k2: 0, minDensity: 787.5195, maxDensity: 838.3127 },
  transition_zone: {
    k0: 1489.067,
    k1: 0,
    k2: -0.0018684,
    minDensity: 770.352,
    maxDensity: 787.5195,
  },
  gasolines: { k0: 192.4571, k1: 0.2438, k2: 0, minDensity: 610.6, maxDensity: 770.352 },
} as const;

export type CommodityGroup = keyof typeof COMMODITY_GROUPS;

/** Density of water at 60 °F used by the API gravity definition (API MPMS 11.1 §11.1.5). */
export const WATER_DENSITY_60F = 999.016;
/** Temperature shift between the 60 °F base on IPTS-68 and ITS-90 (δ60 in the standard), °F. */
const DELTA_60 = 0.01374979547;
const BASE_TEMPERATURE_IPTS68 = 60.0068749;

/** Limits of the standard's defining data for crude oils and products (§11.1.2.5). */
export const API_11_1_LIMITS = {
  temperatureF: { min: -58, max: 302 },
  pressurePsig: { min: 0, max: 1500 },
} as const;

export function apiToSpecificGravity(api: number): number {
  return 141.5 / (api + 131.5);
}

export function specificGravityToApi(sg: number): number {
  return 141.5 / sg - 131.5;
}

export function apiToDensity60(api: number): number {
  return apiToSpecificGravity(api) * WATER_DENSITY_60F;
}

export function density60ToApi(densityKgM3: number): number {
  return specificGravityToApi(densityKgM3 / WATER_DENSITY_60F);
}

/** ITS-90 °F to IPTS-68 °F (API MPMS 11.1-2004 §11.1.5.3, eight-term polynomial). */
export function its90ToIpts68F(temperatureF: number): number {
  const a = [-0.148759, -0.267408, 1.08076, 1.269056, -4.089591, -1.871251, 7.438081, -3.536296];
  const tc90 = (temperatureF - 32) / 1.8;
  const tau = tc90 / 630;
  let delta = 0;
  for (let i = a.length - 1; i >= 0; i--) delta = (delta + a[i]!) * tau;
  return (tc90 - delta) * 1.8 + 32;
}

interface KCoefficients {
  k0: number;
  k1: number;
  k2: number;
}

/** Base density on the ITS-90 scale → the IPTS-68 basis the correlation was fitted on. */
export function density60ToIpts68(density60: number, k: KCoefficients): number {
  const a = (DELTA_60 / 2) * ((k.k0 / density60 + k.k1) / density60 + k.k2);
  const b = (2 * k.k0 + k.k1 * density60) / (k.k0 + (k.k1 + k.k2 * density60) * density60);
  return density60 * (1 + (Math.exp(a * (1 + 0.8 * a)) - 1) / (1 + a * (1 + 1.6 * a) * b));
}

export interface Api111Input {
  /** API gravity at 60 °F. */
  api60: number;
  /** Observed temperature, °F (ITS-90). */
  temperatureF: number;
  /** Observed pressure, psig; values below 0 are taken as 0 (atmospheric). */
  pressurePsig: number;
  group?: CommodityGroup;
}

export interface Api111Result {
  ctl: number;
  cpl: number;
  /** CTL · CPL rounded to 5 decimals, as the standard prescribes. */
  ctpl: number;
  alpha60: number;
  compressibility: number;
  density60Ipts68: number;
  temperatureIpts68F: number;
}

export type Api111Error =
  | { kind: 'not_finite'; field: keyof Api111Input }
  | {
      kind: 'out_of_range';
      field: 'temperatureF' | 'pressurePsig' | 'density';
      value: number;
      min: number;
      max: number;
    };

export type Api111Outcome = { ok: true; value: Api111Result } | { ok: false; error: Api111Error };

/** Volume correction factors for a liquid at observed temperature and pressure. */
export function api111Vcf(input: Api111Input): Api111Outcome {
  for (const field of ['api60', 'temperatureF', 'pressurePsig'] as const) {
    if (!Number.isFinite(input[field])) return { ok: false, error: { kind: 'not_finite', field } };
  }
  const k = COMMODITY_GROUPS[input.group ?? 'crude_oil'];
  const { temperatureF: tLimits, pressurePsig: pLimits } = API_11_1_LIMITS;
  if (input.temperatureF < tLimits.min || input.temperatureF > tLimits.max) {
    return {
      ok: false,
      error: { kind: 'out_of_range', field: 'temperatureF', value: input.temperatureF, ...tLimits },
    };
  }
  if (input.pressurePsig > pLimits.max) {
    return {
      ok: false,
      error: { kind: 'out_of_range', field: 'pressurePsig', value: input.pressurePsig, ...pLimits },
    };
  }
  const density60 = apiToDensity60(input.api60);
  if (density60 < k.minDensity || density60 > k.maxDensity) {
    return {
      ok: false,
      error: {
        kind: 'out_of_range',
        field: 'density',
        value: density60,
        min: k.minDensity,
        max: k.maxDensity,
      },
    };
  }
  const rho = density60ToIpts68(density60, k);
  const t68 = its90ToIpts68F(input.temperatureF);
  const alpha60 = (k.k0 / rho + k.k1) / rho + k.k2;
  const dt = t68 - BASE_TEMPERATURE_IPTS68;
  const ctl = Math.exp(-alpha60 * dt * (1 + 0.8 * alpha60 * (dt + DELTA_60)));
  const compressibility = Math.exp(
    -1.9947 + 0.00013427 * t68 + (793920 + 2326 * t68) / (rho * rho),
  );
  const pressure = Math.max(0, input.pressurePsig);
  const cpl = 1 / (1 - 1e-5 * compressibility * pressure);
  return {
    ok: true,
    value: {
      ctl,
      cpl,
      ctpl: roundHalfUp(ctl * cpl, 5),
      alpha60,
      compressibility,
      density60Ipts68: rho,
      temperatureIpts68F: t68,
    },
  };
}

/** Rounds to `decimals` places, halves away from zero (the standard's rounding rule). */
export function roundHalfUp(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  const scaled = Math.abs(value) * scale;
  // Nudge by a few ULPs so that binary representation error does not turn ...5 into ...4.
  const rounded = Math.floor(scaled + 0.5 + scaled * Number.EPSILON * 4) / scale;
  return Math.sign(value) * rounded;
}
