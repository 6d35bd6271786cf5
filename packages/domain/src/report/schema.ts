import { POINT_KINDS } from '../tenancy';

/**
 * JSON Schema (draft 2020-12) of the daily ANH report, version 1. No ANH format is
 * published; this is ours, designed to be checkable by a regulator without our code:
 * every series has exactly 144 slots, every flag is one of G/S/E/B/M, every total names
 * its unit and base conditions, and the integrity block chains each report to the last.
 */
export const DAILY_REPORT_VERSION = '1.0.0';
export const DAILY_REPORT_SCHEMA_ID = 'urn:anh-smart-reporter:schema:daily-report:1';

const nullableNumber = { type: ['number', 'null'] } as const;
const series = (items: object) => ({ type: 'array', minItems: 144, maxItems: 144, items }) as const;
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const bilingual = {
  type: 'object',
  required: ['es', 'en'],
  additionalProperties: false,
  properties: { es: { type: 'string', minLength: 1 }, en: { type: 'string', minLength: 1 } },
} as const;
const instant = { type: 'string', format: 'date-time' } as const;

export const DAILY_REPORT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: DAILY_REPORT_SCHEMA_ID,
  title: 'Reporte diario de producción a la ANH / Daily production report to the ANH',
  type: 'object',
  additionalProperties: false,
  required: [
    'reportVersion',
    'catalogVersion',
    'rulesetVersion',
    'operator',
    'field',
    'day',
    'timezone',
    'period',
    'generatedAt',
    'gasBase',
    'points',
    'totals',
    'balances',
    'checks',
    'completeness',
    'events',
    'integrity',
  ],
  properties: {
    reportVersion: { const: DAILY_REPORT_VERSION },
    catalogVersion: { type: 'string', minLength: 1 },
    rulesetVersion: { type: 'string', minLength: 1 },
    operator: {
      type: 'object',
      additionalProperties: false,
      required: ['anhOperatorCode', 'nit', 'legalName'],
      properties: {
        anhOperatorCode: { type: 'string', pattern: '^[A-Z0-9][A-Z0-9_-]*$' },
        nit: { type: 'string', pattern: '^[0-9]{1,3}(\\.[0-9]{3})*-[0-9]$' },
        legalName: { type: 'string', minLength: 2 },
      },
    },
    field: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'name', 'fieldName'],
      properties: {
        code: { type: 'string', minLength: 1 },
        name: { type: 'string', minLength: 1 },
        fieldName: { type: 'string', minLength: 1 },
        contract: { type: ['string', 'null'] },
        department: { type: ['string', 'null'] },
        municipality: { type: ['string', 'null'] },
      },
    },
    day: { type: 'string', format: 'date' },
    timezone: { const: 'America/Bogota' },
    period: {
      type: 'object',
      additionalProperties: false,
      required: ['start', 'end', 'slotMinutes', 'slots'],
      properties: {
        start: instant,
        end: instant,
        slotMinutes: { const: 10 },
        slots: { const: 144 },
      },
    },
    generatedAt: instant,
    gasBase: {
      type: 'object',
      additionalProperties: false,
      required: ['temperatureF', 'pressurePsia'],
      properties: {
        temperatureF: { type: 'number' },
        pressurePsia: { type: 'number', exclusiveMinimum: 0 },
      },
    },
    points: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['code', 'name', 'kind', 'variables'],
        properties: {
          code: { type: 'string', minLength: 1 },
          name: { type: 'string', minLength: 1 },
          kind: { enum: [...POINT_KINDS] },
          variables: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['code', 'unit', 'slots', 'daily'],
              properties: {
                code: { type: 'string', pattern: '^[a-z0-9_]+$' },
                unit: { type: 'string', minLength: 1 },
                slots: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['mean', 'min', 'max', 'completeness', 'flags'],
                  properties: {
                    mean: series(nullableNumber),
                    min: series(nullableNumber),
                    max: series(nullableNumber),
                    completeness: series({ type: 'number', minimum: 0, maximum: 1 }),
                    delta: series(nullableNumber),
                    flags: { type: 'string', pattern: '^[GSEBM]{144}$' },
                  },
                },
                daily: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['mean', 'min', 'max', 'completeness', 'worstFlag'],
                  properties: {
                    mean: nullableNumber,
                    min: nullableNumber,
                    max: nullableNumber,
                    total: nullableNumber,
                    completeness: { type: 'number', minimum: 0, maximum: 1 },
                    worstFlag: { enum: ['G', 'S', 'E', 'B', 'M'] },
                  },
                },
              },
            },
          },
        },
      },
    },
    totals: {
      type: 'object',
      additionalProperties: false,
      required: [
        'oilNsvBbl',
        'oilGsvBbl',
        'grossObservedBbl',
        'waterBbl',
        'gasProducedKscf',
        'gasSalesKscf',
        'gasFlaredKscf',
        'waterInjectedBbl',
      ],
      properties: Object.fromEntries(
        [
          'oilNsvBbl',
          'oilGsvBbl',
          'grossObservedBbl',
          'waterBbl',
          'gasProducedKscf',
          'gasSalesKscf',
          'gasFlaredKscf',
          'waterInjectedBbl',
        ].map((k) => [k, { type: ['number', 'null'], minimum: 0 }]),
      ),
    },
    balances: { type: 'array', items: { $ref: '#/$defs/check' } },
    checks: { type: 'array', items: { $ref: '#/$defs/check' } },
    completeness: {
      type: 'object',
      additionalProperties: false,
      required: ['overall', 'missingSlots', 'byPoint'],
      properties: {
        overall: { type: 'number', minimum: 0, maximum: 1 },
        missingSlots: { type: 'integer', minimum: 0 },
        byPoint: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['point', 'completeness'],
            properties: {
              point: { type: 'string' },
              completeness: { type: 'number', minimum: 0, maximum: 1 },
            },
          },
        },
      },
    },
    events: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['rule', 'family', 'severity', 'count', 'message'],
        properties: {
          rule: { type: 'string', minLength: 1 },
          family: { type: 'integer', minimum: 1, maximum: 12 },
          severity: { enum: ['info', 'warning', 'error'] },
          point: { type: ['string', 'null'] },
          variable: { type: ['string', 'null'] },
          count: { type: 'integer', minimum: 1 },
          first: { ...instant },
          last: { ...instant },
          message: bilingual,
        },
      },
    },
    integrity: {
      type: 'object',
      additionalProperties: false,
      required: ['algorithm', 'canonicalization', 'previousReportSha256', 'sha256'],
      properties: {
        algorithm: { const: 'SHA-256' },
        canonicalization: { const: 'anh-canonical-json-1' },
        previousReportSha256: { anyOf: [sha256, { type: 'null' }] },
        sha256,
      },
    },
  },
  $defs: {
    check: {
      type: 'object',
      additionalProperties: false,
      required: ['rule', 'family', 'status', 'message'],
      properties: {
        rule: { type: 'string' },
        family: { type: 'integer', minimum: 1, maximum: 12 },
        status: { enum: ['ok', 'violation', 'not_evaluated'] },
        point: { type: ['string', 'null'] },
        variable: { type: ['string', 'null'] },
        value: nullableNumber,
        reference: nullableNumber,
        message: bilingual,
      },
    },
  },
} as const;
