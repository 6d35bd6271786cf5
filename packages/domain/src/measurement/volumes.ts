/**
 * Liquid volumes at standard conditions (API MPMS 12.2): gross observed volume (GOV) to
 * gross standard volume (GSV) with the correction factors and the meter factor, then net
 * standard volume (NSV) and water from the sediment-and-water fraction (BSW).
 */
export interface StandardVolumeInput {
  /** Gross observed volume, bbl at observed conditions. */
  grossObservedVolume: number;
  ctl: number;
  cpl: number;
  /** Meter factor from the last proving (1 for tank gauging). */
  meterFactor: number;
  /** Sediment and water, percent by volume (0–100). */
  bswPercent: number;
  /** Free water measured apart from the BSW (tank bottoms), bbl. */
  freeWater?: number;
}

export interface StandardVolumes {
  gsv: number;
  nsv: number;
  water: number;
  /** Combined correction factor CCF = CTL · CPL · MF. */
  ccf: number;
}

export type StandardVolumeError = {
  kind: 'not_finite' | 'out_of_range';
  field: keyof StandardVolumeInput;
  value: number;
};

export function standardVolumes(
  input: StandardVolumeInput,
): { ok: true; value: StandardVolumes } | { ok: false; error: StandardVolumeError } {
  const fields = [
    'grossObservedVolume',
    'ctl',
    'cpl',
    'meterFactor',
    'bswPercent',
    'freeWater',
  ] as const;
  for (const field of fields) {
    const value = input[field] ?? 0;
    if (!Number.isFinite(value)) return { ok: false, error: { kind: 'not_finite', field, value } };
  }
  if (input.bswPercent < 0 || input.bswPercent > 100) {
    return {
      ok: false,
      error: { kind: 'out_of_range', field: 'bswPercent', value: input.bswPercent },
    };
  }
  if (input.meterFactor <= 0) {
    return {
      ok: false,
      error: { kind: 'out_of_range', field: 'meterFactor', value: input.meterFactor },
    };
  }
  if (input.grossObservedVolume < 0) {
    return {
      ok: false,
      error: {
        kind: 'out_of_range',
        field: 'grossObservedVolume',
        value: input.grossObservedVolume,
      },
    };
  }
  const ccf = input.ctl * input.cpl * input.meterFactor;
  const gsv = input.grossObservedVolume * ccf;
  const sw = input.bswPercent / 100;
  return {
    ok: true,
    value: { gsv, nsv: gsv * (1 - sw), water: gsv * sw + (input.freeWater ?? 0), ccf },
  };
}
