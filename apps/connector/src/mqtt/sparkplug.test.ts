import { describe, expect, it } from 'vitest';
import spPayload from 'sparkplug-payload';
import { longToNumber, parseSparkplugTopic, sparkplugNumber } from './sparkplug';

const sparkplug = spPayload.get('spBv1.0')!;

describe('Sparkplug B values', () => {
  it('sign-extends integers that travel unsigned, by declared type', () => {
    expect(sparkplugNumber('Int8', 0xfb)).toBe(-5);
    expect(sparkplugNumber('Int16', 0xfffb)).toBe(-5);
    expect(sparkplugNumber('Int32', 0xfffffffb)).toBe(-5);
    expect(sparkplugNumber('UInt32', 0xfffffffb)).toBe(4294967291);
    // Int64 −5 as another edge node encodes it: uint64 18446744073709551611.
    expect(sparkplugNumber('Int64', { low: -5, high: -1, unsigned: true })).toBe(-5);
    expect(sparkplugNumber('UInt64', { low: -539222987, high: 2, unsigned: true })).toBe(
      12345678901,
    );
    expect(sparkplugNumber('Boolean', true)).toBe(1);
    expect(sparkplugNumber('String', 'x')).toBeNull();
    expect(longToNumber({ low: 0, high: 1 }, false)).toBe(2 ** 32);
  });

  it('decodes what the library encodes, Int64 included', () => {
    const decoded = sparkplug.decodePayload(
      sparkplug.encodePayload({
        timestamp: 1_800_000_000_000,
        seq: 1,
        metrics: [{ name: 'm', type: 'Int64', value: -123456789012 }],
      }),
    );
    const metric = decoded.metrics![0]!;
    expect(sparkplugNumber(metric.type, metric.value)).toBe(-123456789012);
  });

  it('parses topics', () => {
    expect(parseSparkplugTopic('spBv1.0/campo/DDATA/rtu-7/lact')).toEqual({
      group: 'campo',
      type: 'DDATA',
      edge: 'rtu-7',
      device: 'lact',
    });
    expect(parseSparkplugTopic('spBv1.0/campo/NBIRTH/rtu-7')).toEqual({
      group: 'campo',
      type: 'NBIRTH',
      edge: 'rtu-7',
      device: null,
    });
    expect(parseSparkplugTopic('plant/thp')).toBeNull();
  });
});
