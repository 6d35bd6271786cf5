import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * A real SMTP server on 127.0.0.1: Debian's aiosmtpd with its debugging handler, which
 * prints every message it receives; the test reads them from its output. The same helper
 * as the web app's (apps/web/test/smtp-server.ts), plus: a fixed port (to stop a server
 * and start it again at the same address), and the printed messages parsed and decoded
 * (RFC 2047 headers, quoted-printable or base64 bodies).
 */
export interface ReceivedMail {
  headers: Record<string, string>;
  to: string;
  subject: string;
  text: string;
}

export interface TestSmtpServer {
  url: string;
  port: number;
  /** Everything printed so far. */
  output(): string;
  messages(): ReceivedMail[];
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const decodeQuotedPrintable = (text: string): string =>
  Buffer.from(
    text
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');

/** `=?UTF-8?Q?…?=` and `=?UTF-8?B?…?=` words; whitespace between two words is dropped. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(
      /=\?([^?]+)\?([QB])\?([^?]*)\?=/gi,
      (_, _charset: string, kind: string, data: string) =>
        kind.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64').toString('utf8')
          : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}

export function parseAiosmtpdOutput(output: string): ReceivedMail[] {
  const blocks = output.split('---------- MESSAGE FOLLOWS ----------').slice(1);
  return blocks
    .map((block) => block.split('------------ END MESSAGE ------------')[0]!)
    .filter((block) => block.includes('\n\n'))
    .map((block) => {
      const at = block.indexOf('\n\n');
      const rawHeaders = block
        .slice(0, at)
        .replace(/^\n/, '')
        .replace(/\n[ \t]+/g, ' ');
      const headers: Record<string, string> = {};
      for (const line of rawHeaders.split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const body = block.slice(at + 2).replace(/\n$/, '');
      const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase();
      const text =
        encoding === 'quoted-printable'
          ? decodeQuotedPrintable(body)
          : encoding === 'base64'
            ? Buffer.from(body, 'base64').toString('utf8')
            : body;
      return {
        headers,
        to: headers.to ?? '',
        subject: decodeHeader(headers.subject ?? ''),
        text,
      };
    });
}

export async function startTestSmtpServer(
  options: { port?: number } = {},
): Promise<TestSmtpServer> {
  const port = options.port ?? (await freePort());
  let output = '';
  const child: ChildProcess = spawn(
    '/usr/bin/python3',
    ['-u', '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const probe = createServer().listen(port, '127.0.0.1');
      probe.once('listening', () => probe.close(() => resolve(false)));
      probe.once('error', () => resolve(true));
    });
    if (up) break;
    if (i > 100) throw new Error('aiosmtpd did not start (apt-get install python3-aiosmtpd)');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    output: () => output,
    messages: () => parseAiosmtpdOutput(output),
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
