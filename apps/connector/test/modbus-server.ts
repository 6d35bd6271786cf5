import { createServer } from 'node:net';
import { ServerTCP } from 'modbus-serial';

/**
 * A real Modbus TCP server on 127.0.0.1 for tests and the simulator: one register space
 * per unit id, and units that can be told to stop answering (no response at all, as a
 * dead slave behind a gateway behaves).
 */
export interface TestModbusServer {
  port: number;
  holding(unit: number): Uint16Array;
  input(unit: number): Uint16Array;
  silence(unit: number, silent: boolean): void;
  requests: number;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startModbusServer(
  options: {
    beforeRead?: (unit: number, address: number, length: number) => void;
    delayMs?: number;
  } = {},
): Promise<TestModbusServer> {
  const port = await freePort();
  const holding = new Map<number, Uint16Array>();
  const input = new Map<number, Uint16Array>();
  const silent = new Set<number>();
  const space = (map: Map<number, Uint16Array>, unit: number) => {
    let registers = map.get(unit);
    if (!registers) map.set(unit, (registers = new Uint16Array(65536)));
    return registers;
  };
  const state = { requests: 0 };
  const read =
    (map: Map<number, Uint16Array>) =>
    (
      address: number,
      length: number,
      unit: number,
      callback: (error: Error | null, value: number[]) => void,
    ) => {
      state.requests++;
      if (silent.has(unit)) return; // never answers
      options.beforeRead?.(unit, address, length);
      if (address + length > 65536) {
        callback(Object.assign(new Error('illegal address'), { modbusErrorCode: 2 }), []);
        return;
      }
      const values = Array.from(space(map, unit).subarray(address, address + length));
      if (options.delayMs) setTimeout(() => callback(null, values), options.delayMs);
      else callback(null, values);
    };
  const server = new ServerTCP(
    {
      getMultipleHoldingRegisters: read(holding),
      getMultipleInputRegisters: read(input),
      getHoldingRegister: (address: number, unit: number) => space(holding, unit)[address]!,
      getInputRegister: (address: number, unit: number) => space(input, unit)[address]!,
    },
    { host: '127.0.0.1', port, unitID: 255 },
  );
  await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
  return {
    port,
    holding: (unit) => space(holding, unit),
    input: (unit) => space(input, unit),
    silence: (unit, value) => (value ? silent.add(unit) : silent.delete(unit)),
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
