import { eq } from 'drizzle-orm';
import { controlTables } from '@anh/db';
import { createTRPCRouter, protectedProcedure } from '../init';

export const meRouter = createTRPCRouter({
  /** The tenants the signed-in user belongs to, with the role held in each. */
  tenants: protectedProcedure.query(({ ctx }) =>
    ctx.db.control
      .select({
        slug: controlTables.tenants.slug,
        legalName: controlTables.tenants.legalName,
        role: controlTables.memberships.role,
      })
      .from(controlTables.memberships)
      .innerJoin(
        controlTables.tenants,
        eq(controlTables.tenants.id, controlTables.memberships.tenantId),
      )
      .where(eq(controlTables.memberships.userId, ctx.userId))
      .orderBy(controlTables.tenants.legalName),
  ),
});
