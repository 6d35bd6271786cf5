import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Twilio's Messages API, speaking its wire format:
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with HTTP Basic auth (account SID
 * and auth token) and a form body (To, From or MessagingServiceSid, Body), answering 201
 * with the message resource (`sid` starts with SM), or Twilio's error JSON.
 */
export interface ReceivedSms {
  accountSid: string;
  to: string;
  from: string | null;
  body: string;
  sid: string;
}

export interface TestTwilioServer {
  /** Base URL for TWILIO_API_BASE. */
  url: string;
  messages: ReceivedSms[];
  /** Requests refused (bad auth, bad path), for assertions. */
  refused: Array<{ status: number; path: string }>;
  /** Answer the next `count` messages with this error (e.g. 500, or 400 + code 21211). */
  failNext(count: number, status: number, code?: number): void;
  close(): Promise<void>;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})\/Messages\.json$/;

export async function startTestTwilioServer(credentials: {
  accountSid: string;
  authToken: string;
}): Promise<TestTwilioServer> {
  const messages: ReceivedSms[] = [];
  const refused: Array<{ status: number; path: string }> = [];
  let failures: { count: number; status: number; code?: number } = { count: 0, status: 500 };

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const error = (
    res: ServerResponse,
    path: string,
    status: number,
    code: number,
    message: string,
  ) => {
    refused.push({ status, path });
    answer(res, status, {
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    const match = MESSAGES_PATH.exec(path);
    if (req.method !== 'POST' || !match)
      return error(res, path, 404, 20404, 'The requested resource was not found');
    const expected = `Basic ${Buffer.from(`${credentials.accountSid}:${credentials.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected || match[1] !== credentials.accountSid)
      return error(res, path, 401, 20003, 'Authenticate');
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
      return error(res, path, 400, 21000, 'Expected a form body');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const to = form.get('To');
    const from = form.get('From');
    const body = form.get('Body');
    if (!to || !body || (!from && !form.get('MessagingServiceSid')))
      return error(res, path, 400, 21604, "A 'To', 'Body' and 'From' are required");
    if (failures.count > 0) {
      failures.count--;
      return error(res, path, failures.status, failures.code ?? 20500, 'Simulated failure');
    }
    const sid = `SM${randomBytes(16).toString('hex')}`;
    messages.push({ accountSid: match[1], to, from, body, sid });
    const now = new Date().toUTCString();
    answer(res, 201, {
      sid,
      account_sid: match[1],
      to,
      from,
      body,
      status: 'queued',
      num_segments: '1',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      date_created: now,
      date_updated: now,
      uri: `/2010-04-01/Accounts/${match[1]}/Messages/${sid}.json`,
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() =>
      answer(res, 500, { code: 20500, message: 'Internal', status: 500 }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    refused,
    failNext(count, status, code) {
      failures = { count, status, ...(code ? { code } : {}) };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
