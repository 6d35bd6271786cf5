import { describe, expect, it } from 'vitest';
import { GAS_BASE_COLOMBIA } from '../measurement/gas-base';
import {
  aggregateSimulatedField,
  DEMO_FIELD,
  DEMO_OPERATOR,
  simulateField,
} from '../simulation/field';
import {
  buildDailyReport,
  reportDigest,
  serializeReport,
  type DailyReport,
  type DailyReportInput,
} from './build';
import { validateDailyReport } from './validate';

const DAY = '2026-11-27';

function input(overrides: Partial<DailyReportInput> = {}): DailyReportInput {
  return {
    operator: DEMO_OPERATOR,
    field: DEMO_FIELD,
    fieldDay: aggregateSimulatedField(DAY, simulateField({ day: DAY, wells: 3, seed: 5 })),
    gasBase: GAS_BASE_COLOMBIA,
    events: [
      {
        rule: 'range.tubing_head_pressure',
        point: 'W-001',
        variable: 'tubing_head_pressure',
        count: 2,
        first: '2026-11-27T08:00:00-05:00',
        last: '2026-11-27T08:10:00-05:00',
        value: 20000,
        value2: 0,
      },
    ],
    previousReportSha256: 'a'.repeat(64),
    generatedAt: '2026-11-28T06:00:00-05:00',
    ...overrides,
  };
}

function build(overrides: Partial<DailyReportInput> = {}): DailyReport {
  const result = buildDailyReport(input(overrides));
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.report;
}

describe('daily report', () => {
  const report = build();

  it('validates against its JSON Schema and its own hash', () => {
    expect(validateDailyReport(report)).toEqual({ ok: true, violations: [] });
  });

  it('has 144 slots per variable, the Bogotá period, totals at standard conditions and the gas base', () => {
    expect(report.period).toEqual({
      start: '2026-11-27T00:00:00-05:00',
      end: '2026-11-28T00:00:00-05:00',
      slotMinutes: 10,
      slots: 144,
    });
    for (const point of report.points) {
      for (const variable of point.variables) {
        expect(variable.slots.mean).toHaveLength(144);
        expect(variable.slots.flags).toMatch(/^[GSEBM]{144}$/);
      }
    }
    expect(report.totals.oilNsvBbl).toBeGreaterThan(0);
    expect(report.totals.oilGsvBbl!).toBeGreaterThan(report.totals.oilNsvBbl!);
    expect(report.gasBase).toEqual({ temperatureF: 60, pressurePsia: 14.65 });
    expect(report.balances.map((b) => b.rule).sort()).toEqual([
      'balance.allocation_vs_fiscal',
      'balance.gas',
      'balance.tank',
    ]);
    expect(report.balances.every((b) => b.status === 'ok')).toBe(true);
    expect(report.completeness.overall).toBe(1);
  });

  it('renders events in Spanish and English', () => {
    expect(report.events[0]).toMatchObject({
      rule: 'range.tubing_head_pressure',
      family: 2,
      severity: 'error',
      count: 2,
      message: {
        es: 'Presión en cabeza de tubería (THP): 20000 psig fuera del rango físico [-14.7, 15000]',
        en: 'Tubing head pressure: 20000 psig outside the physical range [-14.7, 15000]',
      },
    });
  });

  it('serialises canonically: same content, same bytes and hash; fixed decimals, no exponents', () => {
    const again = build();
    expect(serializeReport(again)).toBe(serializeReport(report));
    expect(again.integrity.sha256).toBe(report.integrity.sha256);
    const text = serializeReport(report);
    expect(text).not.toMatch(/[:,[]-?\d+(\.\d+)?[eE][+-]?\d/);
    expect(text.startsWith('{"balances":')).toBe(true);
    const reverseKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverseKeys)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reverseKeys(v)]),
            )
          : value;
    const shuffled = reverseKeys(report) as DailyReport;
    expect(Object.keys(shuffled)[0]).toBe('integrity');
    expect(reportDigest(shuffled)).toBe(report.integrity.sha256);
  });

  it('chains to the previous report and detects any edit', () => {
    expect(report.integrity.previousReportSha256).toBe('a'.repeat(64));
    const edited = structuredClone(report);
    edited.totals.oilNsvBbl = edited.totals.oilNsvBbl! + 1;
    const result = validateDailyReport(edited);
    expect(result.ok).toBe(false);
    expect(result.violations).toEqual([
      expect.objectContaining({ path: '/integrity/sha256', keyword: 'integrity' }),
    ]);
    expect(build({ previousReportSha256: 'b'.repeat(64) }).integrity.sha256).not.toBe(
      report.integrity.sha256,
    );
  });

  it('returns every schema violation with Spanish and English messages', () => {
    const broken = structuredClone(report) as unknown as Record<string, unknown> & DailyReport;
    broken.points[0]!.variables[0]!.slots.mean = broken.points[0]!.variables[0]!.slots.mean.slice(
      0,
      143,
    );
    broken.points[0]!.variables[0]!.slots.flags = 'X'.repeat(144);
    (broken as Record<string, unknown>).timezone = 'UTC';
    delete (broken as Partial<DailyReport>).totals;
    const result = validateDailyReport(broken);
    expect(result.ok).toBe(false);
    const paths = result.violations.map((v) => v.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/points/0/variables/0/slots/mean',
        '/points/0/variables/0/slots/flags',
        '/timezone',
        '/',
      ]),
    );
    const missing = result.violations.find((v) => v.keyword === 'required')!;
    expect(missing.message.en).toMatch(/must have required property '?totals'?/);
    expect(missing.message.es).toMatch(/totals/);
    expect(missing.message.es).not.toBe(missing.message.en);
  });

  it('refuses inputs it cannot report on with typed errors', () => {
    const fieldDay = input().fieldDay;
    expect(buildDailyReport(input({ fieldDay: { ...fieldDay, day: '2026-02-30' } }))).toMatchObject(
      { ok: false, error: { kind: 'invalid_day' } },
    );
    const withUnknown = {
      ...fieldDay,
      points: [
        {
          ...fieldDay.points[0]!,
          variables: [
            { code: 'telepathy', aggregation: fieldDay.points[0]!.variables[0]!.aggregation },
          ],
        },
      ],
    };
    expect(buildDailyReport(input({ fieldDay: withUnknown }))).toMatchObject({
      ok: false,
      error: { kind: 'unknown_variable', variable: 'telepathy' },
    });
    expect(buildDailyReport(input({ fieldDay: { ...fieldDay, day: '2026-11-26' } }))).toMatchObject(
      { ok: false, error: { kind: 'day_mismatch' } },
    );
  });
});
