import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorCredential, type NewConnectorCredential, type Tenant } from '@anh/db';
import { seedField, seedTenant } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { syntheticBatch, tenantBindings } from '@anh/db/test-fixtures';
import type { VariableBinding } from '@anh/db/telemetry';
import type { UploadBatch } from '@anh/domain/upload';
import { CredentialCache } from './credential-cache';
import { handleIngest, StatusThrottle, VariableIdCache } from './handle';
import { RateLimiter } from './rate-limit';
import { serveRoutes } from '../../../test/serve';

/**
 * The ingest endpoint over a real socket (node:http in front of the same handler the Next
 * route calls), on the real PostgreSQL: what is stored, what is refused, and that a
 * refused batch leaves no trace.
 */
const testDb = useTestDatabase();
let acme: Tenant;
let rival: Tenant;
let acmeConnector: NewConnectorCredential;
let rivalConnector: NewConnectorCredential;
let acmeBindings: VariableBinding[];
let rivalBindings: VariableBinding[];
let server: Awaited<ReturnType<typeof serveRoutes>>;
let url: string;
const woken: string[] = [];

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  await seedField(db, acme.id, { wells: 2 });
  await seedField(db, rival.id, { wells: 1 });
  acmeConnector = await createConnectorCredential(db, acme.id, { name: 'PLC', actor: 'test' });
  rivalConnector = await createConnectorCredential(db, rival.id, { name: 'PLC', actor: 'test' });
  acmeBindings = await tenantBindings(db, acme.id);
  rivalBindings = await tenantBindings(db, rival.id);
  const deps = {
    db,
    wake: (tenantId: string) => {
      woken.push(tenantId);
      return Promise.resolve();
    },
    now: () => Date.now(),
    retentionMonths: 60,
    maxBodyBytes: 8 * 1024 * 1024,
    maxBatchesPerMinute: 10_000,
    credentials: new CredentialCache(),
    limiter: new RateLimiter(),
    variableIds: new VariableIdCache(),
    statusThrottle: new StatusThrottle(),
  };
  server = await serveRoutes({
    '/api/ingest/v1/batches': (request) => handleIngest(request, deps),
  });
  url = `${server.url}/api/ingest/v1/batches`;
});

afterAll(async () => {
  await server.close();
});

function batchFor(bindings: VariableBinding[], connectorId: string, readings = 10): UploadBatch {
  return syntheticBatch({
    connectorId,
    bindings,
    startMs: Date.now() - 3600_000 + Math.floor(Math.random() * 1e6),
    readingsPerVariable: readings,
    stepMs: 1000,
  });
}

async function post(
  body: Buffer | string,
  options: { token?: string; type?: string; encoding?: string | null; key?: string } = {},
): Promise<{
  status: number;
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
}> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token ?? acmeConnector.token}`,
    'content-type': options.type ?? 'application/json',
  };
  if (options.encoding !== null) headers['content-encoding'] = options.encoding ?? 'gzip';
  if (options.key) headers['idempotency-key'] = options.key;
  const payload = typeof body === 'string' ? body : new Uint8Array(body);
  const response = await fetch(url, { method: 'POST', headers, body: payload });
  return { status: response.status, json: (await response.json()) as never };
}

const gz = (value: unknown) => gzipSync(typeof value === 'string' ? value : JSON.stringify(value));

async function counts(tenantId: string): Promise<{ batches: number; samples: number }> {
  return testDb().db.withTenantClient(tenantId, async (client) => {
    const { rows } = await client.query<{ batches: string; samples: string }>(
      'SELECT (SELECT count(*) FROM ingest_batches) AS batches, (SELECT count(*) FROM samples) AS samples',
    );
    return { batches: Number(rows[0]!.batches), samples: Number(rows[0]!.samples) };
  });
}

describe('ingest endpoint', () => {
  it('stores a batch once, however often it is sent', async () => {
    const before = await counts(acme.id);
    const batch = batchFor(acmeBindings, acmeConnector.connectorId);
    const first = await post(gz(batch), { key: batch.batchId });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({
      batchId: batch.batchId,
      duplicate: false,
      accepted: batch.samples.length,
    });
    // A re-send is compressed anew and carries a new createdAt: still the same batch.
    const again = await post(gz({ ...batch, createdAt: new Date().toISOString() }));
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ duplicate: true });
    const after = await counts(acme.id);
    expect(after.batches - before.batches).toBe(1);
    expect(after.samples - before.samples).toBe(batch.samples.length);
    expect(woken.filter((t) => t === acme.id).length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a reused batch id with other content (409), storing nothing more', async () => {
    const batch = batchFor(acmeBindings, acmeConnector.connectorId, 2);
    expect((await post(gz(batch))).status).toBe(200);
    const before = await counts(acme.id);
    const altered = {
      ...batch,
      samples: batch.samples.map((s) => ({ ...s, value: (s.value ?? 0) + 1 })),
    };
    const response = await post(gz(altered));
    expect(response.status).toBe(409);
    expect(response.json.error?.message).toMatch(/already received with other content/);
    expect(await counts(acme.id)).toEqual(before);
  });

  it('keeps the first reading of a repeated variable and timestamp', async () => {
    const batch = batchFor(acmeBindings, acmeConnector.connectorId, 3);
    expect((await post(gz(batch))).status).toBe(200);
    const before = await counts(acme.id);
    const overlap = { ...batch, batchId: randomUUID(), sequence: 1 };
    const response = await post(gz(overlap));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      duplicate: false,
      accepted: batch.samples.length,
      stored: 0,
    });
    const after = await counts(acme.id);
    expect(after.samples).toBe(before.samples);
    expect(after.batches).toBe(before.batches + 1);
  });

  it('accepts NDJSON, uncompressed too', async () => {
    const batch = batchFor(acmeBindings, acmeConnector.connectorId, 2);
    const { samples, ...header } = batch;
    const ndjson = [JSON.stringify(header), ...samples.map((s) => JSON.stringify(s))].join('\n');
    const response = await post(ndjson, { type: 'application/x-ndjson', encoding: null });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ accepted: samples.length });
  });

  const good = () => batchFor(acmeBindings, acmeConnector.connectorId, 2);
  const malformed: Array<
    [
      string,
      () => { body: Buffer | string; token?: string; type?: string; encoding?: string | null },
      number,
      RegExp,
    ]
  > = [
    ['truncated gzip', () => ({ body: gz(good()).subarray(0, 200) }), 400, /not valid gzip/],
    [
      'wrong types',
      () => {
        const b = good() as unknown as { samples: Array<Record<string, unknown>> };
        b.samples[1]!.value = '12.5';
        b.samples[2]!.ts = 12345;
        return { body: gz(b) };
      },
      400,
      /samples\.1\.value.*samples\.2\.ts|samples\.2\.ts.*samples\.1\.value/,
    ],
    [
      'NaN',
      () => ({ body: gz(JSON.stringify(good()).replace(/"value":[-0-9.e]+/, '"value":NaN')) }),
      400,
      /no NaN or Infinity/,
    ],
    [
      'Infinity',
      () => ({ body: gz(JSON.stringify(good()).replace(/"value":[-0-9.e]+/, '"value":Infinity')) }),
      400,
      /no NaN or Infinity/,
    ],
    [
      'a timestamp far in the future',
      () => {
        const b = good();
        b.samples[3]!.ts = new Date(Date.now() + 7 * 86_400_000).toISOString();
        return { body: gz(b) };
      },
      400,
      /1 timestamp\(s\) in the future.*samples\.3/,
    ],
    [
      'an unknown variable',
      () => {
        const b = good();
        b.samples[0]!.binding = 'sim-w-001-tubing_head_pressure';
        return { body: gz(b) };
      },
      400,
      /unknown variable "sim-w-001-tubing_head_pressure"/,
    ],
    [
      "another tenant's variable ids",
      () => ({ body: gz(batchFor(rivalBindings, acmeConnector.connectorId, 1)) }),
      400,
      /unknown variable/,
    ],
    [
      'a 50 MB body',
      () => ({ body: Buffer.alloc(50 * 1024 * 1024, 0x20), encoding: null }),
      413,
      /exceeds 8388608 bytes/,
    ],
    [
      'a gzip bomb (small on the wire, 100 MB inflated)',
      () => ({ body: gzipSync(Buffer.alloc(100 * 1024 * 1024, 0x20)) }),
      413,
      /decompressed body exceeds/,
    ],
    ['no credential', () => ({ body: gz(good()), token: 'nope' }), 401, /not recognised/],
    [
      "another connector's id in the batch",
      () => ({ body: gz({ ...good(), connectorId: rivalConnector.connectorId }) }),
      403,
      /not the connector this credential belongs to/,
    ],
    ['a wrong content type', () => ({ body: gz(good()), type: 'text/csv' }), 415, /content-type/],
  ];

  it.each(malformed)(
    'refuses %s with a clear 4xx and writes nothing',
    async (_, make, status, message) => {
      const before = await counts(acme.id);
      const rivalBefore = await counts(rival.id);
      const { body, ...options } = make();
      const response = await post(body, options);
      expect(response.status).toBe(status);
      expect(response.json.error?.message).toMatch(message);
      expect(await counts(acme.id)).toEqual(before);
      expect(await counts(rival.id)).toEqual(rivalBefore);
    },
  );

  it('limits each connector to its rate, with retry-after', async () => {
    const { db } = testDb();
    const limited = await createConnectorCredential(db, acme.id, { name: 'slow', actor: 'test' });
    await db.controlPool.query(
      'UPDATE control.connector_credentials SET max_batches_per_minute = 2 WHERE id = $1',
      [limited.connectorId],
    );
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const b = batchFor(acmeBindings, limited.connectorId, 1);
      statuses.push((await post(gz(b), { token: limited.token })).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});
