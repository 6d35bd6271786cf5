import { z } from 'zod';
import {
  acceptInvitation,
  describeInvitation,
  issueAccountToken,
  resetPasswordWithToken,
  signUpCompany,
  userExists,
  verifyEmailWithToken,
} from '@anh/db';
import { AppError } from '@anh/domain/errors';
import { passwordSchema } from '@anh/domain/passwords';
import { RateLimiter } from '../../ingest/rate-limit';
import { createTRPCRouter, publicProcedure } from '../init';

/** Sign-ups per client address per minute: enough for an office behind one address. */
const SIGN_UPS_PER_MINUTE = 10;
const limiter = new RateLimiter();

export const signUpSchema = z.object({
  name: z.string().trim().min(2, 'Escriba su nombre / your name').max(120),
  email: z.email('Correo no válido / invalid e-mail').max(254),
  password: passwordSchema,
  locale: z.enum(['es-CO', 'en']).default('es-CO'),
  company: z.object({
    legalName: z.string().trim().min(2, 'Razón social / legal name').max(200),
    nit: z.string().trim().min(5).max(25),
    anhOperatorCode: z
      .string()
      .trim()
      .toUpperCase()
      .regex(
        /^[A-Z0-9][A-Z0-9_-]{1,19}$/,
        'Código de operador ANH no válido / invalid ANH operator code',
      ),
  }),
});

export const accountRouter = createTRPCRouter({
  /** A person creates an account and a company, and becomes its admin. */
  signUp: publicProcedure
    // Counted before the input is read: malformed attempts count too.
    .use(({ ctx, next }) => {
      const waitMs = limiter.take(
        `signup:${ctx.clientAddress ?? 'unknown'}`,
        SIGN_UPS_PER_MINUTE,
        Date.now(),
      );
      if (waitMs > 0)
        throw new AppError(
          'RATE_LIMITED',
          'Demasiados registros; intente en un minuto / too many sign-ups; retry in a minute',
        );
      return next();
    })
    .input(signUpSchema)
    .mutation(async ({ ctx, input }) => {
      const { tenant } = await signUpCompany(ctx.db, input);
      if (ctx.mailer) {
        const token = await issueAccountToken(ctx.db, 'verify', input.email, Date.now());
        await ctx.mailer.send({
          to: input.email,
          subject: 'Confirme su correo — ANH Smart Reporter / Confirm your e-mail',
          text: [
            `Hola ${input.name}:`,
            '',
            `Su empresa ${tenant.legalName} quedó registrada. Confirme su correo con este enlace (vale 3 días):`,
            `${ctx.appUrl ?? ''}/verificar?token=${token}`,
            '',
            `Your company ${tenant.legalName} is registered. Confirm your e-mail with the link above (valid 3 days).`,
          ].join('\n'),
        });
      }
      return { tenantSlug: tenant.slug };
    }),

  verifyEmail: publicProcedure
    .input(z.object({ token: z.string().min(20).max(100) }))
    .mutation(async ({ ctx, input }) => ({
      email: await verifyEmailWithToken(ctx.db, input.token, Date.now()),
    })),

  /** Always answers the same, whether the address has an account or not. */
  requestPasswordReset: publicProcedure
    .use(({ ctx, next }) => {
      if (limiter.take(`reset:${ctx.clientAddress ?? 'unknown'}`, 5, Date.now()) > 0)
        throw new AppError('RATE_LIMITED', 'Demasiadas solicitudes / too many requests');
      return next();
    })
    .input(z.object({ email: z.email().max(254) }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.mailer && (await userExists(ctx.db, input.email))) {
        const token = await issueAccountToken(ctx.db, 'reset', input.email, Date.now());
        await ctx.mailer.send({
          to: input.email,
          subject: 'Restablecer su contraseña — ANH Smart Reporter / Reset your password',
          text: [
            'Para elegir una contraseña nueva use este enlace (vale 1 hora):',
            `${ctx.appUrl ?? ''}/restablecer?token=${token}`,
            '',
            'To choose a new password use the link above (valid 1 hour). If you did not ask, ignore this e-mail.',
          ].join('\n'),
        });
      }
      return { sent: true };
    }),

  resetPassword: publicProcedure
    .input(z.object({ token: z.string().min(20).max(100), password: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      await resetPasswordWithToken(ctx.db, input.token, input.password, Date.now());
      return { reset: true };
    }),

  /** What an invitation link is for (company, role, address), before accepting it. */
  invitation: publicProcedure
    .input(z.object({ token: z.string().min(20).max(100) }))
    .query(async ({ ctx, input }) => {
      const invitation = await describeInvitation(ctx.db, input.token, Date.now());
      return {
        email: invitation.email,
        role: invitation.role,
        legalName: invitation.legalName,
        hasAccount: invitation.hasAccount,
      };
    }),

  /** Accepts an invitation by creating the account it is addressed to. */
  acceptInvitation: publicProcedure
    .input(
      z.object({
        token: z.string().min(20).max(100),
        name: z.string().trim().min(2, 'Escriba su nombre / your name').max(120),
        password: passwordSchema,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { tenantSlug } = await acceptInvitation(
        ctx.db,
        input.token,
        { name: input.name, password: input.password },
        Date.now(),
      );
      return { tenantSlug };
    }),
});
