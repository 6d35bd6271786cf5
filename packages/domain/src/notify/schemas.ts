import { z } from 'zod';

/**
 * Inputs of the notification settings, shared by the web app (forms, tRPC) and the
 * database layer, so both refuse the same things.
 */

/** Minutes an alert may stay unacknowledged before it is escalated (the table's CHECK too). */
export const escalateAfterMinutesSchema = z
  .number()
  .int()
  .min(1, 'Al menos 1 minuto / at least 1 minute')
  .max(10_080, 'A lo sumo 7 días (10.080 min) / at most 7 days (10,080 min)');

export const notificationSettingsSchema = z
  .object({ escalateAfterMinutes: escalateAfterMinutesSchema })
  .strict();
export type NotificationSettings = z.infer<typeof notificationSettingsSchema>;

/**
 * Where a browser's push service takes messages. https only, except plain http on
 * 127.0.0.1 (a local push service in tests and demos): the worker posts to this address,
 * so it must never be an arbitrary plain-text one.
 */
export const pushEndpointSchema = z
  .string()
  .max(2048)
  // The shape first (what push services hand out: https://host[:port]/path…; no user
  // info), so input generators and readers see it; the URL parser has the last word.
  .regex(
    /^(https:\/\/[A-Za-z0-9.-]+|http:\/\/127\.0\.0\.1)(:\d{1,5})?(\/[\w.~%/?=&-]*)?$/,
    'Dirección de notificaciones no válida (https) / invalid push endpoint (https)',
  )
  .refine((value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    if (url.username || url.password) return false;
    if (url.protocol === 'https:') return url.hostname.length > 0;
    return url.protocol === 'http:' && url.hostname === '127.0.0.1';
  }, 'Dirección de notificaciones no válida (https) / invalid push endpoint (https)');

/** `bytes` bytes in base64url (padding allowed), checked by length: no Buffer in the browser. */
const base64url = (bytes: number, what: string) => {
  // The exact length in the pattern itself (not a refinement), so input generators can
  // produce valid keys: ceil(4n/3) characters, then the padding to a multiple of 4.
  const chars = Math.ceil((bytes * 4) / 3);
  const padding = (4 - (chars % 4)) % 4;
  return z
    .string()
    .regex(
      new RegExp(`^[A-Za-z0-9_-]{${chars}}(={${padding}})?$`),
      `${what}: ${bytes} bytes in base64url`,
    );
};

/** A subscription's keys, as the browser gives them. */
export const pushKeysSchema = z
  .object({
    /** The browser's P-256 public key, uncompressed (65 bytes). */
    p256dh: base64url(65, 'p256dh'),
    /** The 16-byte authentication secret. */
    auth: base64url(16, 'auth'),
  })
  .strict();

/**
 * A PushSubscription as the browser gives it (`subscription.toJSON()`); other fields
 * (`expirationTime`) are dropped.
 */
export const pushSubscriptionSchema = z.object({
  endpoint: pushEndpointSchema,
  keys: pushKeysSchema,
});
export type PushSubscriptionInput = z.infer<typeof pushSubscriptionSchema>;
