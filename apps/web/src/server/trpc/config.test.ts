import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRPCError } from '@trpc/server';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enroll } from '@anh/connector/enroll';
import { parseConfig } from '@anh/connector/config';
import { readAuditChain, tenantTables, type Tenant } from '@anh/db';
import { seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { connectorStatusHeaders } from '@anh/domain/upload';
import { serveRoutes } from '../../../test/serve';
import { CredentialCache } from '../ingest/credential-cache';
import { handleEnroll } from '../ingest/enroll';
import { handleIngest, StatusThrottle, VariableIdCache } from '../ingest/handle';
import { RateLimiter } from '../ingest/rate-limit';
import { createCaller } from './root';

/**
 * Configuring a field from nothing, as the web app's screens do it: a site, a well, its
 * variables from the catalog, a connector registered ahead of the site visit, a source
 * and the tag mapping; the downloaded file is one the real connector accepts and enrolls
 * with; every change is in the audit log with before and after.
 */
const testDb = useTestDatabase();
let acme: Tenant;
let engineer: User;
let server: Awaited<ReturnType<typeof serveRoutes>>;
const dir = mkdtempSync(join(tmpdir(), 'anh-config-'));

const caller = () => createCaller({ db: testDb().db, userId: engineer.id, appUrl: server.url });

async function errorOf(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(() => null).catch((e: unknown) => e);
  if (!(error instanceof TRPCError)) throw new Error(`expected a TRPCError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  engineer = await seedUser(db);
  await seedMembership(db, acme.id, engineer.id, 'engineer');
  const ingest = {
    db,
    wake: () => Promise.resolve(),
    now: () => Date.now(),
    retentionMonths: 60,
    maxBodyBytes: 8 * 1024 * 1024,
    maxBatchesPerMinute: 1000,
    credentials: new CredentialCache(),
    limiter: new RateLimiter(),
    variableIds: new VariableIdCache(),
    statusThrottle: new StatusThrottle(),
  };
  server = await serveRoutes({
    '/api/connectors/enroll': (request) =>
      handleEnroll(request, { db, limiter: new RateLimiter(), now: () => Date.now() }),
    '/api/ingest/v1/batches': (request) => handleIngest(request, ingest),
  });
});
afterAll(async () => {
  await server.close();
});

describe('configuring a field', () => {
  let siteId: string;
  let pointId: string;
  let thp: string;
  let chp: string;
  let connectorId: string;

  it('creates a site, a well and catalog variables; codes are unique, units checked', async () => {
    const tenantSlug = acme.slug;
    const site = await caller().config.createSite({
      tenantSlug,
      site: {
        code: 'cpf-rubi',
        name: 'CPF Rubí',
        fieldName: 'Rubí',
        latitude: 4.1,
        longitude: -72.9,
      },
    });
    expect(site.code).toBe('CPF-RUBI');
    siteId = site.id;
    const dup = await errorOf(
      caller().config.createSite({
        tenantSlug,
        site: { code: 'CPF-RUBI', name: 'Otra', fieldName: 'Rubí' },
      }),
    );
    expect(dup.code).toBe('CONFLICT');
    expect(dup.message).toMatch(/Ya existe una estación con el código CPF-RUBI \/ a site/);
    // Longitude sign slip (east of Greenwich) is caught.
    expect(
      (
        await errorOf(
          caller().config.createSite({
            tenantSlug,
            site: { code: 'X', name: 'Xx', fieldName: 'Xx', longitude: 72.9 },
          }),
        )
      ).code,
    ).toBe('BAD_REQUEST');

    const point = await caller().config.createPoint({
      tenantSlug,
      siteId,
      point: { code: 'RUB-001', name: 'Rubí 1', kind: 'well' },
    });
    pointId = point.id;
    thp = (
      await caller().config.addVariable({
        tenantSlug,
        pointId,
        code: 'tubing_head_pressure',
        unit: 'psig',
      })
    ).id;
    chp = (
      await caller().config.addVariable({
        tenantSlug,
        pointId,
        code: 'casing_head_pressure',
        unit: 'kPag',
      })
    ).id;
    const twice = await errorOf(
      caller().config.addVariable({
        tenantSlug,
        pointId,
        code: 'tubing_head_pressure',
        unit: 'psig',
      }),
    );
    expect(twice.code).toBe('CONFLICT');
    const badUnit = await errorOf(
      caller().config.addVariable({
        tenantSlug,
        pointId,
        code: 'casing_head_pressure',
        unit: 'degC',
      }),
    );
    expect(badUnit.code).toBe('BAD_REQUEST');
    expect(badUnit.message).toMatch(/Unidad degC no válida/);
    const unknown = await errorOf(
      caller().config.addVariable({ tenantSlug, pointId, code: 'no_such_variable', unit: 'psig' }),
    );
    expect(unknown.message).toMatch(/no está en el catálogo/);
    const variables = await caller().config.variables({ tenantSlug });
    expect(variables.map((v) => `${v.pointCode}/${v.code}/${v.unit}`)).toEqual([
      'RUB-001/casing_head_pressure/kPag',
      'RUB-001/tubing_head_pressure/psig',
    ]);
  });

  it('maps tags to a registered connector; a tag feeds one variable only', async () => {
    const tenantSlug = acme.slug;
    connectorId = (await caller().connectors.register({ tenantSlug, name: 'Estación Rubí' }))
      .connectorId;
    const noSource = await errorOf(
      caller().connectors.saveMapping({
        tenantSlug,
        connectorId,
        variableId: thp,
        sourceId: 'plc1',
        address: { modbus: { address: 100 } },
      }),
    );
    expect(noSource.message).toMatch(/La fuente plc1 no existe/);
    await caller().connectors.saveSource({
      tenantSlug,
      connectorId,
      source: { id: 'plc1', type: 'modbus-tcp', host: '192.0.2.10', port: 502 },
    });
    const saved = await caller().connectors.saveMapping({
      tenantSlug,
      connectorId,
      variableId: thp,
      sourceId: 'plc1',
      address: { modbus: { address: 100, type: 'float32' } },
    });
    expect(saved.tagKey).toBe('plc1/modbus/1/holding/100');
    const duplicate = await errorOf(
      caller().connectors.saveMapping({
        tenantSlug,
        connectorId,
        variableId: chp,
        sourceId: 'plc1',
        address: { modbus: { address: 100, unit: 1, table: 'holding' } },
      }),
    );
    expect(duplicate.code).toBe('CONFLICT');
    expect(duplicate.message).toBe(
      'La etiqueta plc1/modbus/1/holding/100 ya está asignada a RUB-001 · tubing_head_pressure / tag plc1/modbus/1/holding/100 is already mapped to RUB-001 · tubing_head_pressure',
    );
    await caller().connectors.saveMapping({
      tenantSlug,
      connectorId,
      variableId: chp,
      sourceId: 'plc1',
      address: { modbus: { address: 102 } },
      scale: 6.894757,
    });
    // Re-mapping a variable to its own address is not a clash.
    await caller().connectors.saveMapping({
      tenantSlug,
      connectorId,
      variableId: thp,
      sourceId: 'plc1',
      address: { modbus: { address: 100, type: 'float32' } },
    });
  });

  it('downloads a configuration the real connector accepts, and enrolls with it', async () => {
    const file = await caller().connectors.downloadConfig({ tenantSlug: acme.slug, connectorId });
    expect(file.fileName).toBe(`anh-connector-${acme.slug}-estacion-rubi.yaml`);
    expect(file.enrollmentCode).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(file.yaml).toContain(`--code ${file.enrollmentCode}`);
    const checked = parseConfig(file.yaml);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    expect(checked.config.connector.id).toBe(connectorId);
    expect(checked.config.connector.cloudUrl).toBe(server.url);
    expect(
      checked.config.tags.map((t) => [
        t.binding,
        t.point,
        t.variable,
        t.unit,
        t.modbus?.address,
        t.scale,
      ]),
    ).toEqual([
      [chp, 'RUB-001', 'casing_head_pressure', 'kPag', 102, 6.894757],
      [thp, 'RUB-001', 'tubing_head_pressure', 'psig', 100, 1],
    ]);

    const path = join(dir, file.fileName);
    writeFileSync(path, file.yaml);
    const enrolled = await enroll({
      cloudUrl: server.url,
      code: file.enrollmentCode!,
      configPath: path,
      credentialPath: join(dir, 'credential'),
      version: '0.1.0',
    });
    expect(enrolled.connectorId).toBe(connectorId);
    const [connector] = (await caller().connectors.list({ tenantSlug: acme.slug })).filter(
      (c) => c.id === connectorId,
    );
    expect(connector!.enrolledAt).not.toBeNull();
    // A second download of an enrolled connector carries no code.
    const again = await caller().connectors.downloadConfig({ tenantSlug: acme.slug, connectorId });
    expect(again.enrollmentCode).toBeNull();
  });

  it('records the health the connector sends with its uploads', async () => {
    const { readFileSync } = await import('node:fs');
    const credential = readFileSync(join(dir, 'credential'), 'utf8').trim();
    const oldest = Date.now() - 3_600_000;
    const response = await fetch(`${server.url}/api/ingest/v1/batches`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${credential}`,
        ...connectorStatusHeaders({ version: '0.1.0', bufferDepth: 4321, oldestTs: oldest }),
      },
      body: JSON.stringify({
        contract: 1,
        batchId: crypto.randomUUID(),
        connectorId,
        sequence: 1,
        createdAt: new Date().toISOString(),
        samples: [
          {
            binding: thp,
            ts: new Date(oldest).toISOString(),
            value: 812.5,
            quality: { status: 'good' },
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const [connector] = (await caller().connectors.list({ tenantSlug: acme.slug })).filter(
      (c) => c.id === connectorId,
    );
    expect(connector).toMatchObject({ version: '0.1.0', bufferDepth: 4321 });
    expect(connector!.bufferOldestAt!.getTime()).toBe(oldest);
    expect(connector!.lastBatch?.samples).toBe(1);
  });

  it('imports a configuration file: all or nothing, duplicates refused', async () => {
    const tenantSlug = acme.slug;
    const exported = await caller().connectors.downloadConfig({ tenantSlug, connectorId });
    const document = parse(exported.yaml) as {
      tags: Array<{ modbus: { address: number } }>;
      sources: Array<{ host: string }>;
    };
    document.sources[0]!.host = '192.0.2.99';
    document.tags[0]!.modbus.address = 200;
    const { stringify } = await import('yaml');
    const result = await caller().connectors.importConfig({
      tenantSlug,
      connectorId,
      yaml: stringify(document),
    });
    expect(result).toEqual({ sources: 1, tags: 2 });
    const detail = await caller().connectors.detail({ tenantSlug, connectorId });
    expect(detail.sources[0]).toMatchObject({ host: '192.0.2.99' });
    expect(detail.mappings.map((m) => m.tagKey).sort()).toEqual([
      'plc1/modbus/1/holding/100',
      'plc1/modbus/1/holding/200',
    ]);

    // Two tags on one address: refused, and the mapping stays as it was.
    document.tags[0]!.modbus.address = 100;
    const duplicate = await errorOf(
      caller().connectors.importConfig({ tenantSlug, connectorId, yaml: stringify(document) }),
    );
    expect(duplicate.code).toBe('CONFLICT');
    expect(duplicate.message).toMatch(/^Etiqueta duplicada: plc1\/modbus\/1\/holding\/100/);
    const broken = await errorOf(
      caller().connectors.importConfig({ tenantSlug, connectorId, yaml: 'version: 1\n  bad: [' }),
    );
    expect(broken.message).toMatch(/no es YAML válido/);
    const after = await caller().connectors.detail({ tenantSlug, connectorId });
    expect(after.mappings.map((m) => m.tagKey).sort()).toEqual([
      'plc1/modbus/1/holding/100',
      'plc1/modbus/1/holding/200',
    ]);
  });

  it('maps a variable to an IEC 104 source; both come back in the exported file', async () => {
    const tenantSlug = acme.slug;
    const wht = (
      await caller().config.addVariable({
        tenantSlug,
        pointId,
        code: 'wellhead_temperature',
        unit: 'degF',
      })
    ).id;
    const rtu = {
      id: 'rtu1',
      type: 'iec104' as const,
      host: '192.0.2.20',
      port: 2404,
      k: 12,
      w: 8,
      t1Ms: 15_000,
      t2Ms: 10_000,
      interrogationIntervalMs: 600_000,
      timeOffsetMinutes: -300,
    };
    // The standard's own checks between the link parameters.
    const badWindow = await errorOf(
      caller().connectors.saveSource({ tenantSlug, connectorId, source: { ...rtu, w: 13 } }),
    );
    expect(badWindow.code).toBe('BAD_REQUEST');
    await caller().connectors.saveSource({ tenantSlug, connectorId, source: rtu });
    const saved = await caller().connectors.saveMapping({
      tenantSlug,
      connectorId,
      variableId: wht,
      sourceId: 'rtu1',
      address: { iec104: { ca: 1, ioa: 1001, type: 'float' } },
    });
    expect(saved.tagKey).toBe('rtu1/iec104/1/1001');
    // One information object feeds one variable, whatever kind it is read as.
    const duplicate = await errorOf(
      caller().connectors.saveMapping({
        tenantSlug,
        connectorId,
        variableId: chp,
        sourceId: 'rtu1',
        address: { iec104: { ca: 1, ioa: 1001, type: 'scaled' } },
      }),
    );
    expect(duplicate.code).toBe('CONFLICT');

    const file = await caller().connectors.downloadConfig({ tenantSlug, connectorId });
    const document = parse(file.yaml) as {
      sources: Array<{ id: string }>;
      tags: Array<{ source: string; binding: string }>;
    };
    expect(document.sources.find((s) => s.id === 'rtu1')).toEqual({
      ...rtu,
      originatorAddress: 0,
      t0Ms: 30_000,
      t3Ms: 20_000,
      counterInterrogationIntervalMs: 0,
      clockSyncIntervalMs: 0,
    });
    expect(document.tags.find((tag) => tag.source === 'rtu1')).toEqual({
      source: 'rtu1',
      binding: wht,
      point: 'RUB-001',
      variable: 'wellhead_temperature',
      unit: 'degF',
      scale: 1,
      offset: 0,
      iec104: { ca: 1, ioa: 1001, type: 'float' },
    });
    // The real connector's loader accepts it (an iec104 tag on an iec104 source).
    const checked = parseConfig(file.yaml);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    expect(checked.config.tags.find((tag) => tag.binding === wht)?.iec104).toEqual({
      ca: 1,
      ioa: 1001,
      type: 'float',
    });

    // The same file imported back changes nothing.
    expect(
      await caller().connectors.importConfig({ tenantSlug, connectorId, yaml: file.yaml }),
    ).toEqual({ sources: 2, tags: 3 });
    const detail = await caller().connectors.detail({ tenantSlug, connectorId });
    expect(detail.sources.find((s) => s.id === 'rtu1')).toEqual(
      document.sources.find((s) => s.id === 'rtu1'),
    );
    expect(detail.mappings.find((m) => m.variableId === wht)).toMatchObject({
      tagKey: 'rtu1/iec104/1/1001',
      address: { iec104: { ca: 1, ioa: 1001, type: 'float' } },
    });
  });

  it('audits every change with who, before and after', async () => {
    const { db } = testDb();
    await caller().config.updateSite({
      tenantSlug: acme.slug,
      siteId,
      site: { code: 'CPF-RUBI', name: 'CPF Rubí Norte', fieldName: 'Rubí' },
    });
    const chain = await db.withTenant(acme.id, (tx) => readAuditChain(tx, tenantTables.auditLog));
    const actions = chain.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'site.created',
        'point.created',
        'variable.added',
        'connector_source.created',
        'tag_mapping.created',
        'tag_mapping.updated',
        'tag_mapping.imported',
        'site.updated',
      ]),
    );
    const changes = chain.filter((e) => !e.action.startsWith('tenant.'));
    expect(changes.map((e) => e.actor)).toEqual(changes.map(() => `user:${engineer.id}`));
    const update = chain.find((e) => e.action === 'site.updated')!;
    const data = update.data as { before: { name: string }; after: { name: string } };
    expect(data.before.name).toBe('CPF Rubí');
    expect(data.after.name).toBe('CPF Rubí Norte');
    // Refused changes leave no entry.
    expect(actions.filter((a) => a === 'site.created')).toHaveLength(1);
  });
});
