import { z } from 'zod';
import { acceptInvitation, listMemberships, userSecurity } from '@anh/db';
import { AppError } from '@anh/domain/errors';
import type { KeyRing } from '@anh/domain/secret-box';
import { createTRPCRouter, protectedProcedure } from '../init';

function requireRing(ring: KeyRing | null | undefined): KeyRing {
  if (!ring)
    throw new AppError(
      'UNAVAILABLE',
      'La verificación en dos pasos no está disponible en este servidor / two-step verification is not available on this server',
    );
  return ring;
}

const totpCode = z.object({
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'El código tiene 6 dígitos / the code has 6 digits'),
});

/** The signed-in person: companies, language, second factor, sessions, invitations. */
export const meRouter = createTRPCRouter({
  /** The active tenants the signed-in user belongs to, with the role held in each. */
  tenants: protectedProcedure.query(async ({ ctx }) =>
    (await listMemberships(ctx.db, ctx.userId)).map(({ slug, legalName, role }) => ({
      slug,
      legalName,
      role,
    })),
  ),

  profile: protectedProcedure.query(({ ctx }) => userSecurity.profile(ctx.db, ctx.userId)),

  setLocale: protectedProcedure
    .input(z.object({ locale: z.enum(['es-CO', 'en']) }))
    .mutation(async ({ ctx, input }) => {
      await userSecurity.setLocale(ctx.db, ctx.userId, input.locale);
      return { locale: input.locale };
    }),

  /** Starts two-step verification: a secret to scan; required at sign-in once confirmed. */
  totpSetup: protectedProcedure.mutation(({ ctx }) =>
    userSecurity.startTotpSetup(ctx.db, ctx.userId, requireRing(ctx.ring)),
  ),

  totpEnable: protectedProcedure.input(totpCode).mutation(async ({ ctx, input }) => {
    await userSecurity.enableTotp(
      ctx.db,
      ctx.userId,
      input.code,
      requireRing(ctx.ring),
      Date.now(),
    );
    return { enabled: true };
  }),

  totpDisable: protectedProcedure.input(totpCode).mutation(async ({ ctx, input }) => {
    await userSecurity.disableTotp(
      ctx.db,
      ctx.userId,
      input.code,
      requireRing(ctx.ring),
      Date.now(),
    );
    return { enabled: false };
  }),

  /** Ends every session of this user, this one included. */
  signOutEverywhere: protectedProcedure.mutation(async ({ ctx }) => {
    await userSecurity.revokeSessions(ctx.db, ctx.userId, Date.now());
    return { revoked: true };
  }),

  /** Accepts an invitation addressed to the signed-in user's e-mail. */
  acceptInvitation: protectedProcedure
    .input(z.object({ token: z.string().min(20).max(100) }))
    .mutation(({ ctx, input }) =>
      acceptInvitation(ctx.db, input.token, { userId: ctx.userId }, Date.now()),
    ),
});
