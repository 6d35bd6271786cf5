import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { variableByCode } from '@anh/domain/catalog';
import { overlappingTags, type RegisterTag } from '../modbus/registers';
import { connectorConfigSchema, registerTagOf, type ConnectorConfig } from './schema';

/** One mistake in the configuration file, located for a person to fix. */
export interface ConfigProblem {
  /** Dotted path: `tags.3.modbus.address`. */
  path: string;
  line: number | null;
  column: number | null;
  message: string;
}

export type ConfigResult =
  { ok: true; config: ConnectorConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * Parses and checks a configuration file's text. Every problem is reported (YAML syntax,
 * schema, and whole-file checks), each with the line it is on.
 */
export function parseConfig(text: string): ConfigResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return {
          path: '',
          line: position.line,
          column: position.col,
          message: `YAML: ${error.message.split('\n')[0]}`,
        };
      }),
    };
  }
  const locate = (path: ReadonlyArray<PropertyKey>, message: string): ConfigProblem => {
    // The deepest node that exists along the path carries the position.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = document.getIn(path.slice(0, depth) as Array<string | number>, true);
      if (isNode(node) && node.range) {
        const position = lineCounter.linePos(node.range[0]);
        return {
          path: path.map(String).join('.'),
          line: position.line,
          column: position.col,
          message,
        };
      }
    }
    return { path: path.map(String).join('.'), line: null, column: null, message };
  };

  const parsed = connectorConfigSchema.safeParse(document.toJS());
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => locate(issue.path, issue.message)),
    };
  }
  const config = parsed.data;
  const problems: ConfigProblem[] = [];
  const sources = new Map(config.sources.map((s) => [s.id, s]));
  const seenSources = new Set<string>();
  config.sources.forEach((source, i) => {
    if (seenSources.has(source.id))
      problems.push(locate(['sources', i, 'id'], `duplicate source id "${source.id}"`));
    seenSources.add(source.id);
  });
  const seenBindings = new Map<string, number>();
  const registerTags = new Map<string, RegisterTag[]>();
  /** Per IEC 104 source: `ca/ioa` → the tag that reads it. */
  const informationObjects = new Map<string, Map<string, number>>();
  config.tags.forEach((tag, i) => {
    const source = sources.get(tag.source);
    if (!source)
      problems.push(
        locate(
          ['tags', i, 'source'],
          `unknown source "${tag.source}"; defined: ${[...sources.keys()].join(', ')}`,
        ),
      );
    const variable = variableByCode(tag.variable);
    if (!variable)
      problems.push(
        locate(
          ['tags', i, 'variable'],
          `unknown variable "${tag.variable}" (not in the ANH catalog)`,
        ),
      );
    else if (!(variable.inputUnits as readonly string[]).includes(tag.unit)) {
      problems.push(
        locate(
          ['tags', i, 'unit'],
          `unit "${tag.unit}" not accepted for ${tag.variable}; use one of: ${variable.inputUnits.join(', ')}`,
        ),
      );
    }
    const previous = seenBindings.get(tag.binding);
    if (previous !== undefined)
      problems.push(
        locate(['tags', i, 'binding'], `binding "${tag.binding}" already used by tag ${previous}`),
      );
    seenBindings.set(tag.binding, i);
    if (source) {
      const isModbus = source.type === 'modbus-tcp' || source.type === 'modbus-rtu';
      const address = isModbus
        ? tag.modbus
        : source.type === 'opcua'
          ? tag.opcua
          : source.type === 'iec104'
            ? tag.iec104
            : tag.mqtt;
      if (!address)
        problems.push(
          locate(
            ['tags', i],
            `a tag of ${source.type} source "${source.id}" needs its "${isModbus ? 'modbus' : source.type}" address`,
          ),
        );
      if (source.type === 'iec104' && tag.iec104) {
        const objects = informationObjects.get(source.id) ?? new Map<string, number>();
        informationObjects.set(source.id, objects);
        const key = `${tag.iec104.ca}/${tag.iec104.ioa}`;
        const first = objects.get(key);
        if (first !== undefined)
          problems.push(
            locate(
              ['tags', i, 'iec104', 'ioa'],
              `IOA ${tag.iec104.ioa} of common address ${tag.iec104.ca} is already read by tag ${first}`,
            ),
          );
        else objects.set(key, i);
      }
      if (isModbus && tag.modbus) {
        const list = registerTags.get(source.id) ?? [];
        list.push(registerTagOf(i, tag.modbus));
        registerTags.set(source.id, list);
      }
    }
  });
  for (const tags of registerTags.values()) {
    for (const [a, b] of overlappingTags(tags)) {
      problems.push(
        locate(
          ['tags', b, 'modbus', 'address'],
          `registers overlap with tag ${a} (same unit and table)`,
        ),
      );
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

export function loadConfigFile(path: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      problems: [
        {
          path: '',
          line: null,
          column: null,
          message: `cannot read ${path}: ${(error as Error).message}`,
        },
      ],
    };
  }
  return parseConfig(text);
}

export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  return problems
    .map(
      (p) =>
        `${file}:${p.line ?? '?'}:${p.column ?? '?'} ${p.path ? `${p.path}: ` : ''}${p.message}`,
    )
    .join('\n');
}
