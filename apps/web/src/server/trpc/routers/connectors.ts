import { parseDocument, isMap } from 'yaml';
import { z } from 'zod';
import {
  createEnrollmentCode,
  fieldConfig,
  listConnectors,
  registerConnector,
  revokeConnector,
  type Database,
} from '@anh/db';
import { sourceSchema } from '@anh/domain/connector-config';
import { AppError } from '@anh/domain/errors';
import {
  buildConnectorConfig,
  readConnectorConfigForImport,
  tagAddressSchema,
} from '@anh/domain/tag-mapping';
import { createTRPCRouter, tenantProcedure } from '../init';
import { connectorConfigYaml } from '../../connector-file';

const who = (userId: string) => ({ actor: `user:${userId}` });

/** The connector if it is this tenant's (NOT_FOUND otherwise, as for any other id). */
async function requireConnector(db: Database, tenantId: string, connectorId: string) {
  const connector = (await listConnectors(db, tenantId)).find((c) => c.id === connectorId);
  if (!connector) throw new AppError('NOT_FOUND', 'Conector no encontrado / connector not found');
  return connector;
}

const connectorName = z
  .string()
  .trim()
  .min(2, 'Escriba un nombre (mín. 2) / enter a name (min 2)')
  .max(80);

export const connectorsRouter = createTRPCRouter({
  /** The company's connectors with their health and their latest batch. */
  list: tenantProcedure('connectors.list').query(async ({ ctx }) => {
    const connectors = await listConnectors(ctx.db, ctx.tenant.id);
    const latest = await ctx.db.withTenantClient(
      ctx.tenant.id,
      async (client) =>
        (
          await client.query<{ connector_id: string; at: Date; sequence: string; samples: string }>(
            `SELECT DISTINCT ON (connector_id) connector_id, received_at AS at,
                  connector_sequence AS sequence, sample_count AS samples
           FROM ingest_batches WHERE origin = 'connector'
           ORDER BY connector_id, seq DESC`,
          )
        ).rows,
    );
    const byId = new Map(latest.map((l) => [l.connector_id, l]));
    return connectors.map((c) => {
      const last = byId.get(c.id);
      return {
        ...c,
        lastBatch: last
          ? { at: last.at, sequence: Number(last.sequence), samples: Number(last.samples) }
          : null,
      };
    });
  }),

  /** A connector known before anyone is on site: its mapping can be prepared at once. */
  register: tenantProcedure('connectors.register')
    .input(z.object({ name: connectorName }))
    .mutation(({ ctx, input }) =>
      registerConnector(ctx.db, ctx.tenant.id, {
        name: input.name,
        createdBy: ctx.userId,
        actor: `user:${ctx.userId}`,
      }),
    ),

  /** A one-time code to type into `anh-connector enroll` on site; shown once. */
  createEnrollmentCode: tenantProcedure('connectors.createEnrollmentCode')
    .input(z.object({ connectorName, connectorId: z.uuid().optional() }))
    .mutation(({ ctx, input }) =>
      createEnrollmentCode(ctx.db, ctx.tenant.id, {
        connectorName: input.connectorName,
        createdBy: ctx.userId,
        nowMs: Date.now(),
        ...(input.connectorId ? { connectorId: input.connectorId } : {}),
      }),
    ),

  /** A revoked connector's uploads are refused (within a minute: credentials are cached). */
  revoke: tenantProcedure('connectors.revoke')
    .input(z.object({ connectorId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      await revokeConnector(ctx.db, ctx.tenant.id, input.connectorId, {
        actor: `user:${ctx.userId}`,
        nowMs: Date.now(),
      });
      return { revoked: true };
    }),

  /** One connector's sources and tag mapping. */
  detail: tenantProcedure('connectors.detail')
    .input(z.object({ connectorId: z.uuid() }))
    .query(async ({ ctx, input }) => {
      const connector = await requireConnector(ctx.db, ctx.tenant.id, input.connectorId);
      const { sources, mappings } = await ctx.withTenant(async (tx) => ({
        sources: await fieldConfig.listSources(tx, input.connectorId),
        mappings: await fieldConfig.listMappings(tx),
      }));
      return { connector, sources, mappings };
    }),

  saveSource: tenantProcedure('connectors.saveSource')
    .input(z.object({ connectorId: z.uuid(), source: sourceSchema }))
    .mutation(async ({ ctx, input }) => {
      await requireConnector(ctx.db, ctx.tenant.id, input.connectorId);
      await ctx.withTenant((tx) =>
        fieldConfig.saveSource(tx, who(ctx.userId), input.connectorId, input.source),
      );
      return { saved: true };
    }),

  saveMapping: tenantProcedure('connectors.saveMapping')
    .input(
      z.object({
        connectorId: z.uuid(),
        variableId: z.uuid(),
        sourceId: z.string().min(1).max(40),
        address: tagAddressSchema,
        scale: z.number().finite().default(1),
        offset: z.number().finite().default(0),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await requireConnector(ctx.db, ctx.tenant.id, input.connectorId);
      const row = await ctx.withTenant((tx) =>
        fieldConfig.saveMapping(tx, who(ctx.userId), {
          connectorId: input.connectorId,
          variableId: input.variableId,
          sourceId: input.sourceId,
          address: input.address,
          scale: input.scale,
          offset: input.offset,
        }),
      );
      return { tagKey: row.tagKey };
    }),

  removeMapping: tenantProcedure('connectors.removeMapping')
    .input(z.object({ variableId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.withTenant((tx) =>
        fieldConfig.removeMapping(tx, who(ctx.userId), input.variableId),
      );
      return { removed: true };
    }),

  /**
   * The connector's configuration file, pre-filled: cloud URL, its id, sources and tags.
   * For a connector not yet enrolled it carries a fresh one-time enrollment code (24 h) in
   * its header, so the file is all a technician needs on site.
   */
  downloadConfig: tenantProcedure('connectors.downloadConfig')
    .input(z.object({ connectorId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      const connector = await requireConnector(ctx.db, ctx.tenant.id, input.connectorId);
      if (connector.revokedAt)
        throw new AppError('CONFLICT', 'El conector está revocado / the connector is revoked');
      const { sources, mappings } = await ctx.withTenant(async (tx) => ({
        sources: await fieldConfig.listSources(tx, input.connectorId),
        mappings: await fieldConfig.listMappings(tx, input.connectorId),
      }));
      const enrollment =
        connector.enrolledAt === null
          ? await createEnrollmentCode(ctx.db, ctx.tenant.id, {
              connectorName: connector.name,
              connectorId: connector.id,
              createdBy: ctx.userId,
              nowMs: Date.now(),
            })
          : null;
      const config = buildConnectorConfig({
        connectorId: connector.id,
        cloudUrl: ctx.appUrl ?? 'http://127.0.0.1:3000',
        sources,
        mappings,
      });
      return {
        fileName: `anh-connector-${ctx.tenant.slug}-${connector.name
          .toLowerCase()
          .normalize('NFD')
          .replace(/\p{M}/gu, '')
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '')}.yaml`,
        yaml: connectorConfigYaml(config, {
          tenantName: ctx.tenant.legalName,
          connectorName: connector.name,
          enrollment,
        }),
        enrollmentCode: enrollment?.code ?? null,
        tags: mappings.length,
      };
    }),

  /** Replaces the connector's sources and mapping with those of a configuration file. */
  importConfig: tenantProcedure('connectors.importConfig')
    .input(z.object({ connectorId: z.uuid(), yaml: z.string().min(1).max(2_000_000) }))
    .mutation(async ({ ctx, input }) => {
      await requireConnector(ctx.db, ctx.tenant.id, input.connectorId);
      const document = parseDocument(input.yaml, { prettyErrors: false });
      if (document.errors.length > 0 || !isMap(document.contents)) {
        const first = document.errors[0];
        const line = first?.linePos?.[0]?.line;
        throw new AppError(
          'VALIDATION',
          `El archivo no es YAML válido${line ? ` (línea ${line})` : ''} / the file is not valid YAML${line ? ` (line ${line})` : ''}`,
          { details: { field: 'yaml' } },
        );
      }
      const raw: unknown = document.toJS();
      const fileConnectorId = (raw as { connector?: { id?: unknown } }).connector?.id;
      if (fileConnectorId !== undefined && fileConnectorId !== input.connectorId)
        throw new AppError(
          'VALIDATION',
          'El archivo es de otro conector (connector.id) / the file belongs to another connector',
          { details: { field: 'connector.id' } },
        );
      const imported = readConnectorConfigForImport(raw);
      return ctx.withTenant((tx) =>
        fieldConfig.importConnectorMapping(tx, who(ctx.userId), input.connectorId, imported),
      );
    }),
});
