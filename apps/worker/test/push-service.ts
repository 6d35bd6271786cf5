import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Web Push service (RFC 8030) and the browsers subscribed to it. The test plays
 * the browser: each subscription is a fresh P-256 key pair and a 16-byte auth secret, as
 * PushManager.subscribe() makes them. The server does what a push service and the browser
 * do together: checks the VAPID token (RFC 8292: `Authorization: vapid t=<JWT>, k=<key>`,
 * ES256 signed with the application server key the subscription was made for, audience
 * this origin, expiry within 24 h), then decrypts the aes128gcm body (RFC 8291) with the
 * subscriber's private key, using http_ece (the library web-push encrypts with).
 */
const require = createRequire(import.meta.url);
const ece = require('http_ece') as {
  decrypt(
    buffer: Buffer,
    params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: string },
  ): Buffer;
};

export interface BrowserSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface ReceivedPush {
  subscriptionId: string;
  payload: unknown;
  ttl: string | undefined;
  urgency: string | undefined;
  topic: string | undefined;
  vapid: { aud: string; sub: string; exp: number };
}

export interface TestPushService {
  origin: string;
  received: ReceivedPush[];
  refused: Array<{ subscriptionId: string; status: number; reason: string }>;
  /** A new browser subscription at this service. */
  subscribe(): BrowserSubscription & { id: string };
  /** From now on, answer this subscription's messages with `status` (410: unsubscribed). */
  answer(subscriptionId: string, status: number): void;
  close(): Promise<void>;
}

const b64url = (buffer: Buffer) => buffer.toString('base64url');

/** The uncompressed P-256 point of a VAPID `k=` as a public key object. */
function p256PublicKey(raw: Buffer) {
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: b64url(raw.subarray(1, 33)),
      y: b64url(raw.subarray(33, 65)),
    },
    format: 'jwk',
  });
}

export async function startTestPushService(options: {
  /** The application server key subscriptions are made for (VAPID_PUBLIC_KEY). */
  applicationServerKey: string;
}): Promise<TestPushService> {
  const browsers = new Map<string, { ecdh: ECDH; auth: string; status: number }>();
  const received: ReceivedPush[] = [];
  const refused: TestPushService['refused'] = [];
  let origin = '';

  function check(req: IncomingMessage): { aud: string; sub: string; exp: number } | string {
    const authorization = req.headers.authorization ?? '';
    const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization);
    if (!match) return 'no vapid authorization';
    const [, token, key] = match;
    if (key !== options.applicationServerKey) return 'k is not the application server key';
    const [header, claims, signature] = token!.split('.');
    if (!header || !claims || !signature) return 'malformed JWT';
    const head = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string };
    if (head.alg !== 'ES256') return 'JWT alg is not ES256';
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${claims}`),
      { key: p256PublicKey(Buffer.from(key, 'base64url')), dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) return 'JWT signature does not verify';
    const body = JSON.parse(Buffer.from(claims, 'base64url').toString()) as {
      aud: string;
      sub: string;
      exp: number;
    };
    const now = Date.now() / 1000;
    if (body.aud !== origin) return `aud ${body.aud} is not ${origin}`;
    if (!(body.exp > now && body.exp <= now + 24 * 3600)) return 'exp not within 24 h';
    if (!/^(mailto:|https:)/.test(body.sub)) return 'sub is not mailto: or https:';
    if (req.headers['content-encoding'] !== 'aes128gcm') return 'content-encoding is not aes128gcm';
    if (req.headers.ttl === undefined) return 'no TTL';
    return body;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = /^\/push\/([0-9a-f]+)$/.exec(req.url ?? '')?.[1] ?? '';
    const browser = browsers.get(id);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const refuse = (status: number, reason: string) => {
      refused.push({ subscriptionId: id, status, reason });
      res.writeHead(status).end(reason);
    };
    if (req.method !== 'POST' || !browser) return refuse(404, 'no such subscription');
    if (browser.status !== 201) return refuse(browser.status, 'unsubscribed');
    const vapid = check(req);
    if (typeof vapid === 'string') return refuse(vapid.startsWith('JWT') ? 403 : 400, vapid);
    let payload: unknown;
    try {
      const plain = ece.decrypt(Buffer.concat(chunks), {
        version: 'aes128gcm',
        privateKey: browser.ecdh,
        authSecret: browser.auth,
      });
      payload = JSON.parse(plain.toString('utf8'));
    } catch (error) {
      return refuse(400, `cannot decrypt: ${String(error)}`);
    }
    received.push({
      subscriptionId: id,
      payload,
      ttl: req.headers.ttl as string | undefined,
      urgency: req.headers.urgency as string | undefined,
      topic: req.headers.topic as string | undefined,
      vapid,
    });
    res.writeHead(201, { location: `${origin}/message/${randomBytes(8).toString('hex')}` }).end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    received,
    refused,
    subscribe() {
      const id = randomBytes(8).toString('hex');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = b64url(randomBytes(16));
      browsers.set(id, { ecdh, auth, status: 201 });
      return {
        id,
        endpoint: `${origin}/push/${id}`,
        keys: { p256dh: b64url(ecdh.getPublicKey()), auth },
      };
    },
    answer(subscriptionId, status) {
      const browser = browsers.get(subscriptionId);
      if (browser) browser.status = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
