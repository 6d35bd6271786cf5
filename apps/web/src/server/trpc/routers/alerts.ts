import { z } from 'zod';
import { fieldConfig } from '@anh/db';
import { getNotificationSettings, saveNotificationSettings } from '@anh/db/notifications';
import { escalateAfterMinutesSchema } from '@anh/domain/notify';
import { MEMBER_ROLES } from '@anh/domain/tenancy';
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
      /** Whose alerts (by the alert's audience); every role that acts on alerts by default. */
      roles: z
        .array(z.enum(MEMBER_ROLES))
        .min(1, 'Elija al menos un rol / choose at least one role')
        .max(MEMBER_ROLES.length)
        .transform((roles) => [...new Set(roles)])
        .default(['admin', 'engineer', 'operator']),
      /** Hears only escalations (alerts left unacknowledged too long). */
      escalationOnly: z.boolean().default(false),
    }),
  )
  .refine((r) => (r.quietFromHour === null) === (r.quietToHour === null), {
    message: 'Indique inicio y fin del horario de silencio / give both quiet-hours ends',
    path: ['quietToHour'],
  })
  .refine((r) => r.quietFromHour === null || r.quietFromHour !== r.quietToHour, {
    message:
      'El silencio debe empezar y terminar a horas distintas / quiet hours must start and end at different hours',
    path: ['quietToHour'],
  });

const who = (userId: string) => ({ actor: `user:${userId}` });

/**
 * Alert channels: who hears of alerts by e-mail or SMS, for which roles' alerts, from
 * which severity, when not (quiet hours), whether only escalations; and after how long
 * an unacknowledged alert is escalated. Every change is audited.
 */
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

  settings: tenantProcedure('alerts.settings').query(({ ctx }) =>
    ctx.withTenant((tx) => getNotificationSettings(tx)),
  ),

  saveSettings: tenantProcedure('alerts.saveSettings')
    .input(z.object({ escalateAfterMinutes: escalateAfterMinutesSchema }))
    .mutation(({ ctx, input }) =>
      ctx.withTenant((tx) =>
        saveNotificationSettings(tx, who(ctx.userId), {
          escalateAfterMinutes: input.escalateAfterMinutes,
        }),
      ),
    ),
});
