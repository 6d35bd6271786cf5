import { createHash } from 'node:crypto';
import { bogotaDayStart, SLOTS_PER_DAY } from '../aggregation/bogota-day';
import { canonicalJson } from '../canonical-json';
import type { GasBase } from '../measurement/gas-base';
import { CATALOG_VERSION, variableByCode } from '../measurement/catalog';
import { roundHalfUp } from '../measurement/api-11-1';
import { UNITS, type Dimension } from '../measurement/units';
import {
  DEFAULT_DAY_RULE_CONFIG,
  evaluateDayRules,
  ruleDefinition,
  type DayRuleConfig,
  type FieldDay,
  type RuleOutcome,
} from '../validation/day-rules';
import {
  QUALITY_FLAGS,
  RULE_FAMILIES,
  RULESET_VERSION,
  type QualityFlag,
  type Severity,
} from '../validation/rules';
import { DAILY_REPORT_VERSION } from './schema';

/** Decimals kept per dimension: the report's fixed number formatting. */
const DECIMALS: Record<Dimension, number> = {
  pressure_gauge: 2,
  pressure_absolute: 2,
  differential_pressure: 2,
  temperature: 2,
  liquid_volume: 2,
  liquid_flow: 2,
  gas_volume: 3,
  gas_flow: 3,
  density: 2,
  api_gravity: 2,
  specific_gravity: 4,
  fraction: 3,
  mole_fraction: 4,
  concentration: 1,
  length: 3,
  frequency: 2,
  rotation: 1,
  stroke_rate: 2,
  current: 2,
  voltage: 1,
  velocity: 3,
  force: 0,
  duration: 2,
  age: 2,
  ratio: 5,
  heating_value: 1,
  state: 3,
};

const round = (value: number | null, decimals: number): number | null =>
  value === null || !Number.isFinite(value) ? null : roundHalfUp(value, decimals) + 0;

/** A sample-rule finding summarised by the pipeline for the day. */
export interface ReportEventInput {
  rule: string;
  point: string | null;
  variable: string | null;
  count: number;
  first: string;
  last: string;
  /** Evidence of the first occurrence, to render the message. */
  value: number;
  value2: number;
}

export interface DailyReportInput {
  operator: { anhOperatorCode: string; nit: string; legalName: string };
  field: {
    code: string;
    name: string;
    fieldName: string;
    contract?: string | null;
    department?: string | null;
    municipality?: string | null;
  };
  fieldDay: FieldDay;
  gasBase: GasBase;
  events: ReportEventInput[];
  previousReportSha256: string | null;
  generatedAt: string;
  dayRules?: DayRuleConfig;
}

export interface ReportCheck {
  rule: string;
  family: number;
  status: RuleOutcome['status'];
  point: string | null;
  variable: string | null;
  value: number | null;
  reference: number | null;
  message: { es: string; en: string };
}

export interface DailyReport {
  reportVersion: string;
  catalogVersion: string;
  rulesetVersion: string;
  operator: DailyReportInput['operator'];
  field: Required<DailyReportInput['field']>;
  day: string;
  timezone: 'America/Bogota';
  period: { start: string; end: string; slotMinutes: 10; slots: 144 };
  generatedAt: string;
  gasBase: GasBase;
  points: Array<{
    code: string;
    name: string;
    kind: string;
    variables: Array<{
      code: string;
      unit: string;
      slots: {
        mean: Array<number | null>;
        min: Array<number | null>;
        max: Array<number | null>;
        completeness: number[];
        delta?: Array<number | null>;
        flags: string;
      };
      daily: {
        mean: number | null;
        min: number | null;
        max: number | null;
        total?: number | null;
        completeness: number;
        worstFlag: QualityFlag;
      };
    }>;
  }>;
  totals: Record<
    | 'oilNsvBbl'
    | 'oilGsvBbl'
    | 'grossObservedBbl'
    | 'waterBbl'
    | 'gasProducedKscf'
    | 'gasSalesKscf'
    | 'gasFlaredKscf'
    | 'waterInjectedBbl',
    number | null
  >;
  balances: ReportCheck[];
  checks: ReportCheck[];
  completeness: {
    overall: number;
    missingSlots: number;
    byPoint: Array<{ point: string; completeness: number }>;
  };
  events: Array<{
    rule: string;
    family: number;
    severity: Severity;
    point: string | null;
    variable: string | null;
    count: number;
    first?: string;
    last?: string;
    message: { es: string; en: string };
  }>;
  integrity: {
    algorithm: 'SHA-256';
    canonicalization: 'anh-canonical-json-1';
    previousReportSha256: string | null;
    sha256: string;
  };
}

export type ReportBuildError =
  | { kind: 'invalid_day'; day: string }
  | { kind: 'unknown_variable'; point: string; variable: string }
  | { kind: 'day_mismatch'; expected: string; got: string };

function formatNumber(value: number | null): string {
  if (value === null) return '—';
  return Number.isInteger(value) ? String(value) : String(roundHalfUp(value, 3));
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? `{${key}}`);
}

function checkOf(outcome: RuleOutcome, pointNames: Map<string, string>): ReportCheck {
  const rule = ruleDefinition(outcome.ruleId);
  const values = {
    point: outcome.point ? (pointNames.get(outcome.point) ?? outcome.point) : '',
    variable: outcome.variable ?? '',
    value: formatNumber(outcome.value),
    value2: formatNumber(outcome.reference),
    min: formatNumber(outcome.reference),
    max: formatNumber(outcome.reference),
    slot: outcome.slots?.length ? outcome.slots.slice(0, 5).join(', ') : '',
  };
  return {
    rule: rule.id,
    family: RULE_FAMILIES[rule.family].number,
    status: outcome.status,
    point: outcome.point,
    variable: outcome.variable,
    value: round(outcome.value, 4),
    reference: round(outcome.reference, 4),
    message:
      outcome.status === 'violation'
        ? { es: render(rule.message.es, values), en: render(rule.message.en, values) }
        : rule.description,
  };
}

/** SHA-256 of the canonical JSON of a report with its own `integrity.sha256` left out. */
export function reportDigest(report: DailyReport): string {
  const { sha256: _omitted, ...integrity } = report.integrity;
  return createHash('sha256')
    .update(canonicalJson({ ...report, integrity }))
    .digest('hex');
}

/** The bytes we deliver: canonical JSON (sorted keys, fixed decimals, no whitespace). */
export function serializeReport(report: DailyReport): string {
  return canonicalJson(report);
}

/**
 * Builds the daily report of one field from its aggregated day. Totals, checks and
 * completeness are derived here, never taken from the caller, so the same aggregates
 * always give the same report (and the same hash).
 */
export function buildDailyReport(
  input: DailyReportInput,
): { ok: true; report: DailyReport } | { ok: false; error: ReportBuildError } {
  const day = input.fieldDay.day;
  const start = bogotaDayStart(day);
  if (!start.ok) return { ok: false, error: { kind: 'invalid_day', day } };
  const pointNames = new Map(input.fieldDay.points.map((p) => [p.code, p.name]));

  const points: DailyReport['points'] = [];
  let completenessSum = 0;
  let completenessCount = 0;
  let missingSlots = 0;
  const byPoint: DailyReport['completeness']['byPoint'] = [];
  for (const point of input.fieldDay.points) {
    const variables: DailyReport['points'][number]['variables'] = [];
    let pointSum = 0;
    for (const variable of point.variables) {
      const definition = variableByCode(variable.code);
      if (!definition)
        return {
          ok: false,
          error: { kind: 'unknown_variable', point: point.code, variable: variable.code },
        };
      if (variable.aggregation.day !== day)
        return {
          ok: false,
          error: { kind: 'day_mismatch', expected: day, got: variable.aggregation.day },
        };
      const decimals = DECIMALS[UNITS[definition.canonicalUnit].dimension];
      const slots = variable.aggregation.slots;
      const mean = slots.map((s) => round(s.mean, decimals));
      const completeness = slots.map((s) => round(s.completeness, 3) ?? 0);
      const present = slots.filter((s) => s.mean !== null);
      const dayCompleteness = completeness.reduce((a, b) => a + b, 0) / SLOTS_PER_DAY;
      missingSlots += slots.length - present.length;
      pointSum += dayCompleteness;
      completenessSum += dayCompleteness;
      completenessCount++;
      const worst = slots.reduce((w, s) => Math.max(w, QUALITY_FLAGS.indexOf(s.flag)), 0);
      const isTotalizer = definition.kind === 'totalizer';
      variables.push({
        code: variable.code,
        unit: definition.canonicalUnit,
        slots: {
          mean,
          min: slots.map((s) => round(s.min, decimals)),
          max: slots.map((s) => round(s.max, decimals)),
          completeness,
          ...(isTotalizer ? { delta: slots.map((s) => round(s.delta, decimals)) } : {}),
          flags: slots.map((s) => s.flag).join(''),
        },
        daily: {
          mean: present.length
            ? round(present.reduce((a, s) => a + s.mean!, 0) / present.length, decimals)
            : null,
          min: present.length ? round(Math.min(...present.map((s) => s.min!)), decimals) : null,
          max: present.length ? round(Math.max(...present.map((s) => s.max!)), decimals) : null,
          ...(isTotalizer ? { total: round(variable.aggregation.total, decimals) } : {}),
          completeness: round(dayCompleteness, 4) ?? 0,
          worstFlag: QUALITY_FLAGS[worst]!,
        },
      });
    }
    byPoint.push({
      point: point.code,
      completeness: round(point.variables.length ? pointSum / point.variables.length : 0, 4) ?? 0,
    });
    points.push({ code: point.code, name: point.name, kind: point.kind, variables });
  }

  const outcomes = evaluateDayRules(input.fieldDay, input.dayRules ?? DEFAULT_DAY_RULE_CONFIG);
  // Completeness outcomes per variable are summarised in `completeness`; list only their failures.
  const checks = outcomes
    .filter((o) => !o.ruleId.startsWith('completeness.') || o.status === 'violation')
    .map((o) => checkOf(o, pointNames));
  const dailyTotal = (kind: string, code: string): number | null => {
    let sum: number | null = null;
    for (const point of points) {
      if (point.kind !== kind) continue;
      const total = point.variables.find((v) => v.code === code)?.daily.total;
      if (total !== undefined && total !== null) sum = (sum ?? 0) + total;
    }
    return sum === null ? null : round(sum, 3);
  };
  const gsv = dailyTotal('fiscal_liquid_meter', 'fiscal_gsv_totalizer');
  const nsv = dailyTotal('fiscal_liquid_meter', 'fiscal_nsv_totalizer');
  const totals: DailyReport['totals'] = {
    oilNsvBbl: nsv,
    oilGsvBbl: gsv,
    grossObservedBbl: dailyTotal('fiscal_liquid_meter', 'fiscal_gross_totalizer'),
    waterBbl:
      dailyTotal('separator', 'separator_water_totalizer') ??
      (gsv !== null && nsv !== null ? round(gsv - nsv, 3) : null),
    gasProducedKscf: dailyTotal('separator', 'separator_gas_totalizer'),
    gasSalesKscf: dailyTotal('gas_meter', 'gas_standard_totalizer'),
    gasFlaredKscf: dailyTotal('flare', 'flare_totalizer'),
    waterInjectedBbl: dailyTotal('injection', 'injection_totalizer'),
  };

  const events: DailyReport['events'] = input.events.map((event) => {
    const rule = ruleDefinition(event.rule);
    const definition = event.variable ? variableByCode(event.variable) : undefined;
    const values = (locale: 'es' | 'en') => ({
      variable: definition?.name[locale] ?? event.variable ?? '',
      point: event.point ?? '',
      value: formatNumber(event.value),
      value2: formatNumber(event.value2),
      unit: definition ? UNITS[definition.canonicalUnit].label : '',
      min: formatNumber(definition?.physicalRange[0] ?? null),
      max: formatNumber(definition?.physicalRange[1] ?? null),
    });
    return {
      rule: rule.id,
      family: RULE_FAMILIES[rule.family].number,
      severity: rule.severity,
      point: event.point,
      variable: event.variable,
      count: event.count,
      first: event.first,
      last: event.last,
      message: {
        es: render(rule.message.es, values('es')),
        en: render(rule.message.en, values('en')),
      },
    };
  });
  for (const check of checks) {
    if (check.status !== 'violation') continue;
    const rule = ruleDefinition(check.rule);
    events.push({
      rule: check.rule,
      family: check.family,
      severity: rule.severity,
      point: check.point,
      variable: check.variable,
      count: 1,
      message: check.message,
    });
  }

  const isoBogota = (ms: number) =>
    `${new Date(ms - 5 * 3600_000).toISOString().slice(0, 19)}-05:00`;
  const report: DailyReport = {
    reportVersion: DAILY_REPORT_VERSION,
    catalogVersion: CATALOG_VERSION,
    rulesetVersion: RULESET_VERSION,
    operator: input.operator,
    field: {
      code: input.field.code,
      name: input.field.name,
      fieldName: input.field.fieldName,
      contract: input.field.contract ?? null,
      department: input.field.department ?? null,
      municipality: input.field.municipality ?? null,
    },
    day,
    timezone: 'America/Bogota',
    period: {
      start: isoBogota(start.ms),
      end: isoBogota(start.ms + 24 * 3600_000),
      slotMinutes: 10,
      slots: 144,
    },
    generatedAt: input.generatedAt,
    gasBase: input.gasBase,
    points,
    totals,
    balances: checks.filter((c) => c.family === RULE_FAMILIES.balance.number),
    checks,
    completeness: {
      overall: round(completenessCount ? completenessSum / completenessCount : 0, 4) ?? 0,
      missingSlots,
      byPoint,
    },
    events,
    integrity: {
      algorithm: 'SHA-256',
      canonicalization: 'anh-canonical-json-1',
      previousReportSha256: input.previousReportSha256,
      sha256: '',
    },
  };
  report.integrity.sha256 = reportDigest(report);
  return { ok: true, report };
}
