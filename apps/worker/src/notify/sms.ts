import twilio from 'twilio';
import { describeError, type SmsChannel } from './channels';

type RequestOptions = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];

/**
 * The twilio client has no base-URL option: this request client rewrites every URI it
 * is given onto `base` (a regional edge, or the local server tests start), keeping the
 * path, so the real client speaks the real wire format to another host.
 */
export class RebasedRequestClient extends twilio.RequestClient {
  private readonly base: string;

  constructor(base: string, options: { timeout: number }) {
    super(options);
    const url = new URL(base);
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  }

  override request<TData>(options: RequestOptions & { data?: TData }) {
    const original = new URL(options.uri);
    return super.request<TData>({
      ...options,
      uri: `${this.base}${original.pathname}${original.search}`,
    });
  }
}

/** SMS through Twilio's Messages API. */
export function createSmsChannel(options: {
  accountSid: string;
  authToken: string;
  /** +E.164 number, or a messaging service SID (MG…). */
  from: string;
  apiBase?: string;
}): SmsChannel {
  const timeout = 15_000;
  const client = twilio(options.accountSid, options.authToken, {
    // Configuration comes from env.ts only, not from TWILIO_* variables the SDK would read.
    env: {},
    timeout,
    ...(options.apiBase
      ? { httpClient: new RebasedRequestClient(options.apiBase, { timeout }) }
      : {}),
  });
  const sender = options.from.startsWith('MG')
    ? { messagingServiceSid: options.from }
    : { from: options.from };
  return {
    async send(to, body) {
      try {
        const message = await client.messages.create({ to, body, ...sender });
        return { ok: true, providerId: message.sid };
      } catch (error) {
        const e = error as { status?: number; code?: number; message?: string };
        return {
          ok: false,
          gone: false,
          error:
            typeof e.status === 'number'
              ? `twilio ${e.status}${e.code ? ` (${e.code})` : ''}: ${e.message ?? ''}`.slice(
                  0,
                  300,
                )
              : describeError(error),
        };
      }
    },
  };
}
