import { and, eq, type SQL } from 'drizzle-orm';
import type { MemberRole } from '@anh/domain/tenancy';
import type { Database } from './client';
import { memberships, tenants } from './schema/control';

export interface Membership {
  id: string;
  slug: string;
  legalName: string;
  role: MemberRole;
}

function membershipsWhere(db: Database, where: SQL | undefined): Promise<Membership[]> {
  return db.control
    .select({
      id: tenants.id,
      slug: tenants.slug,
      legalName: tenants.legalName,
      role: memberships.role,
    })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(where)
    .orderBy(tenants.legalName);
}

/** The active tenants a user belongs to, with the role held in each. */
export function listMemberships(db: Database, userId: string): Promise<Membership[]> {
  return membershipsWhere(db, and(eq(memberships.userId, userId), eq(tenants.status, 'active')));
}

/** The user's membership in the active tenant with this slug, or null. */
export async function findMembership(
  db: Database,
  userId: string,
  tenantSlug: string,
): Promise<Membership | null> {
  const [found] = await membershipsWhere(
    db,
    and(eq(memberships.userId, userId), eq(tenants.slug, tenantSlug), eq(tenants.status, 'active')),
  );
  return found ?? null;
}
