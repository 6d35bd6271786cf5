import {
  AttributeIds,
  ClientMonitoredItem,
  ClientSubscription,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  UserTokenType,
  type ClientSession,
  type DataValue,
  type UserIdentityInfo,
} from 'node-opcua';
import { readCertificate, readPrivateKeyPEM } from 'node-opcua-crypto';
import type { BufferedSample } from '../buffer/store';
import type { SourceConfig } from '../config/schema';

/**
 * An OPC UA source (node-opcua 2.182, the last line that runs on Node 20). Subscriptions
 * by default, polling as a fallback; security None or Basic256Sha256 with Sign or
 * SignAndEncrypt; anonymous or username login. Server certificates must be in our own
 * trust store (`pkiDir`): an unknown one is refused and parked in `rejected/`, from where
 * `anh-connector trust` accepts it. Every value keeps its StatusCode and source timestamp.
 * After a server restart the client reconnects and node-opcua re-creates the session,
 * the subscription and its monitored items.
 */
export type OpcuaSourceConfig = Extract<SourceConfig, { type: 'opcua' }>;

export interface OpcuaTag {
  binding: string;
  priority: number;
  scale: number;
  offset: number;
  nodeId: string;
}

export interface OpcuaSourceStatus {
  state: 'connecting' | 'connected' | 'reconnecting' | 'stopped';
  changes: number;
  reconnects: number;
  lastError: string | null;
}

/** OPC UA StatusCode severity (top two bits) → 0 good, 1 uncertain, 2 bad. */
export function statusOf(code: number): number {
  const severity = code >>> 30;
  return severity === 0 ? 0 : severity === 1 ? 1 : 2;
}

export function certificateManager(pkiDir: string): OPCUACertificateManager {
  return new OPCUACertificateManager({
    rootFolder: pkiDir,
    automaticallyAcceptUnknownCertificate: false,
  });
}

export class OpcuaSource {
  private client: OPCUAClient | null = null;
  private session: ClientSession | null = null;
  private subscription: ClientSubscription | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly health: OpcuaSourceStatus = {
    state: 'stopped',
    changes: 0,
    reconnects: 0,
    lastError: null,
  };
  private readonly now: () => number;

  constructor(
    private readonly options: {
      source: OpcuaSourceConfig;
      tags: readonly OpcuaTag[];
      sink: (samples: BufferedSample[]) => void;
      pkiDir: string;
      password?: string;
      /** Resolves paths from the configuration file (relative to the file). */
      resolve?: (path: string) => string;
      now?: () => number;
    },
  ) {
    this.now = options.now ?? Date.now;
  }

  get sourceId(): string {
    return this.options.source.id;
  }

  status(): OpcuaSourceStatus {
    return { ...this.health };
  }

  private sample(tag: OpcuaTag, dataValue: DataValue): BufferedSample {
    const code = dataValue.statusCode.value >>> 0;
    const raw = dataValue.value?.value as unknown;
    const numeric = typeof raw === 'number' ? raw : typeof raw === 'boolean' ? (raw ? 1 : 0) : null;
    const status = numeric === null || !Number.isFinite(numeric) ? 2 : statusOf(code);
    const ts =
      dataValue.sourceTimestamp?.getTime() ?? dataValue.serverTimestamp?.getTime() ?? this.now();
    return {
      source: this.options.source.id,
      binding: tag.binding,
      ts,
      value:
        numeric === null || !Number.isFinite(numeric) ? null : numeric * tag.scale + tag.offset,
      status,
      code,
      priority: tag.priority,
    };
  }

  async start(): Promise<void> {
    const { source } = this.options;
    this.health.state = 'connecting';
    const certificates = certificateManager(this.options.pkiDir);
    await certificates.initialize();
    const client = OPCUAClient.create({
      applicationName: 'ANH Smart Reporter connector',
      endpointMustExist: false,
      securityMode: MessageSecurityMode[source.securityMode],
      securityPolicy: SecurityPolicy[source.securityPolicy],
      clientCertificateManager: certificates,
      keepSessionAlive: true,
      connectionStrategy: { initialDelay: 250, maxDelay: 10_000, maxRetry: 3 },
    });
    this.client = client;
    client.on('connection_lost', () => {
      this.health.state = 'reconnecting';
    });
    client.on('connection_reestablished', () => {
      this.health.reconnects++;
      this.health.state = 'connected';
    });
    await client.connect(source.endpoint);
    // From now on, retry for ever: a field server may be down for hours.
    client.connectionStrategy.maxRetry = Number.MAX_SAFE_INTEGER;
    const resolve = this.options.resolve ?? ((path: string) => path);
    const identity: UserIdentityInfo =
      source.userCertificate && source.userPrivateKey
        ? {
            type: UserTokenType.Certificate,
            certificateData: readCertificate(resolve(source.userCertificate)),
            privateKey: readPrivateKeyPEM(resolve(source.userPrivateKey)),
          }
        : source.username
          ? {
              type: UserTokenType.UserName,
              userName: source.username,
              password: this.options.password ?? '',
            }
          : { type: UserTokenType.Anonymous };
    this.session = await client.createSession(identity);
    this.health.state = 'connected';
    if (source.mode === 'polling') this.startPolling();
    else this.subscribe(this.session);
  }

  private subscribe(session: ClientSession): void {
    const { source, tags } = this.options;
    const subscription = ClientSubscription.create(session, {
      requestedPublishingInterval: source.publishingIntervalMs,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 1000,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
    });
    this.subscription = subscription;
    for (const tag of tags) {
      const item = ClientMonitoredItem.create(
        subscription,
        { nodeId: tag.nodeId, attributeId: AttributeIds.Value },
        { samplingInterval: source.samplingIntervalMs, discardOldest: false, queueSize: 1000 },
        TimestampsToReturn.Both,
      );
      item.on('changed', (dataValue: DataValue) => {
        this.health.changes++;
        this.options.sink([this.sample(tag, dataValue)]);
      });
      item.on('err', (message: string) => {
        this.health.lastError = `${tag.nodeId}: ${message}`;
      });
    }
  }

  private startPolling(): void {
    const { tags, source } = this.options;
    const poll = async () => {
      if (!this.session) return;
      try {
        const values = await this.session.read(
          tags.map((t) => ({ nodeId: t.nodeId, attributeId: AttributeIds.Value })),
          0,
        );
        this.health.changes += values.length;
        this.options.sink(values.map((dataValue, i) => this.sample(tags[i]!, dataValue)));
      } catch (error) {
        this.health.lastError = (error as Error).message;
      }
      if (this.health.state !== 'stopped')
        this.pollTimer = setTimeout(() => void poll(), source.publishingIntervalMs);
    };
    void poll();
  }

  async stop(): Promise<void> {
    this.health.state = 'stopped';
    if (this.pollTimer) clearTimeout(this.pollTimer);
    await this.subscription?.terminate().catch(() => undefined);
    await this.session?.close().catch(() => undefined);
    await this.client?.disconnect().catch(() => undefined);
  }
}
