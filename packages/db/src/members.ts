import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { AppError } from '@anh/domain/errors';
import { hashPassword } from '@anh/domain/passwords';
import { generateToken, sha256Hex } from '@anh/domain/secrets';
import type { MemberRole } from '@anh/domain/tenancy';
import type { Database } from './client';
import { appendTenantAudit } from './audit-store';
import { invitations, memberships, tenants, users } from './schema/control';

/**
 * The people of a company: members with their roles, and invitations by e-mail (a
 * one-time token, only its SHA-256 stored, valid 7 days). Membership rows live in the
 * control schema; each change is written to the tenant's own audit log (who, what,
 * before and after), so the company's trail tells who let whom in.
 */
const INVITATION_LIFETIME_MS = 7 * 86_400_000;

async function auditMembers(
  db: Database,
  tenantId: string,
  event: { actor: string; action: string; entityId: string; before: unknown; after: unknown },
): Promise<void> {
  await db.withTenant(tenantId, (tx) =>
    appendTenantAudit(tx, {
      actor: event.actor,
      action: event.action,
      entity: 'member',
      entityId: event.entityId,
      data: { before: event.before ?? null, after: event.after ?? null },
    }),
  );
}

export interface MemberRow {
  userId: string;
  email: string;
  name: string | null;
  role: MemberRole;
  since: Date;
  totpEnabled: boolean;
}

export async function listMembers(db: Database, tenantId: string) {
  const members: MemberRow[] = (
    await db.control
      .select({
        userId: users.id,
        email: users.email,
        name: users.name,
        role: memberships.role,
        since: memberships.createdAt,
        totpEnabledAt: users.totpEnabledAt,
      })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.tenantId, tenantId))
      .orderBy(users.email)
  ).map(({ totpEnabledAt, ...m }) => ({ ...m, totpEnabled: totpEnabledAt !== null }));
  const pending = await db.control
    .select({
      id: invitations.id,
      email: invitations.email,
      role: invitations.role,
      expiresAt: invitations.expiresAt,
      createdAt: invitations.createdAt,
    })
    .from(invitations)
    .where(
      and(
        eq(invitations.tenantId, tenantId),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, new Date()),
      ),
    )
    .orderBy(invitations.createdAt);
  return { members, invitations: pending };
}

/** An invitation; the token (for the e-mailed link) is returned once. */
export async function inviteMember(
  db: Database,
  tenantId: string,
  input: { email: string; role: MemberRole; invitedBy: string; nowMs: number },
): Promise<{ token: string; invitationId: string; expiresAt: Date }> {
  const email = input.email.trim().toLowerCase();
  const [already] = await db.control
    .select({ userId: memberships.userId })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.tenantId, tenantId), eq(sql`lower(${users.email})`, email)));
  if (already)
    throw new AppError(
      'CONFLICT',
      `${email} ya es miembro de la empresa / ${email} is already a member`,
      { details: { field: 'email' } },
    );
  const token = generateToken(32);
  const expiresAt = new Date(input.nowMs + INVITATION_LIFETIME_MS);
  const [row] = await db.control
    .insert(invitations)
    .values({
      tenantId,
      email,
      role: input.role,
      tokenHash: sha256Hex(token),
      invitedBy: input.invitedBy,
      expiresAt,
    })
    .returning({ id: invitations.id });
  await auditMembers(db, tenantId, {
    actor: `user:${input.invitedBy}`,
    action: 'member.invited',
    entityId: row!.id,
    before: null,
    after: { email, role: input.role, expiresAt: expiresAt.toISOString() },
  });
  return { token, invitationId: row!.id, expiresAt };
}

export async function revokeInvitation(
  db: Database,
  tenantId: string,
  invitationId: string,
  input: { actor: string; nowMs: number },
): Promise<void> {
  const [row] = await db.control
    .update(invitations)
    .set({ revokedAt: new Date(input.nowMs) })
    .where(
      and(
        eq(invitations.id, invitationId),
        eq(invitations.tenantId, tenantId),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
      ),
    )
    .returning({ email: invitations.email, role: invitations.role });
  if (!row) throw new AppError('NOT_FOUND', 'Invitación no encontrada / invitation not found');
  await auditMembers(db, tenantId, {
    actor: input.actor,
    action: 'member.invitation_revoked',
    entityId: invitationId,
    before: row,
    after: null,
  });
}

/** What an invitation link shows before it is accepted (NOT_FOUND when unusable). */
export async function describeInvitation(db: Database, token: string, nowMs: number) {
  const [row] = await db.control
    .select({
      id: invitations.id,
      tenantId: invitations.tenantId,
      email: invitations.email,
      role: invitations.role,
      legalName: tenants.legalName,
      slug: tenants.slug,
      hasAccount: sql<boolean>`exists (select 1 from ${users} where lower(${users.email}) = ${invitations.email})`,
    })
    .from(invitations)
    .innerJoin(tenants, eq(tenants.id, invitations.tenantId))
    .where(
      and(
        eq(invitations.tokenHash, sha256Hex(token)),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, new Date(nowMs)),
        eq(tenants.status, 'active'),
      ),
    );
  if (!row)
    throw new AppError(
      'NOT_FOUND',
      'La invitación no es válida, ya se usó o venció / the invitation is invalid, used or expired',
    );
  return row;
}

/**
 * Accepts an invitation. A signed-in user must be the invited address; someone without
 * an account creates it here (name and password), and the link proves the address.
 */
export async function acceptInvitation(
  db: Database,
  token: string,
  who: { userId: string } | { name: string; password: string },
  nowMs: number,
): Promise<{ tenantSlug: string; userId: string }> {
  const invitation = await describeInvitation(db, token, nowMs);
  const passwordHash = 'password' in who ? await hashPassword(who.password) : null;
  const userId = await db.control.transaction(async (tx) => {
    const [claimed] = await tx
      .update(invitations)
      .set({ acceptedAt: new Date(nowMs) })
      .where(and(eq(invitations.id, invitation.id), isNull(invitations.acceptedAt)))
      .returning({ id: invitations.id });
    if (!claimed)
      throw new AppError('NOT_FOUND', 'La invitación ya se usó / invitation already used');
    let id: string;
    if ('userId' in who) {
      const [user] = await tx
        .select({ email: users.email })
        .from(users)
        .where(eq(users.id, who.userId));
      if (!user || user.email.toLowerCase() !== invitation.email)
        throw new AppError(
          'FORBIDDEN',
          `La invitación es para ${invitation.email}; inicie sesión con esa cuenta / the invitation is for ${invitation.email}`,
        );
      id = who.userId;
    } else {
      if (invitation.hasAccount)
        throw new AppError(
          'CONFLICT',
          'Ya existe una cuenta con ese correo: inicie sesión para aceptar / an account exists: sign in to accept',
        );
      const [created] = await tx
        .insert(users)
        .values({
          email: invitation.email,
          name: who.name,
          passwordHash,
          emailVerified: new Date(nowMs),
        })
        .returning({ id: users.id });
      id = created!.id;
    }
    await tx
      .insert(memberships)
      .values({ tenantId: invitation.tenantId, userId: id, role: invitation.role })
      .onConflictDoNothing();
    return id;
  });
  await auditMembers(db, invitation.tenantId, {
    actor: `user:${userId}`,
    action: 'member.joined',
    entityId: userId,
    before: null,
    after: { email: invitation.email, role: invitation.role },
  });
  return { tenantSlug: invitation.slug, userId };
}

/** Changes a member's role; the company always keeps at least one admin. */
export async function changeMemberRole(
  db: Database,
  tenantId: string,
  input: { userId: string; role: MemberRole | null; actor: string },
): Promise<void> {
  const before = await db.control.transaction(async (tx) => {
    // Serialises role changes of one company: two admins demoting each other at once
    // cannot leave it without one.
    await tx.execute(sql`SELECT 1 FROM ${tenants} WHERE ${tenants.id} = ${tenantId} FOR UPDATE`);
    const [current] = await tx
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, input.userId)));
    if (!current) throw new AppError('NOT_FOUND', 'Miembro no encontrado / member not found');
    if (current.role === 'admin' && input.role !== 'admin') {
      const [{ admins } = { admins: 0 }] = await tx
        .select({ admins: sql<number>`count(*)::int` })
        .from(memberships)
        .where(and(eq(memberships.tenantId, tenantId), eq(memberships.role, 'admin')));
      if (admins <= 1)
        throw new AppError(
          'CONFLICT',
          'La empresa debe conservar al menos un administrador / the company must keep at least one admin',
        );
    }
    if (input.role === null)
      await tx
        .delete(memberships)
        .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, input.userId)));
    else
      await tx
        .update(memberships)
        .set({ role: input.role })
        .where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, input.userId)));
    return current;
  });
  await auditMembers(db, tenantId, {
    actor: input.actor,
    action: input.role === null ? 'member.removed' : 'member.role_changed',
    entityId: input.userId,
    before,
    after: input.role === null ? null : { role: input.role },
  });
}
