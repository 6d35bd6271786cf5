import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { iec104SourceSchema, sourceSchema, tagSchema } from './connector-config';
import {
  buildConnectorConfig,
  duplicateTags,
  readConnectorConfigForImport,
  tagAddressSchema,
  tagKeyOf,
} from './tag-mapping';

/**
 * The IEC 60870-5-104 parts of the configuration contract, as the web app uses them: a
 * source saved from the connectors page, a tag mapped to an information object, the file
 * exported and imported again.
 */
const RTU = { id: 'rtu1', type: 'iec104', host: '10.20.0.5' } as const;

describe('IEC 104 in the connector configuration contract', () => {
  it('accepts a station with the standard defaults and refuses what the standard does not allow', () => {
    expect(sourceSchema.parse(RTU)).toMatchObject({ port: 2404, k: 12, w: 8, t1Ms: 15_000 });
    const problems = (input: Record<string, unknown>) => {
      const parsed = sourceSchema.safeParse({ ...RTU, ...input });
      return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'));
    };
    expect(problems({ k: 6, w: 7 })).toEqual(['w']);
    expect(problems({ t1Ms: 2000, t2Ms: 2000 })).toEqual(['t2Ms']);
    expect(problems({ port: 0 })).toEqual(['port']);
    expect(problems({ k: 40_000 })).toEqual(['k']);
    expect(problems({ timeOffsetMinutes: 900 })).toEqual(['timeOffsetMinutes']);
    expect(problems({ password: 'x' })).toEqual(['']); // strict: unknown keys refused
    expect(iec104SourceSchema.safeParse({ ...RTU, k: 3, w: 2 }).success).toBe(true);
  });

  it('addresses a tag by common address and IOA, typed by kind', () => {
    const tag = (iec104: unknown) =>
      tagSchema.safeParse({
        source: 'rtu1',
        binding: 'v1',
        point: 'W-001',
        variable: 'tubing_head_pressure',
        unit: 'psig',
        iec104,
      }).success;
    expect(tag({ ca: 1, ioa: 1, type: 'float' })).toBe(true);
    expect(tag({ ca: 65534, ioa: 16_777_215, type: 'integrated' })).toBe(true);
    expect(tag({ ca: 0, ioa: 1, type: 'float' })).toBe(false); // 0 is not a station
    expect(tag({ ca: 65535, ioa: 1, type: 'float' })).toBe(false); // broadcast
    expect(tag({ ca: 1, ioa: 0, type: 'float' })).toBe(false);
    expect(tag({ ca: 1, ioa: 16_777_216, type: 'float' })).toBe(false);
    expect(tag({ ca: 1, ioa: 1, type: 'M_ME_NC_1' })).toBe(false);
    expect(tag({ ca: 1, ioa: 1 })).toBe(false);
  });

  it('one information object feeds one variable, whatever kind it is read as', () => {
    const a = tagAddressSchema.parse({ iec104: { ca: 1, ioa: 1001, type: 'float' } });
    const b = tagAddressSchema.parse({ iec104: { ca: 1, ioa: 1001, type: 'scaled' } });
    expect(tagKeyOf('rtu1', a)).toBe('rtu1/iec104/1/1001');
    expect(tagKeyOf('rtu1', b)).toBe(tagKeyOf('rtu1', a));
    expect(
      duplicateTags([
        { variableId: 'v1', sourceId: 'rtu1', address: a },
        { variableId: 'v2', sourceId: 'rtu1', address: b },
        { variableId: 'v3', sourceId: 'rtu2', address: a },
      ]),
    ).toEqual([{ tagKey: 'rtu1/iec104/1/1001', variableIds: ['v1', 'v2'] }]);
  });

  it('exports a mapping to the file and imports it back unchanged', () => {
    const source = iec104SourceSchema.parse({ ...RTU, timeOffsetMinutes: -300 });
    const config = buildConnectorConfig({
      connectorId: null,
      cloudUrl: 'https://anh.example.co',
      sources: [source],
      mappings: [
        {
          variableId: 'v-tot',
          pointCode: 'LACT-01',
          variableCode: 'fiscal_gross_totalizer',
          unit: 'bbl',
          sourceId: 'rtu1',
          address: { iec104: { ca: 1, ioa: 2001, type: 'integrated' } },
          scale: 0.1,
          offset: 0,
        },
      ],
    });
    expect(config.tags[0]!.iec104).toEqual({ ca: 1, ioa: 2001, type: 'integrated' });
    const imported = readConnectorConfigForImport(JSON.parse(JSON.stringify(config)));
    expect(imported.sources).toEqual([source]);
    expect(imported.tags[0]).toMatchObject({
      variableId: 'v-tot',
      address: { iec104: { ca: 1, ioa: 2001, type: 'integrated' } },
      scale: 0.1,
    });
    // Two tags on one information object are refused whole.
    const twice = JSON.parse(JSON.stringify(config)) as typeof config;
    twice.tags.push({ ...twice.tags[0]!, binding: 'v-other' });
    expect(() => readConnectorConfigForImport(twice)).toThrow(AppError);
  });
});
