import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  api111Vcf,
  apiToDensity60,
  density60ToApi,
  its90ToIpts68F,
  roundHalfUp,
  specificGravityToApi,
  type CommodityGroup,
} from './api-11-1';
import { GAS_BASE_API, GAS_BASE_COLOMBIA, gasBaseFactor, kscfToSm3, sm3ToKscf } from './gas-base';
import { convert, converterBetween, UNITS, type UnitCode } from './units';
import { standardVolumes } from './volumes';

/**
 * API MPMS Chapter 11.1-2004, section 11.1.6.1, worked examples 1–6 (the intermediate
 * values are those printed in the standard; also used by the open implementation
 * github.com/m2b/API11_1VCF).
 */
const EXAMPLES: Array<{
  name: string;
  group: CommodityGroup;
  api60: number;
  temperatureF: number;
  pressurePsig: number;
  t68: number;
  rho68: number;
  alpha60: number;
  fp: number;
  ctl: number;
  cpl: number;
  ctpl: number;
}> = [
  {
    name: 'Example 1 (crude)',
    group: 'crude_oil',
    api60: 17.785,
    temperatureF: -27.7,
    pressurePsig: 0,
    t68: -27.712499233089,
    rho68: 946.921215770785,
    alpha60: 0.000380407044,
    fp: 0.305779891997,
    ctl: 1.033011591958,
    cpl: 1,
    ctpl: 1.03301,
  },
  {
    name: 'Example 2 (crude)',
    group: 'crude_oil',
    api60: -10,
    temperatureF: 301.93,
    pressurePsig: 1500,
    t68: 301.993163042978,
    rho68: 1163.46509372,
    alpha60: 0.000251982006,
    fp: 0.427958509999,
    ctl: 0.938051116886,
    cpl: 1.006460852301,
    ctpl: 0.94411,
  },
  {
    name: 'Example 3 (fuel oil)',
    group: 'fuel_oils',
    api60: 19.4,
    temperatureF: 48.04,
    pressurePsig: -7.3,
    t68: 48.043878159606,
    rho68: 936.787006219757,
    alpha60: 0.000406689168,
    fp: 0.384339609206,
    ctl: 1.00485806899,
    cpl: 1,
    ctpl: 1.00486,
  },
  {
    name: 'Example 4 (jet fuel)',
    group: 'jet_fuels',
    api60: specificGravityToApi(0.7943),
    temperatureF: 85,
    pressurePsig: 247.3,
    t68: 85.013358222928,
    rho68: 793.521270459968,
    alpha60: 0.000524557068,
    fp: 0.664706197066,
    ctl: 0.986832406683,
    cpl: 1.001646525013,
    ctpl: 0.98846,
  },
  {
    name: 'Example 5 (transition zone)',
    group: 'transition_zone',
    api60: 48.0015,
    temperatureF: 55.9,
    pressurePsig: 350,
    t68: 55.905838569594,
    rho68: 787.521450184768,
    alpha60: 0.000532585048,
    fp: 0.608111538634,
    ctl: 1.002182725702,
    cpl: 1.002132930093,
    ctpl: 1.00432,
  },
  {
    name: 'Example 6 (gasoline)',
    group: 'gasolines',
    api60: density60ToApi(657.3),
    temperatureF: 27.3,
    pressurePsig: 1234.5,
    t68: 27.298898616759,
    rho68: 657.303689061482,
    alpha60: 0.00081636213,
    fp: 0.993527440282,
    ctl: 1.026475833518,
    cpl: 1.012417396817,
    ctpl: 1.03922,
  },
];

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('API MPMS 11.1-2004 worked examples (§11.1.6.1)', () => {
  it.each(EXAMPLES)('$name', (example) => {
    const result = api111Vcf(example);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const r = result.value;
    expect(relative(r.temperatureIpts68F, example.t68)).toBeLessThan(1e-11);
    expect(relative(r.density60Ipts68, example.rho68)).toBeLessThan(1e-10);
    expect(relative(r.alpha60, example.alpha60)).toBeLessThan(1e-8);
    expect(relative(r.compressibility, example.fp)).toBeLessThan(1e-9);
    expect(relative(r.ctl, example.ctl)).toBeLessThan(1e-11);
    expect(relative(r.cpl, example.cpl)).toBeLessThan(1e-11);
    expect(r.ctpl).toBe(example.ctpl);
  });

  it('refuses inputs outside the standard instead of extrapolating', () => {
    expect(api111Vcf({ api60: 30, temperatureF: 400, pressurePsig: 0 })).toMatchObject({
      ok: false,
      error: { kind: 'out_of_range', field: 'temperatureF' },
    });
    expect(api111Vcf({ api60: 30, temperatureF: 80, pressurePsig: 2000 })).toMatchObject({
      ok: false,
      error: { field: 'pressurePsig' },
    });
    expect(api111Vcf({ api60: 120, temperatureF: 80, pressurePsig: 0 })).toMatchObject({
      ok: false,
      error: { field: 'density' },
    });
    expect(api111Vcf({ api60: Number.NaN, temperatureF: 80, pressurePsig: 0 })).toMatchObject({
      ok: false,
      error: { kind: 'not_finite', field: 'api60' },
    });
  });

  it('is 1 at base conditions and decreases with temperature (property)', () => {
    expect(api111Vcf({ api60: 30, temperatureF: 60, pressurePsig: 0 })).toMatchObject({
      ok: true,
      value: { ctpl: 1 },
    });
    fc.assert(
      fc.property(
        fc.double({ min: 10, max: 45, noNaN: true }),
        fc.double({ min: -50, max: 290, noNaN: true }),
        (api, t) => {
          const lower = api111Vcf({ api60: api, temperatureF: t, pressurePsig: 0 });
          const higher = api111Vcf({ api60: api, temperatureF: t + 10, pressurePsig: 0 });
          return lower.ok && higher.ok && higher.value.ctl < lower.value.ctl;
        },
      ),
    );
  });

  it('converts ITS-90 to IPTS-68 with no shift at 0 °C and API gravity both ways', () => {
    expect(its90ToIpts68F(32)).toBe(32);
    expect(density60ToApi(apiToDensity60(31.4))).toBeCloseTo(31.4, 12);
    expect(roundHalfUp(1.234565, 5)).toBe(1.23457);
    expect(roundHalfUp(-1.234565, 5)).toBe(-1.23457);
  });
});

describe('standard volumes (API MPMS 12.2)', () => {
  it('applies CTL, CPL, meter factor and BSW', () => {
    const result = standardVolumes({
      grossObservedVolume: 1000,
      ctl: 0.98,
      cpl: 1.002,
      meterFactor: 1.0012,
      bswPercent: 0.5,
      freeWater: 2,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.gsv).toBeCloseTo(1000 * 0.98 * 1.002 * 1.0012, 10);
    expect(result.value.nsv).toBeCloseTo(result.value.gsv * 0.995, 10);
    expect(result.value.water).toBeCloseTo(result.value.gsv * 0.005 + 2, 10);
    expect(result.value.nsv).toBeLessThanOrEqual(result.value.gsv);
  });

  it('gives typed errors for impossible inputs', () => {
    expect(
      standardVolumes({ grossObservedVolume: 1, ctl: 1, cpl: 1, meterFactor: 1, bswPercent: 101 }),
    ).toMatchObject({ ok: false, error: { field: 'bswPercent' } });
    expect(
      standardVolumes({
        grossObservedVolume: Infinity,
        ctl: 1,
        cpl: 1,
        meterFactor: 1,
        bswPercent: 1,
      }),
    ).toMatchObject({ ok: false, error: { kind: 'not_finite' } });
    expect(
      standardVolumes({ grossObservedVolume: 1, ctl: 1, cpl: 1, meterFactor: 0, bswPercent: 1 }),
    ).toMatchObject({ ok: false, error: { field: 'meterFactor' } });
  });
});

describe('units', () => {
  it('knows the exact definitions', () => {
    expect(convert(1, 'bbl', 'm3')).toEqual({ ok: true, value: 0.158987294928 });
    expect(convert(100, 'degC', 'degF')).toEqual({ ok: true, value: 212 });
    expect(convert(1, 'bbl', 'gal')).toMatchObject({
      ok: true,
      value: expect.closeTo(42, 12) as number,
    });
    expect(convert(1, 'barg', 'psig')).toMatchObject({
      ok: true,
      value: expect.closeTo(14.503773773, 8) as number,
    });
    expect(convert(1, 'MMscf/d', 'kscf/d')).toEqual({ ok: true, value: 1000 });
  });

  it('needs the site atmospheric pressure between gauge and absolute', () => {
    expect(convert(100, 'psig', 'psia')).toEqual({
      ok: false,
      error: { kind: 'needs_atmospheric_pressure', from: 'psig', to: 'psia' },
    });
    expect(convert(100, 'psig', 'psia', { atmosphericPressurePsia: 13.9 })).toEqual({
      ok: true,
      value: 113.9,
    });
    expect(convert(101.325, 'kPaa', 'psig', { atmosphericPressurePsia: 14.696 })).toMatchObject({
      ok: true,
      value: expect.closeTo(0, 3) as number,
    });
  });

  it('refuses unknown and incompatible units and non-finite values', () => {
    expect(convert(1, 'furlong', 'm')).toEqual({
      ok: false,
      error: { kind: 'unknown_unit', unit: 'furlong' },
    });
    expect(convert(1, 'bbl', 'psig')).toEqual({
      ok: false,
      error: { kind: 'incompatible_units', from: 'bbl', to: 'psig' },
    });
    expect(convert(Number.NaN, 'bbl', 'm3')).toEqual({
      ok: false,
      error: { kind: 'not_finite', value: Number.NaN },
    });
    expect(convert(1, 'toString', 'm3')).toMatchObject({
      ok: false,
      error: { kind: 'unknown_unit' },
    });
  });

  it('round-trips every pair of units of the same dimension (property)', () => {
    const codes = Object.keys(UNITS) as UnitCode[];
    const pairs = codes.flatMap((a) =>
      codes.filter((b) => UNITS[a].dimension === UNITS[b].dimension).map((b) => [a, b] as const),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...pairs),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        ([a, b], x) => {
          const there = converterBetween(a, b);
          const back = converterBetween(b, a);
          if (!there.ok || !back.ok) return false;
          const y = x * there.converter.factor + there.converter.offset;
          const z = y * back.converter.factor + back.converter.offset;
          return Math.abs(z - x) <= 1e-9 * Math.max(1, Math.abs(x));
        },
      ),
    );
  });
});

describe('gas base conditions', () => {
  it('differs by about 0.31 % between 14.65 and 14.696 psia', () => {
    const factor = gasBaseFactor(GAS_BASE_API, GAS_BASE_COLOMBIA);
    expect(factor).toBeCloseTo(14.696 / 14.65, 12);
    expect((factor - 1) * 100).toBeCloseTo(0.314, 3);
  });

  it('converts Sm³ to KPC and back', () => {
    // 1 Sm³ (15 °C, 101.325 kPa) ≈ 35.3147 ft³ at the same base; ≈ 0.03549 KPC at 60 °F, 14.65 psia.
    expect(sm3ToKscf(1)).toBeCloseTo(0.035492, 5);
    expect(kscfToSm3(sm3ToKscf(1234.5))).toBeCloseTo(1234.5, 9);
  });
});
