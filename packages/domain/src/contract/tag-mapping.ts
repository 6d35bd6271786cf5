import { z } from 'zod';
import { AppError } from '../errors';
import {
  connectorConfigSchema,
  iec104AddressSchema,
  modbusAddressSchema,
  sourceSchema,
  tagSchema,
  type ConnectorConfig,
  type SourceConfig,
  type TagConfig,
} from './connector-config';

/**
 * The tag mapping as the web app keeps it (one row per mapped variable) and as the
 * connector runs it (its YAML file): the conversions both ways, and the one rule that
 * makes a mapping usable — an address feeds one variable.
 */
export const tagAddressSchema = z.union([
  z.object({ modbus: modbusAddressSchema }).strict(),
  z.object({ opcua: z.object({ nodeId: z.string().trim().min(1).max(400) }).strict() }).strict(),
  z
    .object({
      mqtt: z
        .object({
          topic: z.string().trim().min(1).max(400),
          field: z.string().max(200).optional(),
          metric: z.string().max(200).optional(),
        })
        .strict(),
    })
    .strict(),
  z.object({ iec104: iec104AddressSchema }).strict(),
]);
export type TagAddress = z.infer<typeof tagAddressSchema>;

/** The address in one line of text: what makes two tags "the same tag". */
export function tagKeyOf(sourceId: string, address: TagAddress): string {
  if ('modbus' in address) {
    const m = modbusAddressSchema.parse(address.modbus);
    return `${sourceId}/modbus/${m.unit}/${m.table}/${m.address}`;
  }
  if ('opcua' in address) return `${sourceId}/opcua/${address.opcua.nodeId}`;
  // The kind is not part of the key: one information object feeds one variable, whatever
  // type it is read as.
  if ('iec104' in address) return `${sourceId}/iec104/${address.iec104.ca}/${address.iec104.ioa}`;
  const { topic, field, metric } = address.mqtt;
  return `${sourceId}/mqtt/${topic}#${field ?? metric ?? ''}`;
}

/** A mapped variable, with what the connector's YAML names it by. */
export interface MappedVariable {
  variableId: string;
  pointCode: string;
  variableCode: string;
  unit: string;
  sourceId: string;
  address: TagAddress;
  scale: number;
  offset: number;
}

/** The tags of a mapping that share an address, as pairs of variable ids (empty when none). */
export function duplicateTags(
  mappings: ReadonlyArray<Pick<MappedVariable, 'variableId' | 'sourceId' | 'address'>>,
): Array<{ tagKey: string; variableIds: string[] }> {
  const byKey = new Map<string, string[]>();
  for (const m of mappings) {
    const key = tagKeyOf(m.sourceId, m.address);
    byKey.set(key, [...(byKey.get(key) ?? []), m.variableId]);
  }
  return [...byKey]
    .filter(([, ids]) => ids.length > 1)
    .map(([tagKey, variableIds]) => ({ tagKey, variableIds }));
}

/**
 * The configuration file the web app hands out for one connector. Without sources or
 * tags it is still produced (the connector refuses to start on it and says why): a
 * download is never blocked by an unfinished mapping.
 */
export function buildConnectorConfig(input: {
  connectorId: string | null;
  cloudUrl: string;
  atmosphericPressurePsia?: number | null;
  sources: readonly SourceConfig[];
  mappings: readonly MappedVariable[];
}): ConnectorConfig {
  const tags: TagConfig[] = [...input.mappings]
    .sort((a, b) =>
      a.pointCode === b.pointCode
        ? a.variableCode.localeCompare(b.variableCode)
        : a.pointCode.localeCompare(b.pointCode),
    )
    .map((m) =>
      tagSchema.parse({
        source: m.sourceId,
        binding: m.variableId,
        point: m.pointCode,
        variable: m.variableCode,
        unit: m.unit,
        ...(m.scale !== 1 ? { scale: m.scale } : {}),
        ...(m.offset !== 0 ? { offset: m.offset } : {}),
        ...m.address,
      }),
    );
  return {
    version: 1,
    connector: {
      ...(input.connectorId ? { id: input.connectorId } : {}),
      cloudUrl: input.cloudUrl,
      credentialFile: './data/credential',
      buffer: { path: './data/buffer.sqlite', maxSamples: 50_000_000 },
      batch: { maxSamples: 5000, maxDelayMs: 5000 },
    },
    site:
      input.atmosphericPressurePsia != null
        ? { atmosphericPressurePsia: input.atmosphericPressurePsia }
        : {},
    sources: [...input.sources],
    tags,
  };
}

/** What an imported configuration file asks for: its sources and one mapping per tag. */
export interface ImportedMapping {
  sources: SourceConfig[];
  tags: Array<{
    variableId: string;
    pointCode: string;
    variableCode: string;
    unit: string;
    sourceId: string;
    address: TagAddress;
    scale: number;
    offset: number;
  }>;
}

/**
 * Reads a connector configuration (already parsed from YAML) for import. Every problem
 * is a VALIDATION error listing each path: nothing is half-imported.
 */
export function readConnectorConfigForImport(document: unknown): ImportedMapping {
  const parsed = connectorConfigSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    throw new AppError(
      'VALIDATION',
      `El archivo no es una configuración válida del conector: ${problems
        .slice(0, 5)
        .map((p) => `${p.path}: ${p.message}`)
        .join('; ')} / the file is not a valid connector configuration`,
      { details: { problems } },
    );
  }
  const config = parsed.data;
  const sourceIds = new Set(config.sources.map((s) => s.id));
  const tags = config.tags.map((tag, index) => {
    if (!sourceIds.has(tag.source))
      throw new AppError(
        'VALIDATION',
        `tags.${index}: la fuente "${tag.source}" no está definida / source "${tag.source}" is not defined`,
        { details: { path: `tags.${index}.source` } },
      );
    const address = tag.modbus
      ? { modbus: tag.modbus }
      : tag.opcua
        ? { opcua: tag.opcua }
        : tag.mqtt
          ? { mqtt: tag.mqtt }
          : tag.iec104
            ? { iec104: tag.iec104 }
            : null;
    if (!address)
      throw new AppError(
        'VALIDATION',
        `tags.${index}: falta la dirección (modbus, opcua, mqtt o iec104) / the tag has no address`,
        { details: { path: `tags.${index}` } },
      );
    return {
      variableId: tag.binding,
      pointCode: tag.point,
      variableCode: tag.variable,
      unit: tag.unit,
      sourceId: tag.source,
      address,
      scale: tag.scale,
      offset: tag.offset,
    };
  });
  const duplicates = duplicateTags(tags);
  if (duplicates.length > 0)
    throw new AppError(
      'CONFLICT',
      `Etiqueta duplicada: ${duplicates[0]!.tagKey} alimenta ${duplicates[0]!.variableIds.length} variables / duplicate tag: ${duplicates[0]!.tagKey} feeds ${duplicates[0]!.variableIds.length} variables`,
      { details: { field: 'tag', duplicates } },
    );
  return { sources: config.sources.map((s) => sourceSchema.parse(s)), tags };
}
