import { tenantTables } from '@anh/db';
import { createTRPCRouter, tenantProcedure } from '../init';

export const fieldRouter = createTRPCRouter({
  /** Sites of the tenant with their measurement points and how many variables each has. */
  overview: tenantProcedure('field.overview').query(async ({ ctx }) => {
    const { sites, points, variables } = await ctx.withTenant(async (tx) => ({
      sites: await tx.select().from(tenantTables.sites).orderBy(tenantTables.sites.code),
      points: await tx
        .select()
        .from(tenantTables.measurementPoints)
        .orderBy(tenantTables.measurementPoints.code),
      variables: await tx
        .select({ pointId: tenantTables.variables.pointId })
        .from(tenantTables.variables),
    }));
    const variableCount = new Map<string, number>();
    for (const v of variables)
      variableCount.set(v.pointId, (variableCount.get(v.pointId) ?? 0) + 1);
    return {
      tenant: { slug: ctx.tenant.slug, legalName: ctx.tenant.legalName, role: ctx.tenant.role },
      sites: sites.map((site) => ({
        id: site.id,
        code: site.code,
        name: site.name,
        fieldName: site.fieldName,
        points: points
          .filter((p) => p.siteId === site.id)
          .map((p) => ({
            id: p.id,
            code: p.code,
            name: p.name,
            kind: p.kind,
            variables: variableCount.get(p.id) ?? 0,
          })),
      })),
    };
  }),
});
