import { listMemberships } from '@anh/db';
import { createTRPCRouter, protectedProcedure } from '../init';

export const meRouter = createTRPCRouter({
  /** The active tenants the signed-in user belongs to, with the role held in each. */
  tenants: protectedProcedure.query(async ({ ctx }) =>
    (await listMemberships(ctx.db, ctx.userId)).map(({ slug, legalName, role }) => ({
      slug,
      legalName,
      role,
    })),
  ),
});
