import { z } from 'zod';

/** Modbus data types and tables a tag may name (the connector's read plan uses them too). */
export const MODBUS_TYPES = [
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'float64',
  'bool',
] as const;
export type ModbusType = (typeof MODBUS_TYPES)[number];
export const MODBUS_TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

/**
 * What an IEC 60870-5-104 information object carries. A tag names the kind, not the type
 * id: the same point arrives without a time tag in a general interrogation and with
 * CP56Time2a when it changes (M_ME_NC_1 and M_ME_TF_1 are both `float`).
 */
export const IEC104_TYPES = [
  'single', // M_SP_NA_1, M_SP_TA_1, M_SP_TB_1: 0 or 1
  'double', // M_DP_NA_1, M_DP_TA_1, M_DP_TB_1: 0 off, 1 on
  'normalized', // M_ME_NA_1, M_ME_TA_1, M_ME_TD_1, M_ME_ND_1: -1 … 1
  'scaled', // M_ME_NB_1, M_ME_TB_1, M_ME_TE_1: -32768 … 32767
  'float', // M_ME_NC_1, M_ME_TC_1, M_ME_TF_1: IEEE 754 single
  'integrated', // M_IT_NA_1, M_IT_TA_1, M_IT_TB_1: counter reading (int32)
] as const;
export type Iec104Type = (typeof IEC104_TYPES)[number];

/**
 * The connector's configuration file (YAML), shared by the connector (which runs it) and
 * the web app (which exports and imports the tag mapping as this file): where the cloud is, where the buffer lives,
 * the sources (Modbus TCP/RTU, OPC UA, MQTT, IEC 60870-5-104) and the tags that bind source addresses to
 * the tenant's variables (a catalog variable at a measurement point). Cross-checks that
 * need the whole file (unknown source, unknown variable, overlapping registers) are in
 * load.ts, which also turns every problem into a message with its line number.
 */
const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, - and _ (max 40)');
const byteOrder = z.enum(['BE', 'LE']);

const modbusCommon = {
  id,
  intervalMs: z.number().int().min(10).max(3_600_000).default(1000),
  timeoutMs: z.number().int().min(10).max(60_000).default(1000),
  /** Registers that may be read in vain to join two blocks into one request. */
  maxGap: z.number().int().min(0).max(100).default(8),
};

export const modbusTcpSourceSchema = z
  .object({
    ...modbusCommon,
    type: z.literal('modbus-tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(502),
  })
  .strict();

export const modbusRtuSourceSchema = z
  .object({
    ...modbusCommon,
    type: z.literal('modbus-rtu'),
    path: z.string().min(1),
    baudRate: z.number().int().positive().default(9600),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .strict();

export const opcuaSourceSchema = z
  .object({
    id,
    type: z.literal('opcua'),
    endpoint: z.string().regex(/^opc\.tcp:\/\//, 'must start with opc.tcp://'),
    securityPolicy: z.enum(['None', 'Basic256Sha256']).default('None'),
    securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
    samplingIntervalMs: z.number().int().min(0).default(1000),
    publishingIntervalMs: z.number().int().min(10).default(1000),
    /** Subscriptions by default; polling reads every publishingIntervalMs for servers that cannot subscribe. */
    mode: z.enum(['subscription', 'polling']).default('subscription'),
    username: z.string().min(1).optional(),
    /** Name of the environment variable holding the password (never the password itself). */
    passwordEnv: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/)
      .optional(),
    /** Certificate store (own certificate, trusted and rejected server certificates). */
    pkiDir: z.string().min(1).default('./data/pki'),
    /** X.509 user login: certificate (PEM or DER) and private key (PEM) files. */
    userCertificate: z.string().min(1).optional(),
    userPrivateKey: z.string().min(1).optional(),
  })
  .strict();

export const mqttSourceSchema = z
  .object({
    id,
    type: z.literal('mqtt'),
    url: z.string().regex(/^mqtts?:\/\//, 'must start with mqtt:// or mqtts://'),
    qos: z.union([z.literal(1), z.literal(2)]).default(1),
    format: z.enum(['json', 'sparkplug-b']).default('json'),
    username: z.string().min(1).optional(),
    /** Name of the environment variable holding the password (never the password itself). */
    passwordEnv: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/)
      .optional(),
    /** CA certificate (PEM) that signed the broker's certificate, for mqtts://. */
    caFile: z.string().min(1).optional(),
    /** Stable client id: with a persistent session the broker keeps QoS 1/2 messages while the connector is down. */
    clientId: z.string().min(1).max(64).optional(),
  })
  .strict();

/**
 * An IEC 60870-5-104 controlled station (RTU) the connector reads as the controlling
 * station. k, w and t0–t3 are the standard's link parameters, with its default values;
 * the checks between them are the standard's own (w ≤ k, t2 < t1).
 */
export const iec104SourceSchema = z
  .object({
    id,
    type: z.literal('iec104'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(2404),
    /** Originator address put in our commands (0 = none). */
    originatorAddress: z.number().int().min(0).max(255).default(0),
    /** Most I frames sent and not yet acknowledged. */
    k: z.number().int().min(1).max(32767).default(12),
    /** Acknowledge at the latest after receiving this many I frames. */
    w: z.number().int().min(1).max(32767).default(8),
    /** Connection establishment timeout. */
    t0Ms: z.number().int().min(100).max(255_000).default(30_000),
    /** Timeout for an acknowledgement of what we sent (I frames, STARTDT, TESTFR). */
    t1Ms: z.number().int().min(100).max(255_000).default(15_000),
    /** Acknowledge received I frames after this long without data to send. */
    t2Ms: z.number().int().min(50).max(255_000).default(10_000),
    /** Send a test frame after this long without receiving anything. */
    t3Ms: z.number().int().min(100).max(172_800_000).default(20_000),
    /** General interrogation after every connect and then this often (0: only at connect). */
    interrogationIntervalMs: z.number().int().min(0).max(86_400_000).default(900_000),
    /** Counter interrogation (read, no freeze) at connect and then this often (0: never). */
    counterInterrogationIntervalMs: z.number().int().min(0).max(86_400_000).default(0),
    /** Set the station's clock at connect and then this often (0: never; it writes to the RTU). */
    clockSyncIntervalMs: z.number().int().min(0).max(86_400_000).default(0),
    /**
     * Offset of the station's clock from UTC in minutes (Bogotá local time: -300). CP56Time2a
     * carries no zone: time tags are read, and the clock is set, in this offset.
     */
    timeOffsetMinutes: z.number().int().min(-720).max(840).default(0),
  })
  .strict()
  .superRefine((source, context) => {
    if (source.w > source.k)
      context.addIssue({
        code: 'custom',
        path: ['w'],
        message: `w (${source.w}) must not exceed k (${source.k}); the standard recommends w ≤ 2k/3`,
      });
    if (source.t2Ms >= source.t1Ms)
      context.addIssue({
        code: 'custom',
        path: ['t2Ms'],
        message: `t2 (${source.t2Ms} ms) must be shorter than t1 (${source.t1Ms} ms)`,
      });
  });

export const sourceSchema = z.discriminatedUnion('type', [
  modbusTcpSourceSchema,
  modbusRtuSourceSchema,
  opcuaSourceSchema,
  mqttSourceSchema,
  iec104SourceSchema,
]);

export const modbusAddressSchema = z
  .object({
    unit: z.number().int().min(0).max(247).default(1),
    table: z.enum(MODBUS_TABLES).default('holding'),
    address: z.number().int().min(0).max(65535),
    type: z.enum(MODBUS_TYPES).default('float32'),
    byteOrder: byteOrder.default('BE'),
    wordOrder: byteOrder.default('BE'),
  })
  .strict();

/** Common address (1–65534; 0 is unused, 65535 is broadcast) + information object address. */
export const iec104AddressSchema = z
  .object({
    ca: z.number().int().min(1).max(65534),
    ioa: z.number().int().min(1).max(16_777_215),
    type: z.enum(IEC104_TYPES),
  })
  .strict();

export const tagSchema = z
  .object({
    source: id,
    /** Id of the tenant variable this tag feeds (from the web app's mapping screen). */
    binding: z.string().min(1).max(64),
    point: z.string().min(1).max(64),
    variable: z.string().regex(/^[a-z0-9_]+$/),
    unit: z.string().min(1),
    scale: z.number().finite().default(1),
    offset: z.number().finite().default(0),
    modbus: modbusAddressSchema.optional(),
    opcua: z
      .object({ nodeId: z.string().min(1) })
      .strict()
      .optional(),
    mqtt: z
      .object({
        topic: z.string().min(1),
        field: z.string().optional(),
        metric: z.string().optional(),
      })
      .strict()
      .optional(),
    iec104: iec104AddressSchema.optional(),
  })
  .strict();

export const connectorConfigSchema = z
  .object({
    version: z.literal(1),
    connector: z
      .object({
        id: z.uuid().optional(),
        cloudUrl: z.string().url(),
        /** Where `enroll` keeps the credential (mode 0600); ANH_CONNECTOR_CREDENTIAL overrides it. */
        credentialFile: z.string().min(1).default('./data/credential'),
        buffer: z
          .object({
            path: z.string().min(1).default('./data/buffer.sqlite'),
            maxSamples: z.number().int().positive().default(50_000_000),
          })
          .strict()
          .default({ path: './data/buffer.sqlite', maxSamples: 50_000_000 }),
        batch: z
          .object({
            maxSamples: z.number().int().min(1).max(50_000).default(5000),
            maxDelayMs: z.number().int().min(100).default(5000),
          })
          .strict()
          .default({ maxSamples: 5000, maxDelayMs: 5000 }),
      })
      .strict(),
    site: z
      .object({
        atmosphericPressurePsia: z.number().positive().max(20).optional(),
      })
      .strict()
      .default({}),
    sources: z.array(sourceSchema).min(1),
    tags: z.array(tagSchema).min(1),
  })
  .strict();

export type ConnectorConfig = z.infer<typeof connectorConfigSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type TagConfig = z.infer<typeof tagSchema>;

/** The register view of a tag's Modbus address (for the read plan and the overlap check). */
export function registerTagOf(index: number, address: z.infer<typeof modbusAddressSchema>) {
  return {
    tag: index,
    unitId: address.unit,
    table: address.table,
    address: address.address,
    type: address.type,
    byteOrder: address.byteOrder,
    wordOrder: address.wordOrder,
  };
}
