import { z } from 'zod';
import { fieldConfig } from '@anh/db';
import { createTRPCRouter, tenantProcedure } from '../init';

const hour = z.number().int().min(0).max(23).nullable();

const recipientSchema = z
  .discriminatedUnion('channel', [
    z.object({
      channel: z.literal('email'),
      address: z.email('Correo no válido / invalid e-mail').max(254),
    }),
    z.object({
      channel: z.literal('sms'),
      address: z
        .string()
        .trim()
        .regex(
          /^\+[1-9]\d{7,14}$/,
          'Teléfono en formato internacional, p. ej. +573001234567 / phone in E.164, e.g. +573001234567',
        ),
    }),
  ])
  .and(
    z.object({
      name: z.string().trim().min(2, 'Escriba un nombre / enter a name').max(120),
      minSeverity: z.enum(['info', 'warning', 'critical']).default('warning'),
      quietFromHour: hour.default(null),
      quietToHour: hour.default(null),
      enabled: z.boolean().default(true),
    }),
  )
  .refine((r) => (r.quietFromHour === null) === (r.quietToHour === null), {
    message: 'Indique inicio y fin del horario de silencio / give both quiet-hours ends',
    path: ['quietToHour'],
  });

const who = (userId: string) => ({ actor: `user:${userId}` });

/** Alert channels: who hears of alerts by e-mail or SMS, from which severity, and when not. */
export const alertsRouter = createTRPCRouter({
  recipients: tenantProcedure('alerts.recipients').query(({ ctx }) =>
    ctx.withTenant((tx) => fieldConfig.listRecipients(tx)),
  ),

  saveRecipient: tenantProcedure('alerts.saveRecipient')
    .input(z.object({ recipientId: z.uuid().nullable().default(null), recipient: recipientSchema }))
    .mutation(({ ctx, input }) =>
      ctx.withTenant((tx) =>
        fieldConfig.saveRecipient(tx, who(ctx.userId), input.recipientId, input.recipient),
      ),
    ),

  removeRecipient: tenantProcedure('alerts.removeRecipient')
    .input(z.object({ recipientId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.withTenant((tx) =>
        fieldConfig.removeRecipient(tx, who(ctx.userId), input.recipientId),
      );
      return { removed: true };
    }),
});
