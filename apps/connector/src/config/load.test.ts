import { describe, expect, it } from 'vitest';
import { formatProblems, parseConfig } from './load';

const GOOD = `version: 1
connector:
  cloudUrl: http://127.0.0.1:4000
sources:
  - id: plc1
    type: modbus-tcp
    host: 127.0.0.1
    port: 5020
tags:
  - source: plc1
    binding: v-thp-w1
    point: W-001
    variable: tubing_head_pressure
    unit: psig
    modbus: { unit: 1, address: 100, type: float32 }
  - source: plc1
    binding: v-chp-w1
    point: W-001
    variable: casing_head_pressure
    unit: kPag
    scale: 0.1
    modbus: { unit: 1, address: 102, type: int16 }
`;

describe('connector configuration', () => {
  it('accepts a good file and fills defaults', () => {
    const result = parseConfig(GOOD);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.sources[0]).toMatchObject({
      type: 'modbus-tcp',
      intervalMs: 1000,
      timeoutMs: 1000,
    });
    expect(result.config.tags[1]!.modbus).toMatchObject({
      table: 'holding',
      byteOrder: 'BE',
      wordOrder: 'BE',
    });
    expect(result.config.connector.buffer.path).toBe('./data/buffer.sqlite');
  });

  it('points at every mistake with its line: unknown variable, bad unit, unknown source, overlapping registers', () => {
    const bad = GOOD.replace(
      'variable: casing_head_pressure',
      'variable: casing_pressure_typo',
    ).replace('unit: psig', 'unit: bbl').concat(`  - source: plc9
    binding: v-x
    point: W-002
    variable: flowline_pressure
    unit: psig
    modbus: { unit: 1, address: 1 }
  - source: plc1
    binding: v-y
    point: W-002
    variable: flowline_temperature
    unit: degF
    modbus: { unit: 1, address: 101, type: float32 }
`);
    const result = parseConfig(bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const byPath = Object.fromEntries(result.problems.map((p) => [p.path, p]));
    expect(byPath['tags.1.variable']).toMatchObject({
      line: 19,
      message: 'unknown variable "casing_pressure_typo" (not in the ANH catalog)',
    });
    expect(byPath['tags.0.unit']).toMatchObject({ line: 14 });
    expect(byPath['tags.0.unit']!.message).toMatch(
      /unit "bbl" not accepted for tubing_head_pressure; use one of: psig/,
    );
    expect(byPath['tags.2.source']).toMatchObject({
      line: 23,
      message: 'unknown source "plc9"; defined: plc1',
    });
    expect(byPath['tags.3.modbus.address']!.message).toMatch(/registers overlap with tag 0/);
    expect(formatProblems('connector.yaml', result.problems)).toContain('connector.yaml:19:');
  });

  it('reports schema errors with their lines and YAML syntax errors with their position', () => {
    const schema = parseConfig(
      GOOD.replace('port: 5020', 'port: "five"').replace('address: 100', 'address: -3'),
    );
    expect(schema.ok).toBe(false);
    if (!schema.ok) {
      expect(schema.problems.map((p) => [p.path, p.line])).toEqual(
        expect.arrayContaining([
          ['sources.0.port', 8],
          ['tags.0.modbus.address', 15],
        ]),
      );
    }
    const syntax = parseConfig('version: 1\nsources: [\n  - id: x\n');
    expect(syntax.ok).toBe(false);
    if (!syntax.ok) {
      expect(syntax.problems[0]!.message).toMatch(/^YAML: /);
      expect(syntax.problems[0]!.line).toBeGreaterThan(0);
    }
  });
});

const IEC104 = `version: 1
connector:
  cloudUrl: http://127.0.0.1:4000
sources:
  - id: rtu1
    type: iec104
    host: 10.20.0.5
    timeOffsetMinutes: -300
tags:
  - source: rtu1
    binding: v-thp-w1
    point: W-001
    variable: tubing_head_pressure
    unit: psig
    iec104: { ca: 1, ioa: 1001, type: float }
  - source: rtu1
    binding: v-tot-lact
    point: LACT-01
    variable: fiscal_gross_totalizer
    unit: bbl
    iec104: { ca: 1, ioa: 2001, type: integrated }
`;

describe('IEC 60870-5-104 in the configuration file', () => {
  it('accepts a station and its tags, with the standard defaults', () => {
    const result = parseConfig(IEC104);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.sources[0]).toEqual({
      id: 'rtu1',
      type: 'iec104',
      host: '10.20.0.5',
      port: 2404,
      originatorAddress: 0,
      k: 12,
      w: 8,
      t0Ms: 30_000,
      t1Ms: 15_000,
      t2Ms: 10_000,
      t3Ms: 20_000,
      interrogationIntervalMs: 900_000,
      counterInterrogationIntervalMs: 0,
      clockSyncIntervalMs: 0,
      timeOffsetMinutes: -300,
    });
    expect(result.config.tags[1]!.iec104).toEqual({ ca: 1, ioa: 2001, type: 'integrated' });
  });

  it('points at duplicate IOAs, unknown types, bad ranges and windows with their lines', () => {
    const bad = IEC104.replace(
      'timeOffsetMinutes: -300',
      'timeOffsetMinutes: -300\n    k: 4',
    ).replace('ioa: 2001, type: integrated', 'ioa: 1001, type: integrated').concat(`  - source: rtu1
    binding: v-chp-w1
    point: W-001
    variable: casing_head_pressure
    unit: psig
    iec104: { ca: 0, ioa: 16777216, type: float }
  - source: rtu1
    binding: v-flt-w1
    point: W-001
    variable: flowline_pressure
    unit: psig
    iec104: { ca: 1, ioa: 3001, type: bitstring }
  - source: rtu1
    binding: v-flt-w2
    point: W-002
    variable: flowline_pressure
    unit: psig
    modbus: { address: 3 }
`);
    // Schema problems come first (the file is not checked further until they are fixed).
    const schema = parseConfig(bad);
    expect(schema.ok).toBe(false);
    if (schema.ok) return;
    const byPath = Object.fromEntries(schema.problems.map((p) => [p.path, p]));
    // w defaults to 8: more than k = 4.
    expect(byPath['sources.0.w']).toMatchObject({ line: 5 });
    expect(byPath['sources.0.w']!.message).toMatch(/w \(8\) must not exceed k \(4\)/);
    expect(byPath['tags.2.iec104.ca']).toMatchObject({ line: 28 });
    expect(byPath['tags.2.iec104.ioa']).toMatchObject({ line: 28 });
    expect(byPath['tags.3.iec104.type']).toMatchObject({ line: 34 });
    expect(byPath['tags.3.iec104.type']!.message).toMatch(/single.*double.*integrated/);

    const fixed = parseConfig(
      bad
        .replace('    k: 4\n', '    k: 4\n    w: 3\n')
        .replace('ca: 0, ioa: 16777216', 'ca: 2, ioa: 16777215')
        .replace('type: bitstring', 'type: scaled'),
    );
    expect(fixed.ok).toBe(false);
    if (fixed.ok) return;
    expect(fixed.problems.map((p) => [p.path, p.line, p.message])).toEqual([
      // (one line further down: w was added)
      ['tags.1.iec104.ioa', 23, 'IOA 1001 of common address 1 is already read by tag 0'],
      ['tags.4', 36, 'a tag of iec104 source "rtu1" needs its "iec104" address'],
    ]);
  });

  it('keeps the standard’s order of the timers: t2 shorter than t1', () => {
    const result = parseConfig(
      IEC104.replace(
        'timeOffsetMinutes: -300',
        'timeOffsetMinutes: -300\n    t1Ms: 5000\n    t2Ms: 5000',
      ),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      expect.objectContaining({
        path: 'sources.0.t2Ms',
        line: 10,
        message: 't2 (5000 ms) must be shorter than t1 (5000 ms)',
      }),
    ]);
  });
});
