import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { enrollmentRequestSchema } from '@anh/domain/enrollment';
import {
  parseUploadBatch,
  readConnectorStatus,
  type ConnectorStatusReport,
  type UploadAggregate,
  type UploadSample,
} from '@anh/domain/upload';

/** The one enrollment code this endpoint accepts (once), and the id it assigns. */
export const ENROLLMENT_CODE = 'ABCD-EFGH-JKLM';
export const ENROLLED_CONNECTOR_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

/**
 * A small local endpoint that follows the upload contract, standing in for the cloud
 * ingest until it exists: authenticates the bearer credential, validates the batch with
 * the shared zod schema, deduplicates by batch id and acknowledges. It can be taken down
 * (connections refused with 503) or made to lose its acknowledgements (stores the batch,
 * then drops the connection), to test the connector's delivery guarantees.
 */
export interface TestCloud {
  url: string;
  samples: Map<string, UploadSample[]>;
  aggregates: UploadAggregate[];
  batches: number;
  duplicates: number;
  rejected: number;
  /** The connector's health as the last upload reported it (readConnectorStatus). */
  lastStatus: ConnectorStatusReport | null;
  setMode(mode: 'up' | 'down' | 'lose-acks'): void;
  close(): Promise<void>;
}

export async function startTestCloud(credential: string): Promise<TestCloud> {
  const seen = new Set<string>();
  const samples = new Map<string, UploadSample[]>();
  const aggregates: UploadAggregate[] = [];
  let mode: 'up' | 'down' | 'lose-acks' = 'up';
  let enrolled = false;
  let lastStatus: ConnectorStatusReport | null = null;
  const state = { batches: 0, duplicates: 0, rejected: 0 };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (mode === 'down') {
        response.writeHead(503).end('down');
        return;
      }
      if (request.method === 'POST' && request.url === '/api/connectors/enroll') {
        const parsed = enrollmentRequestSchema.safeParse(
          JSON.parse(Buffer.concat(chunks).toString() || 'null'),
        );
        if (!parsed.success || parsed.data.code !== ENROLLMENT_CODE || enrolled) {
          response
            .writeHead(parsed.success ? 404 : 400)
            .end(parsed.success ? 'unknown or used code' : 'bad request');
          return;
        }
        enrolled = true;
        const [keyId, secret] = credential.split('.') as [string, string];
        response.writeHead(201, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            connectorId: ENROLLED_CONNECTOR_ID,
            tenantSlug: 'demo-llanos',
            keyId,
            secret,
          }),
        );
        return;
      }
      if (request.method !== 'POST' || request.url !== '/api/ingest/v1/batches') {
        response.writeHead(404).end();
        return;
      }
      if (request.headers.authorization !== `Bearer ${credential}`) {
        response.writeHead(401).end('bad credential');
        return;
      }
      lastStatus = readConnectorStatus((name) => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : null;
      });
      let parsed;
      try {
        const raw = Buffer.concat(chunks);
        const text =
          request.headers['content-encoding'] === 'gzip'
            ? gunzipSync(raw).toString()
            : raw.toString();
        parsed = parseUploadBatch(JSON.parse(text));
      } catch (error) {
        state.rejected++;
        response.writeHead(400).end(`unreadable body: ${(error as Error).message}`);
        return;
      }
      if (!parsed.ok) {
        state.rejected++;
        response
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify(parsed.error.details));
        return;
      }
      const batch = parsed.batch;
      const duplicate = seen.has(batch.batchId);
      if (duplicate) state.duplicates++;
      else {
        seen.add(batch.batchId);
        state.batches++;
        aggregates.push(...(batch.aggregates ?? []));
        for (const sample of batch.samples) {
          const list = samples.get(sample.binding) ?? [];
          list.push(sample);
          samples.set(sample.binding, list);
        }
      }
      if (mode === 'lose-acks') {
        request.socket.destroy();
        return;
      }
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ batchId: batch.batchId, accepted: batch.samples.length, duplicate }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    samples,
    aggregates,
    get lastStatus() {
      return lastStatus;
    },
    get batches() {
      return state.batches;
    },
    get duplicates() {
      return state.duplicates;
    },
    get rejected() {
      return state.rejected;
    },
    setMode: (next) => (mode = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
