import { z } from 'zod';
import { DEFAULT_FILE_PATTERN, filePatternSchema } from './naming';

/**
 * A tenant's delivery target for the daily report, as an admin enters it. FTPS (explicit
 * TLS) is the default; plain FTP only when the target requires it. The password travels
 * in on save only: it is stored sealed and never read back out to a screen.
 */
export const deliverySettingsSchema = z
  .object({
    host: z
      .string()
      .trim()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/, 'a host name or an IP address'),
    port: z.number().int().min(1).max(65535).default(21),
    tlsMode: z.enum(['explicit', 'none']).default('explicit'),
    tlsCaPem: z
      .string()
      .max(20_000)
      .regex(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate')
      .optional(),
    remoteDir: z
      .string()
      .max(300)
      .regex(/^\/[A-Za-z0-9_./-]*$/, 'an absolute path: letters, digits, _ . - /')
      .refine((p) => !p.split('/').includes('..'), 'no .. in the path')
      .default('/'),
    filePattern: filePatternSchema.default(DEFAULT_FILE_PATTERN),
    username: z.string().min(1).max(100),
    password: z.string().min(1).max(200),
    enabled: z.boolean().default(true),
  })
  .strict();

export type DeliverySettingsInput = z.input<typeof deliverySettingsSchema>;
export type DeliverySettings = z.output<typeof deliverySettingsSchema>;
