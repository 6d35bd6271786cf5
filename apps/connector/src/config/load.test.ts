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
