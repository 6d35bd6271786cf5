import { writeFileSync } from 'node:fs';
import { ServerTCP } from 'modbus-serial';
import mqtt, { type MqttClient } from 'mqtt';
import { encodeRegisters } from '../modbus/registers';

/**
 * `anh-connector simulate`: a small field served over the real protocols on 127.0.0.1 —
 * wells and a separator on a Modbus TCP PLC, the fiscal LACT on an OPC UA server, the tank
 * over MQTT (JSON) — with values that move like a field's, and the connector
 * configuration that reads it all. For the demo and for end-to-end tests.
 */
export interface SimulatedFieldOptions {
  wells: number;
  modbusPort: number;
  opcuaPort: number;
  mqttUrl: string | null;
  cloudUrl: string;
}

export interface SimulatedField {
  config: string;
  stop(): Promise<void>;
}

interface Signal {
  point: string;
  variable: string;
  unit: string;
  value: (t: number) => number;
}

function wellSignals(wells: number): Signal[] {
  const signals: Signal[] = [];
  for (let w = 1; w <= wells; w++) {
    const point = `W-${String(w).padStart(3, '0')}`;
    const phase = w * 1.7;
    signals.push(
      {
        point,
        variable: 'tubing_head_pressure',
        unit: 'psig',
        value: (t) => 400 + 60 * w + 12 * Math.sin(t / 600 + phase),
      },
      {
        point,
        variable: 'casing_head_pressure',
        unit: 'psig',
        value: (t) => 200 + 30 * w + 6 * Math.sin(t / 900 + phase),
      },
      {
        point,
        variable: 'flowline_temperature',
        unit: 'degF',
        value: (t) => 150 + 2 * Math.sin(t / 1200 + phase),
      },
      { point, variable: 'esp_frequency', unit: 'Hz', value: () => 52 + w },
    );
  }
  signals.push(
    {
      point: 'SEP-01',
      variable: 'separator_pressure',
      unit: 'psig',
      value: (t) => 120 + 3 * Math.sin(t / 300),
    },
    {
      point: 'SEP-01',
      variable: 'separator_temperature',
      unit: 'degF',
      value: (t) => 140 + Math.sin(t / 500),
    },
  );
  return signals;
}

const OIL_BBL_PER_DAY = 3200;
const lactSignals: Signal[] = [
  {
    point: 'LACT-01',
    variable: 'fiscal_gross_volume_flow',
    unit: 'bbl/d',
    value: (t) => OIL_BBL_PER_DAY * (1 + 0.02 * Math.sin(t / 400)),
  },
  {
    point: 'LACT-01',
    variable: 'fiscal_gross_totalizer',
    unit: 'bbl',
    value: (t) => 2_000_000 + (OIL_BBL_PER_DAY * t) / 86_400,
  },
  {
    point: 'LACT-01',
    variable: 'fiscal_temperature',
    unit: 'degF',
    value: (t) => 120 + 0.5 * Math.sin(t / 700),
  },
  { point: 'LACT-01', variable: 'fiscal_pressure', unit: 'psig', value: () => 50 },
  {
    point: 'LACT-01',
    variable: 'fiscal_bsw',
    unit: '%',
    value: (t) => 0.4 + 0.05 * Math.sin(t / 1000),
  },
];
const tankSignals: Signal[] = [
  { point: 'TK-01', variable: 'tank_level', unit: 'ft', value: (t) => 20 + 2 * Math.sin(t / 3600) },
  {
    point: 'TK-01',
    variable: 'tank_temperature',
    unit: 'degF',
    value: (t) => 125 + Math.sin(t / 1800),
  },
];

const bindingOf = (s: Signal) => `sim-${s.point.toLowerCase()}-${s.variable}`;
const seconds = () => Date.now() / 1000;

export async function startSimulatedField(options: SimulatedFieldOptions): Promise<SimulatedField> {
  // Modbus TCP: every signal a float32 in holding registers 0, 2, 4… of unit 1.
  const modbusSignals = wellSignals(options.wells);
  const modbus = new ServerTCP(
    {
      getMultipleHoldingRegisters: (address: number, length: number) => {
        const t = seconds();
        const words: number[] = [];
        for (let r = address; r < address + length; r += 1) {
          const signal = modbusSignals[Math.floor(r / 2)];
          const pair = signal ? encodeRegisters(signal.value(t), 'float32', 'BE', 'BE') : [0, 0];
          words.push(pair[r % 2]!);
        }
        return words;
      },
      getHoldingRegister: (address: number) => {
        const signal = modbusSignals[Math.floor(address / 2)];
        return signal
          ? encodeRegisters(signal.value(seconds()), 'float32', 'BE', 'BE')[address % 2]!
          : 0;
      },
    },
    { host: '127.0.0.1', port: options.modbusPort, unitID: 1 },
  );
  await new Promise<void>((resolve) => modbus.on('initialized', () => resolve()));

  // OPC UA: the fiscal meter, with source timestamps.
  const opcua = await import('node-opcua');
  const server = new opcua.OPCUAServer({
    port: options.opcuaPort,
    hostname: '127.0.0.1',
    allowAnonymous: true,
    securityPolicies: [opcua.SecurityPolicy.None],
    securityModes: [opcua.MessageSecurityMode.None],
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace!;
  const namespace = addressSpace.getOwnNamespace();
  const lact = namespace.addObject({
    organizedBy: addressSpace.rootFolder.objects,
    browseName: 'LACT-01',
  });
  for (const signal of lactSignals) {
    namespace.addVariable({
      componentOf: lact,
      nodeId: `s=LACT-01.${signal.variable}`,
      browseName: signal.variable,
      dataType: 'Double',
      minimumSamplingInterval: 100,
      value: {
        timestamped_get: () =>
          new opcua.DataValue({
            value: new opcua.Variant({
              dataType: opcua.DataType.Double,
              value: signal.value(seconds()),
            }),
            sourceTimestamp: new Date(),
          }),
      },
    });
  }
  await server.start();

  // MQTT: the tank, one JSON message a second.
  let publisher: MqttClient | null = null;
  let timer: NodeJS.Timeout | null = null;
  if (options.mqttUrl) {
    publisher = await mqtt.connectAsync(options.mqttUrl, { clientId: 'anh-field-simulator' });
    timer = setInterval(() => {
      const t = seconds();
      const body = {
        ts: new Date().toISOString(),
        level: tankSignals[0]!.value(t),
        temperature: tankSignals[1]!.value(t),
      };
      void publisher
        ?.publishAsync('simulador/TK-01', JSON.stringify(body), { qos: 1 })
        .catch(() => undefined);
    }, 1000);
  }

  const tagLines = [
    ...modbusSignals.map(
      (s, i) =>
        `  - { source: plc1, binding: ${bindingOf(s)}, point: ${s.point}, variable: ${s.variable}, unit: "${s.unit}", modbus: { unit: 1, address: ${i * 2}, type: float32 } }`,
    ),
    ...lactSignals.map(
      (s) =>
        `  - { source: lact, binding: ${bindingOf(s)}, point: ${s.point}, variable: ${s.variable}, unit: "${s.unit}", opcua: { nodeId: "ns=1;s=LACT-01.${s.variable}" } }`,
    ),
    ...(options.mqttUrl
      ? tankSignals.map(
          (s, i) =>
            `  - { source: tank, binding: ${bindingOf(s)}, point: ${s.point}, variable: ${s.variable}, unit: "${s.unit}", mqtt: { topic: simulador/TK-01, field: ${i === 0 ? 'level' : 'temperature'} } }`,
        )
      : []),
  ];
  const config = [
    '# Written by `anh-connector simulate`: reads the simulated field on 127.0.0.1.',
    'version: 1',
    'connector:',
    `  cloudUrl: ${options.cloudUrl}`,
    '  buffer: { path: ./data/buffer.sqlite }',
    'sources:',
    `  - { id: plc1, type: modbus-tcp, host: 127.0.0.1, port: ${options.modbusPort}, intervalMs: 1000 }`,
    `  - { id: lact, type: opcua, endpoint: "opc.tcp://127.0.0.1:${options.opcuaPort}", samplingIntervalMs: 1000, publishingIntervalMs: 1000 }`,
    ...(options.mqttUrl ? [`  - { id: tank, type: mqtt, url: "${options.mqttUrl}", qos: 1 }`] : []),
    'tags:',
    ...tagLines,
    '',
  ].join('\n');

  return {
    config,
    async stop() {
      if (timer) clearInterval(timer);
      await publisher?.endAsync();
      await server.shutdown(0);
      await new Promise<void>((resolve) => modbus.close(() => resolve()));
    },
  };
}

export function writeSimulatorConfig(path: string, field: SimulatedField): void {
  writeFileSync(path, field.config);
}
