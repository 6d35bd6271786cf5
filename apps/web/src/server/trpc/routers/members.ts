import { z } from 'zod';
import { changeMemberRole, inviteMember, listMembers, revokeInvitation } from '@anh/db';
import { MEMBER_ROLES } from '@anh/domain/tenancy';
import { createTRPCRouter, tenantProcedure } from '../init';

const ROLE_NAMES = {
  admin: 'Administrador / Administrator',
  engineer: 'Ingeniero de producción / Production engineer',
  operator: 'Operador de campo / Field operator',
  auditor: 'Auditor / Auditor',
} as const;

export const membersRouter = createTRPCRouter({
  /** Members with their roles, and invitations not yet accepted. */
  list: tenantProcedure('members.list').query(({ ctx }) => listMembers(ctx.db, ctx.tenant.id)),

  /**
   * Invites a person by e-mail with a role. The link goes by e-mail; without an SMTP
   * server configured it is returned to the admin to pass on by hand.
   */
  invite: tenantProcedure('members.invite')
    .input(
      z.object({
        email: z.email('Correo no válido / invalid e-mail').max(254),
        role: z.enum(MEMBER_ROLES),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const invitation = await inviteMember(ctx.db, ctx.tenant.id, {
        email: input.email,
        role: input.role,
        invitedBy: ctx.userId,
        nowMs: Date.now(),
      });
      const link = `${ctx.appUrl ?? ''}/invitacion/${invitation.token}`;
      if (ctx.mailer) {
        await ctx.mailer.send({
          to: input.email,
          subject: `Invitación a ${ctx.tenant.legalName} — ANH Smart Reporter / Invitation`,
          text: [
            `Le invitaron a ${ctx.tenant.legalName} en ANH Smart Reporter con el rol ${ROLE_NAMES[input.role]}.`,
            `Acepte con este enlace (vale 7 días): ${link}`,
            '',
            `You were invited to ${ctx.tenant.legalName} on ANH Smart Reporter. Accept with the link above (valid 7 days).`,
          ].join('\n'),
        });
        return { invitationId: invitation.invitationId, emailed: true, link: null };
      }
      return { invitationId: invitation.invitationId, emailed: false, link };
    }),

  revokeInvitation: tenantProcedure('members.revokeInvitation')
    .input(z.object({ invitationId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      await revokeInvitation(ctx.db, ctx.tenant.id, input.invitationId, {
        actor: `user:${ctx.userId}`,
        nowMs: Date.now(),
      });
      return { revoked: true };
    }),

  changeRole: tenantProcedure('members.changeRole')
    .input(z.object({ userId: z.uuid(), role: z.enum(MEMBER_ROLES) }))
    .mutation(async ({ ctx, input }) => {
      await changeMemberRole(ctx.db, ctx.tenant.id, {
        userId: input.userId,
        role: input.role,
        actor: `user:${ctx.userId}`,
      });
      return { changed: true };
    }),

  remove: tenantProcedure('members.remove')
    .input(z.object({ userId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      await changeMemberRole(ctx.db, ctx.tenant.id, {
        userId: input.userId,
        role: null,
        actor: `user:${ctx.userId}`,
      });
      return { removed: true };
    }),
});
