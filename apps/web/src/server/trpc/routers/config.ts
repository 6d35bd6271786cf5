import { z } from 'zod';
import { fieldConfig, tenantTables } from '@anh/db';
import { VARIABLES } from '@anh/domain/catalog';
import { POINT_KINDS } from '@anh/domain/tenancy';
import { eq } from 'drizzle-orm';
import { createTRPCRouter, tenantProcedure } from '../init';

/**
 * Configuring the field: sites, measurement points and the catalog variables each point
 * measures. The rules (catalog, units, unique codes) and the audit live in
 * @anh/db field-config; these procedures only name who may call them.
 */
const code = z
  .string()
  .trim()
  .toUpperCase()
  .regex(
    /^[A-Z0-9][A-Z0-9_.-]{0,29}$/,
    'Código: letras, números, - _ . (máx. 30) / code: letters, digits, - _ . (max 30)',
  );
const optionalText = z.string().trim().max(120).nullish();

export const siteInputSchema = z.object({
  code,
  name: z.string().trim().min(2, 'Escriba el nombre / enter a name').max(120),
  fieldName: z.string().trim().min(2, 'Escriba el campo / enter the field').max(120),
  contract: optionalText,
  department: optionalText,
  municipality: optionalText,
  // Colombia lies within these (with its islands): a sign slip is caught here.
  latitude: z.number().min(-5).max(16).nullish(),
  longitude: z.number().min(-82).max(-66).nullish(),
  atmosphericPressurePsia: z.number().min(8).max(15).nullish(),
});

const pointInputSchema = z.object({
  code,
  name: z.string().trim().min(2, 'Escriba el nombre / enter a name').max(120),
  kind: z.enum(POINT_KINDS),
  latitude: z.number().min(-5).max(16).nullish(),
  longitude: z.number().min(-82).max(-66).nullish(),
});

const who = (userId: string) => ({ actor: `user:${userId}` });

export const configRouter = createTRPCRouter({
  /** The variable catalog: what a point of each kind can measure, in which units. */
  catalog: tenantProcedure('config.catalog').query(() =>
    VARIABLES.map((v) => ({
      code: v.code,
      name: v.name,
      pointKind: v.pointKind,
      kind: v.kind,
      canonicalUnit: v.canonicalUnit,
      inputUnits: [...v.inputUnits],
    })),
  ),

  /** Every variable of the tenant with its point and site (the mapping screen's rows). */
  variables: tenantProcedure('config.variables').query(({ ctx }) =>
    ctx.withTenant((tx) =>
      tx
        .select({
          id: tenantTables.variables.id,
          code: tenantTables.variables.code,
          unit: tenantTables.variables.unit,
          expectedPerSlot: tenantTables.variables.expectedPerSlot,
          pointId: tenantTables.measurementPoints.id,
          pointCode: tenantTables.measurementPoints.code,
          pointKind: tenantTables.measurementPoints.kind,
          siteCode: tenantTables.sites.code,
        })
        .from(tenantTables.variables)
        .innerJoin(
          tenantTables.measurementPoints,
          eq(tenantTables.measurementPoints.id, tenantTables.variables.pointId),
        )
        .innerJoin(
          tenantTables.sites,
          eq(tenantTables.sites.id, tenantTables.measurementPoints.siteId),
        )
        .orderBy(
          tenantTables.sites.code,
          tenantTables.measurementPoints.code,
          tenantTables.variables.code,
        ),
    ),
  ),

  createSite: tenantProcedure('config.createSite')
    .input(z.object({ site: siteInputSchema }))
    .mutation(({ ctx, input }) =>
      ctx.withTenant((tx) => fieldConfig.createSite(tx, who(ctx.userId), input.site)),
    ),

  updateSite: tenantProcedure('config.updateSite')
    .input(z.object({ siteId: z.uuid(), site: siteInputSchema }))
    .mutation(({ ctx, input }) =>
      ctx.withTenant((tx) => fieldConfig.updateSite(tx, who(ctx.userId), input.siteId, input.site)),
    ),

  createPoint: tenantProcedure('config.createPoint')
    .input(z.object({ siteId: z.uuid(), point: pointInputSchema }))
    .mutation(({ ctx, input }) =>
      ctx.withTenant((tx) =>
        fieldConfig.createPoint(tx, who(ctx.userId), { siteId: input.siteId, ...input.point }),
      ),
    ),

  updatePoint: tenantProcedure('config.updatePoint')
    .input(z.object({ pointId: z.uuid(), point: pointInputSchema }))
    .mutation(({ ctx, input }) =>
      ctx.withTenant((tx) =>
        fieldConfig.updatePoint(tx, who(ctx.userId), input.pointId, input.point),
      ),
    ),

  addVariable: tenantProcedure('config.addVariable')
    .input(
      z.object({
        pointId: z.uuid(),
        code: z.string().trim().min(1).max(64),
        unit: z.string().trim().min(1).max(32),
        expectedPerSlot: z.number().int().min(1).max(600).default(10),
        rolloverAt: z.number().positive().finite().nullish(),
      }),
    )
    .mutation(({ ctx, input }) =>
      ctx.withTenant((tx) =>
        fieldConfig.addVariable(tx, who(ctx.userId), {
          pointId: input.pointId,
          code: input.code,
          unit: input.unit,
          expectedPerSlot: input.expectedPerSlot,
          rolloverAt: input.rolloverAt ?? null,
        }),
      ),
    ),
});
