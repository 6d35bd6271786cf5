import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * A real SMTP server on 127.0.0.1: Debian's aiosmtpd with its debugging handler, which
 * prints every message it receives; the test reads them from its output.
 */
export interface TestSmtpServer {
  url: string;
  /** Everything received so far (headers and bodies, as printed). */
  output(): string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const port = await freePort();
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
      const socket = createServer().listen(port, '127.0.0.1');
      socket.once('listening', () => socket.close(() => resolve(false)));
      socket.once('error', () => resolve(true));
    });
    if (up) break;
    if (i > 100) throw new Error('aiosmtpd did not start (apt-get install python3-aiosmtpd)');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `smtp://127.0.0.1:${port}`,
    output: () => output,
    async close() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
