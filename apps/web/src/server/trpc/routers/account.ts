import { z } from 'zod';
import { signUpCompany } from '@anh/db';
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
      return { tenantSlug: tenant.slug };
    }),
});
