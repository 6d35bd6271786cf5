import webpush from 'web-push';
import { pushEndpointSchema } from '@anh/domain/notify';
import { describeError, type PushChannel } from './channels';

/** A phone that has been offline this long no longer needs the alert. */
const TTL_SECONDS = 24 * 3600;

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292): web-push encrypts the payload for the
 * browser (aes128gcm, RFC 8291) and signs the VAPID token; the POST is ours (fetch), so
 * it has our timeout and also reaches the http://127.0.0.1 push services that the
 * subscription contract admits for local testing (web-push's own sender is https only).
 * 404 and 410 mean the subscription is gone for good.
 */
export function createPushChannel(vapid: {
  publicKey: string;
  privateKey: string;
  subject: string;
}): PushChannel {
  return {
    async send(target, payload, options) {
      if (!pushEndpointSchema.safeParse(target.endpoint).success)
        return { ok: false, gone: true, error: 'endpoint is not https (nor http on 127.0.0.1)' };
      try {
        const request = webpush.generateRequestDetails(
          { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
          JSON.stringify(payload),
          {
            vapidDetails: vapid,
            TTL: TTL_SECONDS,
            urgency: options.severity === 'critical' ? 'high' : 'normal',
            // A newer message about the same alert replaces one still queued for the phone.
            topic: options.topic,
          },
        );
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers))
          if (name.toLowerCase() !== 'content-length') headers[name] = String(value);
        const response = await fetch(request.endpoint, {
          method: 'POST',
          headers,
          body: request.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(15_000),
        });
        // The body is not needed; reading it frees the connection.
        const answer = (await response.text()).slice(0, 200);
        if (response.status >= 200 && response.status < 300)
          return { ok: true, providerId: response.headers.get('location') };
        return {
          ok: false,
          gone: response.status === 404 || response.status === 410,
          error: `push service ${response.status}${answer ? `: ${answer}` : ''}`,
        };
      } catch (error) {
        return { ok: false, gone: false, error: describeError(error) };
      }
    },
  };
}
