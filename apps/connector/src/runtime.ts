import { CONNECTOR_VERSION } from './index';
import { createServer, type Server } from 'node:http';
import { dirname, isAbsolute, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { variableByCode } from '@anh/domain/catalog';
import { DurableBuffer, PRIORITY, type BufferedSample } from './buffer/store';
import { registerTagOf, type ConnectorConfig, type TagConfig } from './config/schema';
import { ModbusPoller, type ModbusTag } from './modbus/poller';
import type { Iec104Source, Iec104Tag } from './iec104/source';
import type { MqttSource, MqttTag } from './mqtt/source';
import type { OpcuaSource, OpcuaTag } from './opcua/source';
import { secretFromEnv } from './env';
import { createLogger, type Logger } from './log';
import { createConnectorMetrics, type ConnectorMetrics, type SourceProbe } from './metrics';
import { Uploader } from './upload/uploader';

/**
 * The running connector: the buffer, one poller per source, the uploader and a local
 * status endpoint (`/status` in JSON, `/metrics` for Prometheus). Sources write into the
 * buffer; only the uploader reads from it.
 */
export interface ConnectorRuntime {
  buffer: DurableBuffer;
  pollers: ModbusPoller[];
  mqttSources: MqttSource[];
  opcuaSources: OpcuaSource[];
  iec104Sources: Iec104Source[];
  uploader: Uploader;
  unsupportedSources: string[];
  statusUrl: string | null;
  metrics: ConnectorMetrics;
  /**
   * Stops cleanly: the status endpoint, then every source (nothing new is read), then the
   * uploader (an upload on the wire may finish for `uploadGraceMs`; past that its batch
   * stays in the buffer and goes again at the next start), then the buffer's file.
   */
  stop(): Promise<void>;
}

/** How long a stop lets an upload on the wire finish (well within systemd's 90 s). */
export const UPLOAD_GRACE_MS = 10_000;

/** Paths in the configuration file are relative to the file itself. */
export function resolvePath(configPath: string, path: string): string {
  return isAbsolute(path) ? path : join(dirname(configPath), path);
}

/** Data the daily ANH report totals are computed from drains before the rest. */
export function tagPriority(tag: TagConfig): number {
  const variable = variableByCode(tag.variable);
  if (!variable) return PRIORITY.other;
  const reportCritical =
    variable.kind === 'totalizer' ||
    variable.pointKind === 'fiscal_liquid_meter' ||
    variable.pointKind === 'gas_meter' ||
    variable.pointKind === 'flare';
  return reportCritical ? PRIORITY.regulated : PRIORITY.other;
}

export function modbusTagsOf(config: ConnectorConfig, sourceId: string): ModbusTag[] {
  return config.tags.flatMap((tag, index) =>
    tag.source === sourceId && tag.modbus
      ? [
          {
            ...registerTagOf(index, tag.modbus),
            binding: tag.binding,
            priority: tagPriority(tag),
            scale: tag.scale,
            offset: tag.offset,
          },
        ]
      : [],
  );
}

export async function startConnector(options: {
  config: ConnectorConfig;
  configPath: string;
  connectorId: string;
  credential: string;
  statusPort: number;
  log?: Logger;
  uploadGraceMs?: number;
}): Promise<ConnectorRuntime> {
  const { config } = options;
  const log = options.log ?? createLogger('info', { service: 'connector' });
  const bufferPath = resolvePath(options.configPath, config.connector.buffer.path);
  mkdirSync(dirname(bufferPath), { recursive: true });
  const buffer = DurableBuffer.open(bufferPath, { maxSamples: config.connector.buffer.maxSamples });
  // Each source is probed for the metrics once it exists (pushed below as it is made).
  const probes: SourceProbe[] = [];
  const metrics = createConnectorMetrics({
    buffer,
    connectorId: options.connectorId,
    version: CONNECTOR_VERSION,
    sourceIds: config.sources.map((s) => s.id),
    sources: probes,
  });
  /** Where a source's readings go: the buffer, counted per source. */
  const sinkOf =
    (sourceId: string) =>
    (samples: BufferedSample[]): void => {
      buffer.append(samples);
      metrics.recordSamples(sourceId, samples.length);
    };
  const pollers: ModbusPoller[] = [];
  const unsupportedSources: string[] = [];
  const mqttSources: MqttSource[] = [];
  const opcuaSources: OpcuaSource[] = [];
  const iec104Sources: Iec104Source[] = [];
  for (const source of config.sources) {
    if (source.type === 'modbus-tcp' || source.type === 'modbus-rtu') {
      const poller = new ModbusPoller({
        source: source,
        tags: modbusTagsOf(config, source.id),
        sink: sinkOf(source.id),
      });
      poller.start();
      pollers.push(poller);
      probes.push({
        id: source.id,
        type: 'modbus',
        connected: () => poller.status().state === 'connected',
      });
    } else if (source.type === 'mqtt') {
      const tags: MqttTag[] = config.tags.flatMap((tag) =>
        tag.source === source.id && tag.mqtt
          ? [
              {
                binding: tag.binding,
                priority: tagPriority(tag),
                scale: tag.scale,
                offset: tag.offset,
                topic: tag.mqtt.topic,
                ...(tag.mqtt.field ? { field: tag.mqtt.field } : {}),
                ...(tag.mqtt.metric ? { metric: tag.mqtt.metric } : {}),
              },
            ]
          : [],
      );
      const password = source.passwordEnv ? secretFromEnv(source.passwordEnv) : undefined;
      // Loaded only when configured: node-opcua and mqtt.js take a while to load.
      const { MqttSource } = await import('./mqtt/source');
      const mqttSource = new MqttSource({
        source,
        tags,
        sink: sinkOf(source.id),
        ...(password ? { password } : {}),
      });
      // Connects and reconnects by itself; a broker that is down at start shows as offline.
      mqttSource.start().catch(() => undefined);
      mqttSources.push(mqttSource);
      probes.push({
        id: source.id,
        type: 'mqtt',
        connected: () => mqttSource.status().state === 'connected',
      });
    } else if (source.type === 'iec104') {
      const tags: Iec104Tag[] = config.tags.flatMap((tag) =>
        tag.source === source.id && tag.iec104
          ? [
              {
                binding: tag.binding,
                priority: tagPriority(tag),
                scale: tag.scale,
                offset: tag.offset,
                ca: tag.iec104.ca,
                ioa: tag.iec104.ioa,
                type: tag.iec104.type,
              },
            ]
          : [],
      );
      const { Iec104Source } = await import('./iec104/source');
      const iec104Source = new Iec104Source({
        source,
        tags,
        sink: sinkOf(source.id),
        log: (entry) => log.warn(typeof entry.event === 'string' ? entry.event : 'iec104', entry),
      });
      // Connects and reconnects by itself; a station that is down shows in the status.
      iec104Source.start();
      iec104Sources.push(iec104Source);
      probes.push({
        id: source.id,
        type: 'iec104',
        connected: () => iec104Source.status().state === 'active',
        malformed: () => iec104Source.status().malformed,
      });
    } else {
      const tags: OpcuaTag[] = config.tags.flatMap((tag) =>
        tag.source === source.id && tag.opcua
          ? [
              {
                binding: tag.binding,
                priority: tagPriority(tag),
                scale: tag.scale,
                offset: tag.offset,
                nodeId: tag.opcua.nodeId,
              },
            ]
          : [],
      );
      const password = source.passwordEnv ? secretFromEnv(source.passwordEnv) : undefined;
      const { OpcuaSource } = await import('./opcua/source');
      const opcuaSource = new OpcuaSource({
        source,
        tags,
        sink: sinkOf(source.id),
        pkiDir: resolvePath(options.configPath, source.pkiDir),
        resolve: (path: string) => resolvePath(options.configPath, path),
        ...(password ? { password } : {}),
      });
      // Connects in the background; an unreachable or untrusted server shows in the status.
      opcuaSource.start().catch(() => undefined);
      opcuaSources.push(opcuaSource);
      probes.push({
        id: source.id,
        type: 'opcua',
        connected: () => opcuaSource.status().state === 'connected',
      });
    }
  }
  const registry = metrics.registry;
  const uploader = new Uploader({
    buffer,
    cloudUrl: config.connector.cloudUrl,
    connectorId: options.connectorId,
    credential: options.credential,
    maxSamples: config.connector.batch.maxSamples,
    maxDelayMs: config.connector.batch.maxDelayMs,
    version: CONNECTOR_VERSION,
    onUpload: (upload) => metrics.recordUpload(upload),
    log,
  });
  uploader.start();

  let server: Server | null = null;
  let statusUrl: string | null = null;
  if (options.statusPort > 0) {
    server = createServer((request, response) => {
      if (request.url === '/metrics') {
        registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
          () => response.writeHead(500).end(),
        );
        return;
      }
      if (request.url !== '/status') {
        response.writeHead(404).end();
        return;
      }
      const body = {
        buffer: buffer.stats(),
        uploader: uploader.status(),
        sources: Object.fromEntries<unknown>([
          ...pollers.map((p): [string, unknown] => [p.sourceId, p.status()]),
          ...mqttSources.map((m): [string, unknown] => [m.sourceId, m.status()]),
          ...opcuaSources.map((o): [string, unknown] => [o.sourceId, o.status()]),
          ...iec104Sources.map((s): [string, unknown] => [s.sourceId, s.status()]),
        ]),
        unsupportedSources,
      };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server!.listen(options.statusPort, '127.0.0.1', resolve));
    statusUrl = `http://127.0.0.1:${options.statusPort}/status`;
  }

  return {
    buffer,
    pollers,
    mqttSources,
    opcuaSources,
    iec104Sources,
    uploader,
    unsupportedSources,
    statusUrl,
    metrics,
    async stop() {
      server?.close();
      await Promise.all([
        ...pollers.map((p) => p.stop()),
        ...mqttSources.map((m) => m.stop()),
        ...opcuaSources.map((o) => o.stop()),
        ...iec104Sources.map((s) => s.stop()),
      ]);
      await uploader.stop(options.uploadGraceMs ?? UPLOAD_GRACE_MS);
      buffer.close();
    },
  };
}
