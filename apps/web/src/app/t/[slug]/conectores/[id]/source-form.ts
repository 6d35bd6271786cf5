import type { z } from 'zod';
import {
  IEC104_TYPES,
  iec104AddressSchema,
  iec104SourceSchema,
  modbusAddressSchema,
  sourceSchema,
  type Iec104Type,
  type ModbusType,
  type SourceConfig,
} from '@anh/domain/connector-config';
import type { TagAddress } from '@anh/domain/tag-mapping';
import { FormProblem, optionalNumber, requiredNumber, text } from '~/components/action-form';
import type { Dictionary, Locale } from '~/lib/i18n';

/**
 * What the connector page's two forms read (a source; a tag's address), checked in the
 * browser with the same zod schemas the server and the connector use, each problem named
 * by its field in the user's language.
 */

export type SourceType = SourceConfig['type'];
/** The source types the page's form offers (RTU sources arrive by importing a file). */
export type FormSourceType = Exclude<SourceType, 'modbus-rtu'>;
export const FORM_SOURCE_TYPES: ReadonlyArray<{ type: FormSourceType; label: string }> = [
  { type: 'modbus-tcp', label: 'Modbus TCP' },
  { type: 'opcua', label: 'OPC UA' },
  { type: 'mqtt', label: 'MQTT' },
  { type: 'iec104', label: 'IEC 60870-5-104' },
];

export type AddressKind = 'modbus' | 'opcua' | 'mqtt' | 'iec104';

/**
 * The address form a source's tags take. Exhaustive: a source type added to the schema
 * fails the type check here instead of falling through to the Modbus form.
 */
export function addressKindOf(type: SourceType): AddressKind {
  switch (type) {
    case 'modbus-tcp':
    case 'modbus-rtu':
      return 'modbus';
    case 'opcua':
      return 'opcua';
    case 'mqtt':
      return 'mqtt';
    case 'iec104':
      return 'iec104';
    default: {
      const unknown: never = type;
      throw new Error(`unknown source type ${String(unknown)}`);
    }
  }
}

/** One line about a source for the list: where it is. */
export function sourceSummary(source: SourceConfig): string {
  switch (source.type) {
    case 'modbus-tcp':
    case 'iec104':
      return `${source.host}:${source.port}`;
    case 'modbus-rtu':
      return source.path;
    case 'opcua':
      return source.endpoint;
    case 'mqtt':
      return source.url;
    default: {
      const unknown: never = source;
      return String(unknown);
    }
  }
}

export const MODBUS_TYPES: ModbusType[] = [
  'float32',
  'float64',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'bool',
];
/** Most measurements an RTU sends are short floats. */
export const DEFAULT_IEC104_KIND: Iec104Type = 'float';
export { IEC104_TYPES };

/** An iec104 source's settings after the port, in the form's order (the YAML's names). */
export const IEC104_SETTINGS = [
  'originatorAddress',
  'k',
  'w',
  't0Ms',
  't1Ms',
  't2Ms',
  't3Ms',
  'interrogationIntervalMs',
  'counterInterrogationIntervalMs',
  'clockSyncIntervalMs',
  'timeOffsetMinutes',
] as const;
export type Iec104Setting = (typeof IEC104_SETTINGS)[number];

/** The schema's own defaults (the standard's), shown in the form and used for an empty field. */
export const IEC104_DEFAULTS = iec104SourceSchema.parse({
  id: 'rtu1',
  type: 'iec104',
  host: 'localhost',
});

function problems(
  issues: readonly z.core.$ZodIssue[],
  labels: Record<string, string>,
  values: Record<string, unknown>,
  t: Dictionary,
): string[] {
  return issues.map((issue) => {
    const key = String(issue.path.at(-1) ?? '');
    const label = labels[key] ?? key;
    switch (issue.code) {
      case 'custom':
        if (key === 'w') return t.iec104WAboveK(Number(values.w), Number(values.k));
        if (key === 't2Ms') return t.iec104T2NotBelowT1(Number(values.t2Ms), Number(values.t1Ms));
        return t.fieldInvalid(label);
      case 'too_small':
        return issue.origin === 'number'
          ? t.fieldAtLeast(label, Number(issue.minimum))
          : t.fieldRequired(label);
      case 'too_big':
        return issue.origin === 'number'
          ? t.fieldAtMost(label, Number(issue.maximum))
          : t.fieldInvalid(label);
      case 'invalid_type':
        return issue.expected === 'int' ? t.fieldWholeNumber(label) : t.fieldInvalid(label);
      default:
        return t.fieldInvalid(label);
    }
  });
}

/** The schema's output, or every problem of the form at once (a FormProblem). */
function checked<S extends z.ZodType>(
  schema: S,
  candidate: Record<string, unknown>,
  labels: Record<string, string>,
  t: Dictionary,
): z.output<S> {
  const result = schema.safeParse(candidate);
  if (result.success) return result.data;
  throw new FormProblem(problems(result.error.issues, labels, candidate, t).join('; '));
}

function sourceLabels(t: Dictionary): Record<string, string> {
  return {
    id: t.sourceId,
    host: t.host,
    port: t.port,
    endpoint: t.endpoint,
    url: t.brokerUrl,
    ...t.iec104Settings,
  };
}

/** The source the form describes (a FormProblem when it is not one the connector runs). */
export function readSource(
  form: FormData,
  type: FormSourceType,
  t: Dictionary,
  locale: Locale,
): SourceConfig {
  const id = text(form, 'id');
  let candidate: Record<string, unknown>;
  switch (type) {
    case 'modbus-tcp':
      candidate = {
        id,
        type,
        host: text(form, 'host'),
        port: requiredNumber(form, 'port', t.port, locale),
        intervalMs: 1000,
        timeoutMs: 1000,
        maxGap: 8,
      };
      break;
    case 'opcua':
      candidate = { id, type, endpoint: text(form, 'endpoint') };
      break;
    case 'mqtt':
      candidate = { id, type, url: text(form, 'url') };
      break;
    case 'iec104': {
      candidate = {
        id,
        type,
        host: text(form, 'host'),
        port: optionalNumber(form, 'port', t.port, locale) ?? IEC104_DEFAULTS.port,
      };
      for (const setting of IEC104_SETTINGS)
        candidate[setting] =
          optionalNumber(form, setting, t.iec104Settings[setting], locale) ??
          IEC104_DEFAULTS[setting];
      break;
    }
    default: {
      const unknown: never = type;
      throw new Error(`unknown source type ${String(unknown)}`);
    }
  }
  return checked(sourceSchema, candidate, sourceLabels(t), t);
}

/** The address of a tag on a source of this kind, read from the mapping form. */
export function readAddress(
  form: FormData,
  kind: AddressKind,
  t: Dictionary,
  locale: Locale,
): TagAddress {
  switch (kind) {
    case 'opcua':
      return { opcua: { nodeId: text(form, 'nodeId') } };
    case 'mqtt': {
      const field = text(form, 'field');
      return { mqtt: { topic: text(form, 'topic'), ...(field ? { field } : {}) } };
    }
    case 'modbus':
      return {
        modbus: checked(
          modbusAddressSchema,
          {
            unit: 1,
            table: 'holding',
            address: requiredNumber(form, 'register', t.register, locale),
            type: text(form, 'modbusType'),
            byteOrder: 'BE',
            wordOrder: 'BE',
          },
          { address: t.register, type: t.modbusType },
          t,
        ),
      };
    case 'iec104':
      return {
        iec104: checked(
          iec104AddressSchema,
          {
            ca: requiredNumber(form, 'ca', t.commonAddress, locale),
            ioa: requiredNumber(form, 'ioa', t.ioa, locale),
            type: text(form, 'iec104Type'),
          },
          { ca: t.commonAddress, ioa: t.ioa, type: t.iec104Type },
          t,
        ),
      };
    default: {
      const unknown: never = kind;
      throw new Error(`unknown address kind ${String(unknown)}`);
    }
  }
}
