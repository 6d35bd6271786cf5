import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { z } from 'zod';
import { findMembership, type Database, type Membership, type TenantTx } from '@anh/db';
import { isAppError } from '@anh/domain/errors';
import { slugSchema, type MemberRole } from '@anh/domain/tenancy';
import type { KeyRing } from '@anh/domain/secret-box';
import { rolesFor, type TenantProcedureName } from './permissions';
import { forgetAccessChecks, membershipChecks } from '../access-cache';
import type { Mailer } from '../mail';

export interface Context {
  db: Database;
  /** The signed-in user's id, or null. Verified by next-auth before it gets here. */
  userId: string | null;
  /** Tells the worker a tenant has new readings (absent: the worker's sweep finds them). */
  wakePipeline?: (tenantId: string) => Promise<void>;
  /** Readings older than this many months are refused (default 60, the ANH's five years). */
  retentionMonths?: number;
  /** Sends a report now (absent: the next 06:00 run or catch-up sends it). */
  wakeDelivery?: (tenantId: string, reportId: string) => Promise<void>;
  /** Retrains a point's anomaly models now (absent: the monthly retraining does it). */
  requestRetrain?: (tenantId: string, pointId: string) => Promise<void>;
  /** Keys for delivery credentials (SECRETS_KEYRING); null: they cannot be saved or opened. */
  ring?: KeyRing | null;
  /** The caller's address (first x-forwarded-for hop), for rate limits. */
  clientAddress?: string;
  /** Outgoing e-mail (absent: no SMTP configured; links are not sent). */
  mailer?: Mailer;
  /** Public URL of the app, for links in e-mails. */
  appUrl?: string;
  /** How long dashboard reads stay fresh in memory (DASHBOARD_FRESH_SECONDS; default 30). */
  dashboardFreshSeconds?: number;
  /** The live-alert gateway and the secret of its tokens (absent: no live alerts). */
  live?: { url: string; secret: string } | null;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  // Input problems travel as a list (path + message, each message `español / English`),
  // so a form can show every one in the user's language.
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        issues:
          cause instanceof z.ZodError
            ? cause.issues.map((issue) => ({
                path: issue.path.map(String).join('.'),
                message: issue.message,
              }))
            : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Every AppError leaves as the tRPC code its error code maps to; other errors stay INTERNAL. */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isAppError(result.error.cause)) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.trpcCode, message: cause.message, cause });
  }
  return result;
});

/**
 * Text PostgreSQL cannot store — a NUL character, or half of a UTF-16 surrogate pair
 * (invalid in jsonb, where audit entries keep it) — is refused at the door with a typed
 * error, before any procedure reads its input. Found by the input fuzzing.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function unstorableTextAt(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string')
    return value.includes('\u0000') || LONE_SURROGATE.test(value) ? path || '(input)' : null;
  if (typeof value !== 'object' || value === null || depth > 64) return null;
  for (const [key, inner] of Object.entries(value)) {
    const found =
      unstorableTextAt(key, path, depth + 1) ??
      unstorableTextAt(inner, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return null;
}

const storableText = t.middleware(async ({ getRawInput, next }) => {
  const at = unstorableTextAt(await getRawInput(), '');
  if (at)
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `Texto con caracteres no válidos en ${at} / text with invalid characters in ${at}`,
    });
  return next();
});

/** A change made through this process is seen by the next request here (access-cache.ts). */
const forgetAccessAfterMutations = t.middleware(async ({ type, path, next }) => {
  const result = await next();
  if (type === 'mutation' && !CHANGES_NOTHING.has(path)) forgetAccessChecks();
  return result;
});

/** Mutations only so that no cache keeps their answer; they change no access. */
const CHANGES_NOTHING = new Set(['live.connect']);

export const publicProcedure = t.procedure
  .use(appErrors)
  .use(storableText)
  .use(forgetAccessAfterMutations);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.userId)
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Inicie sesión / sign in' });
  return next({ ctx: { ...ctx, userId: ctx.userId } });
});

/**
 * The one gate to tenant data. The tenant named by the client is unverified until here:
 * it must exist, be active, and the user must be a member with one of `roles`. Anyone
 * else gets NOT_FOUND (not FORBIDDEN), so the answer does not reveal that it exists.
 * Procedures then reach tenant data only through `ctx.withTenant`.
 */
export function tenantProcedure(name: TenantProcedureName) {
  const roles: readonly MemberRole[] = rolesFor(name);
  return protectedProcedure
    .input(z.object({ tenantSlug: slugSchema }))
    .use(async ({ ctx, input, next }) => {
      const membership = await membershipChecks<Membership | null>().get(
        `${ctx.userId}|${input.tenantSlug}`,
        () => findMembership(ctx.db, ctx.userId, input.tenantSlug),
        (found) => found !== null,
      );
      if (!membership)
        throw new TRPCError({
          code: 'NOT_FOUND',
          message: 'Empresa no encontrada / tenant not found',
        });
      if (!roles.includes(membership.role)) {
        throw new TRPCError({
          code: 'FORBIDDEN',
          message: `Requiere rol / requires role: ${roles.join(', ')}`,
        });
      }
      const db = ctx.db;
      return next({
        ctx: {
          ...ctx,
          tenant: membership,
          withTenant: <T>(work: (tx: TenantTx) => Promise<T>) => db.withTenant(membership.id, work),
        },
      });
    });
}
