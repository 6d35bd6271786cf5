import { AppError } from '../errors';
import { assertFinite, describeSeries } from './spc-limits';

/**
 * Process capability against specification limits (contractual or operating limits, not
 * control limits). Two sigmas, two families of indices:
 *
 * - Cp, Cpk use the within sigma (MR̄ / d2, as the control limits do): what the process
 *   could do if it stayed centred and stable — its potential.
 * - Pp, Ppk use the overall sample standard deviation: what it actually did over the
 *   period, drifts included — its performance.
 *
 * Cp = (USL − LSL) / 6σ needs both limits; Cpk = min(CPU, CPL) with CPU = (USL − μ) / 3σ
 * and CPL = (μ − LSL) / 3σ, and with a one-sided specification Cpk is the side that exists.
 * An index that cannot be computed is null, never Infinity (results go to JSON).
 */
export interface CapabilitySpecs {
  lsl?: number;
  usl?: number;
}

export interface Capability {
  n: number;
  mean: number;
  sigmaWithin: number;
  sigmaOverall: number;
  lsl: number | null;
  usl: number | null;
  cp: number | null;
  cpk: number | null;
  cpu: number | null;
  cpl: number | null;
  pp: number | null;
  ppk: number | null;
  ppu: number | null;
  ppl: number | null;
  /**
   * No variation: the indices would be infinite and say nothing about the process (a
   * frozen signal is a data-quality matter), so they are null.
   */
  degenerate: boolean;
}

function indices(
  mean: number,
  sigma: number,
  lsl: number | null,
  usl: number | null,
): { p: number | null; pk: number | null; upper: number | null; lower: number | null } {
  if (!(sigma > Math.abs(mean) * 1e-12)) return { p: null, pk: null, upper: null, lower: null };
  const upper = usl === null ? null : (usl - mean) / (3 * sigma);
  const lower = lsl === null ? null : (mean - lsl) / (3 * sigma);
  const p = usl === null || lsl === null ? null : (usl - lsl) / (6 * sigma);
  const pk = upper === null ? lower : lower === null ? upper : Math.min(upper, lower);
  return { p, pk, upper, lower };
}

export function capability(
  values: Float64Array | readonly number[],
  specs: CapabilitySpecs,
): Capability {
  const lsl = specs.lsl ?? null;
  const usl = specs.usl ?? null;
  if (lsl === null && usl === null)
    throw new AppError('VALIDATION', 'Capability needs at least one specification limit');
  for (const [name, limit] of [
    ['lsl', lsl],
    ['usl', usl],
  ] as const) {
    if (limit !== null && !Number.isFinite(limit))
      throw new AppError('VALIDATION', `${name} must be finite, got ${limit}`, {
        details: { [name]: limit },
      });
  }
  if (lsl !== null && usl !== null && !(lsl < usl))
    throw new AppError('VALIDATION', `lsl (${lsl}) must be below usl (${usl})`, {
      details: { lsl, usl },
    });
  // Two points are the arithmetic minimum (one moving range); the result carries n so a
  // reader can judge how much to trust indices from a short window.
  if (values.length < 2)
    throw new AppError('VALIDATION', `Capability needs at least 2 points, got ${values.length}`, {
      details: { minimum: 2, actual: values.length },
    });
  assertFinite('Capability data', values);
  const { n, mean, sigmaWithin, sigmaOverall } = describeSeries(values);
  const within = indices(mean, sigmaWithin, lsl, usl);
  const overall = indices(mean, sigmaOverall, lsl, usl);
  return {
    n,
    mean,
    sigmaWithin,
    sigmaOverall,
    lsl,
    usl,
    cp: within.p,
    cpk: within.pk,
    cpu: within.upper,
    cpl: within.lower,
    pp: overall.p,
    ppk: overall.pk,
    ppu: overall.upper,
    ppl: overall.lower,
    degenerate: within.pk === null || overall.pk === null,
  };
}
