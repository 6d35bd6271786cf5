import { describe, expect, it } from 'vitest';
import { iec104SourceSchema } from '@anh/domain/connector-config';
import { FormProblem } from '~/components/action-form';
import { dictionary } from '~/lib/i18n';
import { addressKindOf, IEC104_DEFAULTS, readAddress, readSource } from './source-form';

/**
 * The connector page's forms, checked in the browser with the shared schemas: an IEC 104
 * source and address are read with the standard's defaults, every problem is named by its
 * field in the user's language, and an iec104 source never gets the Modbus address form.
 */
const es = dictionary('es-CO');
const en = dictionary('en');

function form(values: Record<string, string>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(values)) data.set(name, value);
  return data;
}

function problemOf(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    if (error instanceof FormProblem) return error.message;
    throw error;
  }
  throw new Error('expected a FormProblem');
}

describe('the connector page forms', () => {
  it('gives each source type its own address form', () => {
    expect(addressKindOf('iec104')).toBe('iec104');
    expect(addressKindOf('modbus-tcp')).toBe('modbus');
    expect(addressKindOf('modbus-rtu')).toBe('modbus');
    expect(addressKindOf('opcua')).toBe('opcua');
    expect(addressKindOf('mqtt')).toBe('mqtt');
  });

  it('reads an IEC 104 source: the standard’s defaults for what is left empty', () => {
    expect(IEC104_DEFAULTS).toMatchObject({ port: 2404, k: 12, w: 8, t1Ms: 15_000 });
    const source = readSource(
      form({ id: 'rtu1', host: '192.0.2.20', port: '', k: '12', w: '', timeOffsetMinutes: '-300' }),
      'iec104',
      es,
      'es-CO',
    );
    expect(source).toEqual(
      iec104SourceSchema.parse({
        id: 'rtu1',
        type: 'iec104',
        host: '192.0.2.20',
        timeOffsetMinutes: -300,
      }),
    );
  });

  it('names every problem of an IEC 104 source by its field, in the user’s language', () => {
    const bad = form({
      id: 'rtu1',
      host: '192.0.2.20',
      k: '4',
      w: '6',
      t1Ms: '5000',
      t2Ms: '9000',
    });
    expect(problemOf(() => readSource(bad, 'iec104', es, 'es-CO'))).toBe(
      'w (6) no puede ser mayor que k (4); la norma recomienda w ≤ 2k/3; t2 (9000 ms) debe ser menor que t1 (5000 ms)',
    );
    expect(problemOf(() => readSource(bad, 'iec104', en, 'en'))).toBe(
      'w (6) must not exceed k (4); the standard recommends w ≤ 2k/3; t2 (9000 ms) must be shorter than t1 (5000 ms)',
    );
    expect(
      problemOf(() =>
        readSource(
          form({ id: 'rtu1', host: '192.0.2.20', port: '70000', originatorAddress: '1,5' }),
          'iec104',
          es,
          'es-CO',
        ),
      ),
    ).toBe(
      `${es.port}: máximo 65535; ${es.iec104Settings.originatorAddress}: debe ser un número entero`,
    );
  });

  it('reads an IEC 104 address and refuses one outside the standard', () => {
    expect(
      readAddress(form({ ca: '1', ioa: '2001', iec104Type: 'integrated' }), 'iec104', es, 'es-CO'),
    ).toEqual({
      iec104: { ca: 1, ioa: 2001, type: 'integrated' },
    });
    expect(
      problemOf(() =>
        readAddress(
          form({ ca: '0', ioa: '16777216', iec104Type: 'bitstring' }),
          'iec104',
          en,
          'en',
        ),
      ),
    ).toBe(
      `${en.commonAddress}: at least 1; ${en.ioa}: at most 16777215; ${en.iec104Type}: not a valid value`,
    );
    expect(problemOf(() => readAddress(form({ ca: '1' }), 'iec104', es, 'es-CO'))).toBe(
      `${es.ioa}: obligatorio`,
    );
  });

  it('still reads the other protocols’ sources and addresses', () => {
    expect(
      readSource(form({ id: 'plc1', host: '192.0.2.10', port: '502' }), 'modbus-tcp', es, 'es-CO'),
    ).toEqual({
      id: 'plc1',
      type: 'modbus-tcp',
      host: '192.0.2.10',
      port: 502,
      intervalMs: 1000,
      timeoutMs: 1000,
      maxGap: 8,
    });
    expect(
      readSource(form({ id: 'lact', endpoint: 'opc.tcp://192.0.2.9:4840' }), 'opcua', es, 'es-CO'),
    ).toMatchObject({
      type: 'opcua',
      mode: 'subscription',
    });
    expect(
      problemOf(() => readSource(form({ id: 'tanks', url: 'http://x' }), 'mqtt', es, 'es-CO')),
    ).toBe(`${es.brokerUrl}: valor no válido`);
    expect(
      readAddress(form({ register: '100', modbusType: 'float32' }), 'modbus', es, 'es-CO'),
    ).toEqual({
      modbus: {
        unit: 1,
        table: 'holding',
        address: 100,
        type: 'float32',
        byteOrder: 'BE',
        wordOrder: 'BE',
      },
    });
  });
});
