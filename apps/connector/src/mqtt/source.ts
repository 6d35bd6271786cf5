import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import spPayload from 'sparkplug-payload';
import type { BufferedSample } from '../buffer/store';
import type { SourceConfig } from '../config/schema';
import { parseSparkplugTopic, sparkplugNumber } from './sparkplug';

/**
 * An MQTT source: plain JSON topics or Sparkplug B. Samples are committed (the sink
 * returns only after the buffer's transaction) inside the message handler, which mqtt.js
 * runs before it sends PUBACK, so a QoS 1 message is acknowledged to the broker only once
 * it is on disk; with a stable client id and a persistent session the broker keeps what
 * arrives while the connector is down.
 *
 * Sparkplug B: BIRTH certificates give the metric names behind aliases; a DATA message
 * with an unknown alias or a sequence gap triggers a rebirth request (NCMD "Node
 * Control/Rebirth"); DEATH turns the node's or device's tags Bad until the next BIRTH.
 */
export type MqttSourceConfig = Extract<SourceConfig, { type: 'mqtt' }>;

export interface MqttTag {
  binding: string;
  priority: number;
  scale: number;
  offset: number;
  /** JSON: the topic. Sparkplug B: `group/edge` or `group/edge/device`. */
  topic: string;
  /** JSON: dotted path to the value (default `value`). */
  field?: string;
  /** Sparkplug B: metric name. */
  metric?: string;
}

export interface MqttSourceStatus {
  state: 'connecting' | 'connected' | 'offline' | 'stopped';
  messages: number;
  decodeErrors: number;
  rebirthRequests: number;
  sequenceGaps: number;
  deaths: number;
}

const sparkplug = spPayload.get('spBv1.0')!;
const BAD = 0x80000000;

function pathValue(object: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) =>
        node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined,
      object,
    );
}

function timestampOf(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  if (value && typeof value === 'object' && 'low' in value && 'high' in value) {
    const long = value as { low: number; high: number };
    return (long.high >>> 0) * 2 ** 32 + (long.low >>> 0);
  }
  return fallback;
}

interface EdgeState {
  lastSeq: number | null;
  aliases: Map<string, string>;
  /** Datatype each metric was born with: it decides how to read later values (sign!). */
  types: Map<string, string>;
}

export class MqttSource {
  private client: MqttClient | null = null;
  private readonly now: () => number;
  private readonly edges = new Map<string, EdgeState>();
  private readonly health: MqttSourceStatus = {
    state: 'stopped',
    messages: 0,
    decodeErrors: 0,
    rebirthRequests: 0,
    sequenceGaps: 0,
    deaths: 0,
  };

  constructor(
    private readonly options: {
      source: MqttSourceConfig;
      tags: readonly MqttTag[];
      sink: (samples: BufferedSample[]) => void;
      password?: string;
      now?: () => number;
    },
  ) {
    this.now = options.now ?? Date.now;
  }

  get sourceId(): string {
    return this.options.source.id;
  }

  status(): MqttSourceStatus {
    return { ...this.health };
  }

  async start(): Promise<void> {
    const { source } = this.options;
    const clientOptions: IClientOptions = {
      clientId: source.clientId ?? `anh-connector-${source.id}`,
      clean: source.clientId === undefined,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...(source.username ? { username: source.username } : {}),
      ...(this.options.password ? { password: this.options.password } : {}),
      ...(source.caFile ? { ca: readFileSync(source.caFile), rejectUnauthorized: true } : {}),
    };
    this.health.state = 'connecting';
    const client = mqtt.connect(source.url, clientOptions);
    this.client = client;
    client.on('offline', () => (this.health.state = 'offline'));
    client.on('error', () => undefined); // reconnects on its own; state says offline
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    // (Re)subscribe on every connection: after a broker restart a clean session has none.
    const subscribed = new Promise<void>((resolve, reject) => {
      client.on('connect', () => {
        client.subscribe(this.subscriptions(), { qos: source.qos }, (error) => {
          if (error) return reject(error);
          this.health.state = 'connected';
          resolve();
        });
      });
      client.once('error', reject);
    });
    await subscribed;
  }

  private subscriptions(): string[] {
    if (this.options.source.format === 'json')
      return [...new Set(this.options.tags.map((t) => t.topic))];
    const topics = new Set<string>();
    for (const tag of this.options.tags) {
      const [group, edge] = tag.topic.split('/');
      topics.add(`spBv1.0/${group}/+/${edge}`);
      topics.add(`spBv1.0/${group}/+/${edge}/#`);
    }
    return [...topics];
  }

  private emit(samples: BufferedSample[]): void {
    if (samples.length > 0) this.options.sink(samples);
  }

  private sample(
    tag: MqttTag,
    raw: number | null,
    ts: number,
    status: number,
    code: number | null,
  ): BufferedSample {
    return {
      source: this.options.source.id,
      binding: tag.binding,
      ts,
      value: raw === null ? null : raw * tag.scale + tag.offset,
      status,
      code,
      priority: tag.priority,
    };
  }

  private onMessage(topic: string, payload: Buffer): void {
    this.health.messages++;
    if (this.options.source.format === 'json') this.onJson(topic, payload);
    else this.onSparkplug(topic, payload);
  }

  private onJson(topic: string, payload: Buffer): void {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      this.health.decodeErrors++;
      return;
    }
    const received = this.now();
    const ts = timestampOf(pathValue(body, 'ts'), received);
    this.emit(
      this.options.tags
        .filter((t) => t.topic === topic)
        .map((tag) => {
          const value = pathValue(body, tag.field ?? 'value');
          return typeof value === 'number' && Number.isFinite(value)
            ? this.sample(tag, value, ts, 0, null)
            : this.sample(tag, null, ts, 2, BAD);
        }),
    );
  }

  private requestRebirth(group: string, edge: string): void {
    this.health.rebirthRequests++;
    const body = sparkplug.encodePayload({
      timestamp: this.now(),
      metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }],
    });
    void this.client
      ?.publishAsync(`spBv1.0/${group}/NCMD/${edge}`, Buffer.from(body), { qos: 0 })
      .catch(() => undefined);
  }

  private onSparkplug(topic: string, payload: Buffer): void {
    const parsed = parseSparkplugTopic(topic);
    if (!parsed) return;
    const key = `${parsed.group}/${parsed.edge}`;
    const scope = parsed.device ? `${key}/${parsed.device}` : key;
    const tags = this.options.tags.filter((t) => t.topic === scope);
    let decoded: ReturnType<typeof sparkplug.decodePayload>;
    try {
      decoded = sparkplug.decodePayload(new Uint8Array(payload));
    } catch {
      this.health.decodeErrors++;
      return;
    }
    const edge = this.edges.get(key) ?? {
      lastSeq: null,
      aliases: new Map<string, string>(),
      types: new Map<string, string>(),
    };
    this.edges.set(key, edge);
    const received = this.now();
    const payloadTs = timestampOf(decoded.timestamp, received);

    if (parsed.type === 'NDEATH' || parsed.type === 'DDEATH') {
      this.health.deaths++;
      if (parsed.type === 'NDEATH') edge.lastSeq = null;
      const dead =
        parsed.type === 'NDEATH'
          ? this.options.tags.filter((t) => t.topic === key || t.topic.startsWith(`${key}/`))
          : tags;
      this.emit(dead.map((tag) => this.sample(tag, null, payloadTs, 2, BAD)));
      return;
    }
    if (
      parsed.type !== 'NBIRTH' &&
      parsed.type !== 'DBIRTH' &&
      parsed.type !== 'NDATA' &&
      parsed.type !== 'DDATA'
    )
      return;

    const seq =
      decoded.seq === undefined || decoded.seq === null ? null : timestampOf(decoded.seq, -1);
    if (parsed.type === 'NBIRTH') edge.lastSeq = seq;
    else if (seq !== null) {
      if (edge.lastSeq === null || seq !== (edge.lastSeq + 1) % 256) {
        this.health.sequenceGaps++;
        this.requestRebirth(parsed.group, parsed.edge);
      }
      edge.lastSeq = seq;
    }
    const isBirth = parsed.type === 'NBIRTH' || parsed.type === 'DBIRTH';
    const samples: BufferedSample[] = [];
    let unknownAlias = false;
    for (const metric of decoded.metrics ?? []) {
      const alias =
        metric.alias === undefined || metric.alias === null
          ? null
          : `${scope}#${timestampOf(metric.alias, -1)}`;
      let name = metric.name ?? null;
      if (isBirth && name && alias) edge.aliases.set(alias, name);
      if (!name && alias) name = edge.aliases.get(alias) ?? null;
      if (!name) {
        unknownAlias = true;
        continue;
      }
      const typeKey = `${scope}:${name}`;
      if (isBirth && metric.type) edge.types.set(typeKey, metric.type);
      const type = edge.types.get(typeKey) ?? metric.type;
      const ts = timestampOf(metric.timestamp, payloadTs);
      const value = metric.isNull ? null : sparkplugNumber(type, metric.value);
      for (const tag of tags) {
        if (tag.metric !== name) continue;
        samples.push(
          value === null
            ? this.sample(tag, null, ts, 2, BAD)
            : this.sample(tag, value, ts, 0, null),
        );
      }
    }
    if (unknownAlias) this.requestRebirth(parsed.group, parsed.edge);
    this.emit(samples);
  }

  async stop(): Promise<void> {
    this.health.state = 'stopped';
    await this.client?.endAsync();
  }
}
