import { CATALOG_VERSION, VARIABLES, type VariableDefinition } from '../measurement/catalog';
import { UNITS } from '../measurement/units';
import { AppError } from '../errors';

/**
 * The validation rules, instantiated from the variable catalog. Every rule has a stable
 * id (`range.tubing_head_pressure`), a family (the twelve of the domain brief), a
 * severity, the quality flag it sets when it fires (null: it only reports), and a message
 * template in Spanish and English whose {placeholders} are filled from the evidence.
 */
export const RULE_FAMILIES = {
  schema: {
    number: 1,
    es: 'Esquema, unidades y condiciones de referencia',
    en: 'Schema, units and reference conditions',
  },
  range: { number: 2, es: 'Rango físico y de instrumento', en: 'Physical and instrument range' },
  rate_of_change: { number: 3, es: 'Tasa de cambio / picos', en: 'Rate of change / spike' },
  stuck: { number: 4, es: 'Valor congelado', en: 'Stuck or frozen value' },
  completeness: { number: 5, es: 'Completitud y oportunidad', en: 'Completeness and timeliness' },
  status: { number: 6, es: 'Consistencia de estado', en: 'Status consistency' },
  cross_variable: { number: 7, es: 'Física entre variables', en: 'Cross-variable physics' },
  balance: { number: 8, es: 'Balances', en: 'Balances' },
  totalizer: {
    number: 9,
    es: 'Totalizador frente a tasa integrada',
    en: 'Totalizer vs integrated rate',
  },
  cumulative: { number: 10, es: 'Monotonía de acumulados', en: 'Cumulative monotonicity' },
  calibration: { number: 11, es: 'Metadatos de calibración', en: 'Calibration metadata' },
  statistical: { number: 12, es: 'Anomalía estadística', en: 'Statistical anomaly' },
} as const;

export type RuleFamily = keyof typeof RULE_FAMILIES;
export type Severity = 'info' | 'warning' | 'error';
/** G good, S substituted, E estimated, B bad, M missing. */
export const QUALITY_FLAGS = ['G', 'S', 'E', 'B', 'M'] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];
export const FLAG = { G: 0, S: 1, E: 2, B: 3, M: 4 } as const;

/** What a rule looks at: one sample, one 10-minute slot, or one day. */
export type RuleScope = 'sample' | 'slot' | 'day';

/** Which check of the engine implements a per-variable rule. */
export type SampleCheck =
  | 'finite'
  | 'range'
  | 'typical'
  | 'rate_of_change'
  | 'stuck'
  | 'source_bad'
  | 'source_uncertain'
  | 'future'
  | 'out_of_order'
  | 'duplicate'
  | 'totalizer_reset'
  | 'totalizer_rollover'
  | 'totalizer_jump'
  | 'spc';

/** Which check of the slot and day evaluation implements an aggregate rule. */
export type AggregateCheck =
  | 'slot_completeness'
  | 'slot_missing'
  | 'totalizer_not_moving'
  | 'flow_while_shut_in'
  | 'volume_without_hours'
  | 'nsv_le_gsv'
  | 'gsv_vs_gov'
  | 'bsw_vs_water'
  | 'gor_range'
  | 'api60_vs_observed'
  | 'gas_composition_sum'
  | 'allocation_vs_fiscal'
  | 'tank_balance'
  | 'gas_balance'
  | 'totalizer_vs_rate'
  | 'cumulative_monotonic'
  | 'proving_expired'
  | 'meter_factor_change';

export interface RuleDefinition {
  id: string;
  family: RuleFamily;
  scope: RuleScope;
  severity: Severity;
  /** Flag the sample (or slot) gets when the rule fires; null when it only reports. */
  flag: QualityFlag | null;
  variable: string | null;
  check: SampleCheck | AggregateCheck;
  message: { es: string; en: string };
  description: { es: string; en: string };
}

interface Template {
  family: RuleFamily;
  check: SampleCheck;
  severity: Severity;
  flag: QualityFlag | null;
  applies: (v: VariableDefinition) => boolean;
  message: { es: string; en: string };
  description: (v: VariableDefinition, unit: string) => { es: string; en: string };
}

const isContinuous = (v: VariableDefinition) => v.kind === 'analog';

/** Per-variable rule templates, in the order the engine checks them. */
export const SAMPLE_TEMPLATES = {
  'schema.finite': {
    family: 'schema',
    check: 'finite',
    severity: 'error',
    flag: 'B',
    applies: () => true,
    message: {
      es: '{variable}: el valor no es un número finito',
      en: '{variable}: value is not a finite number',
    },
    description: () => ({
      es: 'Rechaza NaN, infinito o vacío.',
      en: 'Rejects NaN, infinity or empty values.',
    }),
  },
  range: {
    family: 'range',
    check: 'range',
    severity: 'error',
    flag: 'B',
    applies: () => true,
    message: {
      es: '{variable}: {value} {unit} fuera del rango físico [{min}, {max}]',
      en: '{variable}: {value} {unit} outside the physical range [{min}, {max}]',
    },
    description: (v, u) => ({
      es: `Rango físico ${v.physicalRange[0]} a ${v.physicalRange[1]} ${u}.`,
      en: `Physical range ${v.physicalRange[0]} to ${v.physicalRange[1]} ${u}.`,
    }),
  },
  typical: {
    family: 'range',
    check: 'typical',
    severity: 'warning',
    flag: null,
    applies: (v) => v.kind !== 'state' && v.kind !== 'totalizer',
    message: {
      es: '{variable}: {value} {unit} fuera del rango típico [{min}, {max}]',
      en: '{variable}: {value} {unit} outside the typical range [{min}, {max}]',
    },
    description: (v, u) => ({
      es: `Rango típico ${v.typicalRange[0]} a ${v.typicalRange[1]} ${u}.`,
      en: `Typical range ${v.typicalRange[0]} to ${v.typicalRange[1]} ${u}.`,
    }),
  },
  roc: {
    family: 'rate_of_change',
    check: 'rate_of_change',
    severity: 'warning',
    flag: null,
    applies: (v) => v.maxRatePerMinute !== null && v.kind !== 'totalizer',
    message: {
      es: '{variable}: cambio de {value} {unit}/min supera el máximo {max}',
      en: '{variable}: change of {value} {unit}/min exceeds the maximum {max}',
    },
    description: (v, u) => ({
      es: `Cambio máximo ${v.maxRatePerMinute} ${u}/min.`,
      en: `Largest credible change ${v.maxRatePerMinute} ${u}/min.`,
    }),
  },
  stuck: {
    family: 'stuck',
    check: 'stuck',
    severity: 'error',
    flag: 'B',
    applies: (v) => v.stuckAfterMinutes !== null && isContinuous(v),
    message: {
      es: '{variable}: valor {value} sin cambio durante {value2} min (congelado)',
      en: '{variable}: value {value} unchanged for {value2} min (frozen)',
    },
    description: (v) => ({
      es: `Congelado si no cambia en ${v.stuckAfterMinutes} min.`,
      en: `Frozen when unchanged for ${v.stuckAfterMinutes} min.`,
    }),
  },
  'quality.bad': {
    family: 'status',
    check: 'source_bad',
    severity: 'error',
    flag: 'B',
    applies: () => true,
    message: {
      es: '{variable}: la fuente reporta calidad mala (código {value2})',
      en: '{variable}: source reports Bad quality (status {value2})',
    },
    description: () => ({
      es: 'Estado OPC UA/Modbus de la fuente: malo.',
      en: 'Source status (OPC UA/Modbus) is Bad.',
    }),
  },
  'quality.uncertain': {
    family: 'status',
    check: 'source_uncertain',
    severity: 'warning',
    flag: null,
    applies: () => true,
    message: {
      es: '{variable}: la fuente reporta calidad incierta (código {value2})',
      en: '{variable}: source reports Uncertain quality (status {value2})',
    },
    description: () => ({
      es: 'Estado de la fuente: incierto.',
      en: 'Source status is Uncertain.',
    }),
  },
  'timeliness.future': {
    family: 'completeness',
    check: 'future',
    severity: 'error',
    flag: 'B',
    applies: () => true,
    message: {
      es: '{variable}: marca de tiempo {value2} ms en el futuro (reloj desfasado)',
      en: '{variable}: timestamp {value2} ms in the future (clock skew)',
    },
    description: () => ({
      es: 'Marca de tiempo posterior al reloj del servidor más la tolerancia.',
      en: 'Timestamp later than the server clock plus tolerance.',
    }),
  },
  'timeliness.out_of_order': {
    family: 'completeness',
    check: 'out_of_order',
    severity: 'info',
    flag: null,
    applies: () => true,
    message: {
      es: '{variable}: muestra tardía, anterior a la última recibida',
      en: '{variable}: late sample, older than the last one received',
    },
    description: () => ({
      es: 'Llegó fuera de orden; se agrega a su franja sin reglas de secuencia.',
      en: 'Arrived out of order; aggregated into its slot without sequence rules.',
    }),
  },
  'completeness.duplicate': {
    family: 'completeness',
    check: 'duplicate',
    severity: 'info',
    flag: null,
    applies: () => true,
    message: {
      es: '{variable}: muestra duplicada descartada',
      en: '{variable}: duplicate sample discarded',
    },
    description: () => ({
      es: 'Misma marca de tiempo que una muestra ya aceptada.',
      en: 'Same timestamp as an accepted sample.',
    }),
  },
  'totalizer.reset': {
    family: 'totalizer',
    check: 'totalizer_reset',
    severity: 'warning',
    flag: null,
    applies: (v) => v.kind === 'totalizer',
    message: {
      es: '{variable}: el totalizador bajó de {value2} a {value} (reinicio)',
      en: '{variable}: totalizer fell from {value2} to {value} (reset)',
    },
    description: () => ({
      es: 'Descenso que no es un desborde: reinicio del contador.',
      en: 'A fall that is not a rollover: counter reset.',
    }),
  },
  'totalizer.rollover': {
    family: 'totalizer',
    check: 'totalizer_rollover',
    severity: 'info',
    flag: null,
    applies: (v) => v.kind === 'totalizer',
    message: {
      es: '{variable}: desborde del totalizador en {max}',
      en: '{variable}: totalizer rolled over at {max}',
    },
    description: () => ({
      es: 'Paso por el valor máximo del contador.',
      en: 'Counter passed its maximum value.',
    }),
  },
  'totalizer.jump': {
    family: 'totalizer',
    check: 'totalizer_jump',
    severity: 'error',
    flag: 'B',
    applies: (v) => v.kind === 'totalizer',
    message: {
      es: '{variable}: incremento de {value} {unit} imposible en {value2} min',
      en: '{variable}: increase of {value} {unit} impossible in {value2} min',
    },
    description: () => ({
      es: 'Incremento mayor que el caudal máximo configurado.',
      en: 'Increase larger than the configured maximum flow allows.',
    }),
  },
  spc: {
    family: 'statistical',
    check: 'spc',
    severity: 'info',
    flag: null,
    applies: isContinuous,
    message: {
      es: '{variable}: {value} a {value2} desviaciones de su media móvil (EWMA)',
      en: '{variable}: {value} is {value2} standard deviations from its moving mean (EWMA)',
    },
    description: () => ({
      es: 'Control estadístico EWMA; solo marca, nunca corrige.',
      en: 'EWMA statistical control; flags only, never rewrites.',
    }),
  },
} satisfies Record<string, Template>;

export type SampleTemplateKey = keyof typeof SAMPLE_TEMPLATES;

/** Rules over aggregated slots and days, defined once (not per variable). */
const AGGREGATE_RULES: Array<Omit<RuleDefinition, 'variable'>> = [
  {
    id: 'completeness.slot',
    family: 'completeness',
    scope: 'slot',
    severity: 'warning',
    flag: null,
    check: 'slot_completeness',
    message: {
      es: '{variable}: franja {slot} con completitud {value}',
      en: '{variable}: slot {slot} completeness {value}',
    },
    description: {
      es: 'Franja de 10 min con menos muestras de las esperadas.',
      en: '10-minute slot with fewer samples than expected.',
    },
  },
  {
    id: 'completeness.slot_missing',
    family: 'completeness',
    scope: 'slot',
    severity: 'error',
    flag: 'M',
    check: 'slot_missing',
    message: {
      es: '{variable}: franja {slot} sin datos',
      en: '{variable}: slot {slot} has no data',
    },
    description: { es: 'Franja sin ninguna muestra válida.', en: 'Slot without any valid sample.' },
  },
  {
    id: 'stuck.totalizer_not_moving',
    family: 'stuck',
    scope: 'slot',
    severity: 'error',
    flag: null,
    check: 'totalizer_not_moving',
    message: {
      es: '{point}: el totalizador no avanzó en {value} franjas con caudal',
      en: '{point}: totalizer did not move in {value} slots with flow',
    },
    description: {
      es: 'Totalizador detenido mientras el caudal es mayor que cero.',
      en: 'Totalizer not moving while the flow rate is above zero.',
    },
  },
  {
    id: 'status.flow_while_shut_in',
    family: 'status',
    scope: 'slot',
    severity: 'error',
    flag: null,
    check: 'flow_while_shut_in',
    message: {
      es: 'Pozo {point}: flujo {value} con el pozo cerrado',
      en: 'Well {point}: flow {value} while shut in',
    },
    description: {
      es: 'Caudal de prueba mayor que cero con estado cerrado.',
      en: 'Test flow above zero while the well status is off.',
    },
  },
  {
    id: 'status.volume_without_hours',
    family: 'status',
    scope: 'day',
    severity: 'error',
    flag: null,
    check: 'volume_without_hours',
    message: {
      es: 'Pozo {point}: producción {value} con 0 horas',
      en: 'Well {point}: production {value} with 0 hours on',
    },
    description: {
      es: 'Producción reportada sin horas de operación.',
      en: 'Production reported with zero hours on.',
    },
  },
  {
    id: 'cross_variable.nsv_le_gsv',
    family: 'cross_variable',
    scope: 'day',
    severity: 'error',
    flag: null,
    check: 'nsv_le_gsv',
    message: {
      es: '{point}: NSV {value} mayor que GSV {value2}',
      en: '{point}: NSV {value} greater than GSV {value2}',
    },
    description: {
      es: 'El volumen neto no puede superar al bruto estándar, ni en una franja ni en el día.',
      en: 'Net volume cannot exceed gross standard volume, in any slot or over the day.',
    },
  },
  {
    id: 'cross_variable.gsv_vs_gov',
    family: 'cross_variable',
    scope: 'day',
    severity: 'warning',
    flag: null,
    check: 'gsv_vs_gov',
    message: {
      es: '{point}: GSV {value} difiere {value2} % de GOV·CTPL·MF',
      en: '{point}: GSV {value} differs {value2} % from GOV·CTPL·MF',
    },
    description: {
      es: 'GSV del computador de flujo frente a GOV·CTPL·MF (API MPMS 12.2), tolerancia 0,1 %.',
      en: 'Flow computer GSV against GOV·CTPL·MF (API MPMS 12.2), 0.1 % tolerance.',
    },
  },
  {
    id: 'cross_variable.bsw_vs_water',
    family: 'cross_variable',
    scope: 'day',
    severity: 'warning',
    flag: null,
    check: 'bsw_vs_water',
    message: {
      es: '{point}: BSW del analizador {value} % frente a {value2} % por volúmenes',
      en: '{point}: analyser BS&W {value} % against {value2} % from volumes',
    },
    description: {
      es: 'BSW promedio del analizador frente a (GSV−NSV)/GSV, tolerancia 0,5 puntos.',
      en: 'Average analyser BS&W against (GSV−NSV)/GSV, 0.5-point tolerance.',
    },
  },
  {
    id: 'cross_variable.gor_range',
    family: 'cross_variable',
    scope: 'day',
    severity: 'warning',
    flag: null,
    check: 'gor_range',
    message: {
      es: '{point}: GOR {value} scf/bbl fuera de [{min}, {max}]',
      en: '{point}: GOR {value} scf/bbl outside [{min}, {max}]',
    },
    description: {
      es: 'Relación gas-aceite del separador dentro del rango del campo.',
      en: 'Separator gas-oil ratio within the field range.',
    },
  },
  {
    id: 'cross_variable.api60_vs_observed',
    family: 'cross_variable',
    scope: 'day',
    severity: 'warning',
    flag: null,
    check: 'api60_vs_observed',
    message: {
      es: '{point}: API a 60 °F {value} frente a {value2} calculado del observado',
      en: '{point}: API at 60 °F {value} against {value2} computed from observed',
    },
    description: {
      es: 'API observado corregido a 60 °F (API MPMS 11.1) frente al API60 reportado, tolerancia 0,5 °API.',
      en: 'Observed API corrected to 60 °F (API MPMS 11.1) against reported API60, 0.5 °API tolerance.',
    },
  },
  {
    id: 'cross_variable.gas_composition_sum',
    family: 'cross_variable',
    scope: 'day',
    severity: 'warning',
    flag: null,
    check: 'gas_composition_sum',
    message: {
      es: '{point}: la composición suma {value} mol %',
      en: '{point}: composition adds up to {value} mol %',
    },
    description: {
      es: 'Los componentes del gas deben sumar 100 ± 1 mol %.',
      en: 'Gas components must add up to 100 ± 1 mol %.',
    },
  },
  {
    id: 'balance.allocation_vs_fiscal',
    family: 'balance',
    scope: 'day',
    severity: 'warning',
    flag: null,
    check: 'allocation_vs_fiscal',
    message: {
      es: 'Campo: aceite asignado {value} bbl frente a fiscal {value2} bbl',
      en: 'Field: allocated oil {value} bbl against fiscal {value2} bbl',
    },
    description: {
      es: 'Suma de separadores frente al medidor fiscal, tolerancia configurable (5 %).',
      en: 'Sum of separators against the fiscal meter, configurable tolerance (5 %).',
    },
  },
  {
    id: 'balance.tank',
    family: 'balance',
    scope: 'day',
    severity: 'warning',
    flag: null,
    check: 'tank_balance',
    message: {
      es: 'Tanque {point}: inicial + entradas − salidas difiere {value} bbl del cierre',
      en: 'Tank {point}: opening + in − out differs {value} bbl from closing',
    },
    description: {
      es: 'Balance de tanque con tolerancia configurable.',
      en: 'Tank balance within a configurable tolerance.',
    },
  },
  {
    id: 'balance.gas',
    family: 'balance',
    scope: 'day',
    severity: 'warning',
    flag: null,
    check: 'gas_balance',
    message: {
      es: 'Gas producido {value} KPC frente a destino {value2} KPC',
      en: 'Gas produced {value} KPC against disposition {value2} KPC',
    },
    description: {
      es: 'Gas de separadores = medido + tea + inyección, tolerancia configurable.',
      en: 'Separator gas = metered + flare + injection, configurable tolerance.',
    },
  },
  {
    id: 'totalizer.vs_integrated_rate',
    family: 'totalizer',
    scope: 'day',
    severity: 'warning',
    flag: null,
    check: 'totalizer_vs_rate',
    message: {
      es: '{point}: totalizador {value} frente a caudal integrado {value2}',
      en: '{point}: totalizer {value} against integrated rate {value2}',
    },
    description: {
      es: 'Delta del totalizador frente a la integral del caudal, tolerancia 2 %.',
      en: 'Totalizer delta against the integrated flow rate, 2 % tolerance.',
    },
  },
  {
    id: 'cumulative.monotonic',
    family: 'cumulative',
    scope: 'day',
    severity: 'error',
    flag: null,
    check: 'cumulative_monotonic',
    message: {
      es: '{variable}: acumulado bajó de {value2} a {value}',
      en: '{variable}: cumulative fell from {value2} to {value}',
    },
    description: {
      es: 'Los acumulados nunca disminuyen (Forma 9SH/F202).',
      en: 'Cumulatives never decrease (Forma 9SH/F202).',
    },
  },
  {
    id: 'calibration.proving_expired',
    family: 'calibration',
    scope: 'day',
    severity: 'error',
    flag: null,
    check: 'proving_expired',
    message: {
      es: '{point}: última calibración hace {value} días (máximo {max})',
      en: '{point}: last proving {value} days ago (maximum {max})',
    },
    description: { es: 'Calibración (proving) vencida.', en: 'Proving is overdue.' },
  },
  {
    id: 'calibration.meter_factor_change',
    family: 'calibration',
    scope: 'day',
    severity: 'warning',
    flag: null,
    check: 'meter_factor_change',
    message: {
      es: '{point}: el factor del medidor cambió {value} % (máximo {max} %)',
      en: '{point}: meter factor changed {value} % (maximum {max} %)',
    },
    description: {
      es: 'Cambio entre calibraciones mayor que 0,25 % (API MPMS 4.8).',
      en: 'Change between provings above 0.25 % (API MPMS 4.8).',
    },
  },
];

function instantiate(): RuleDefinition[] {
  const rules: RuleDefinition[] = [];
  for (const v of VARIABLES) {
    const unit = UNITS[v.canonicalUnit].label;
    for (const [key, template] of Object.entries(SAMPLE_TEMPLATES) as Array<[string, Template]>) {
      if (!template.applies(v)) continue;
      rules.push({
        id: `${key}.${v.code}`,
        family: template.family,
        scope: 'sample',
        severity: template.severity,
        flag: template.flag,
        variable: v.code,
        check: template.check,
        message: template.message,
        description: template.description(v, unit),
      });
    }
  }
  for (const rule of AGGREGATE_RULES) rules.push({ ...rule, variable: null });
  return rules;
}

export const RULES: readonly RuleDefinition[] = instantiate();
export const RULESET_VERSION = `${CATALOG_VERSION}+${RULES.length}`;

const RULE_INDEX = new Map(RULES.map((rule, index) => [rule.id, index]));

export function ruleIndex(id: string): number {
  const index = RULE_INDEX.get(id);
  if (index === undefined)
    throw new AppError('NOT_FOUND', `Unknown rule ${id}`, { details: { id } });
  return index;
}
