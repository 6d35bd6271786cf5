import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { Client, FTPError } from 'basic-ftp';
import type { DeliveryTarget } from '@anh/db/reports';
import { AppError } from '@anh/domain/errors';

/**
 * One upload of one file, the careful way: FTPS unless the target says plain FTP; never
 * over an existing file with other content (same content: it is already there); written
 * under a temporary name and renamed only when complete, so the regulator never sees half
 * a file; then its size checked and, where the server lets us, read back and compared.
 */
export interface UploadReceipt {
  outcome: 'verified' | 'already_there';
  remotePath: string;
  bytes: number;
  readBackSha256: string | null;
  replies: Array<{ step: string; code: number | null; message: string }>;
}

export class UploadFailure extends Error {
  constructor(
    message: string,
    readonly replies: UploadReceipt['replies'],
    readonly conflict = false,
  ) {
    super(message);
  }
}

/** Logs in as delivery does: FTPS with the certificate verified unless the target says plain FTP. */
function login(client: Client, target: DeliveryTarget) {
  return client.access({
    host: target.host,
    port: target.port,
    user: target.username,
    password: target.password,
    secure: target.tlsMode === 'explicit',
    ...(target.tlsMode === 'explicit'
      ? {
          secureOptions: {
            rejectUnauthorized: true,
            ...(target.tlsCaPem ? { ca: target.tlsCaPem } : {}),
          },
        }
      : {}),
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function readBack(client: Client, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await client.downloadTo(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
    name,
  );
  return Buffer.concat(chunks);
}

export async function uploadVerified(
  target: DeliveryTarget,
  fileName: string,
  content: Buffer,
  options: { timeoutMs?: number } = {},
): Promise<UploadReceipt> {
  const client = new Client(options.timeoutMs ?? 15_000);
  const replies: UploadReceipt['replies'] = [];
  const note = (step: string, response: { code: number; message: string }) =>
    replies.push({ step, code: response.code, message: response.message.trim().slice(0, 300) });
  const dir = target.remoteDir.replace(/\/+$/, '') || '/';
  const remotePath = `${dir === '/' ? '' : dir}/${fileName}`;
  const expected = sha256(content);
  try {
    note('login', await login(client, target));
    await client.ensureDir(dir);
    // Already there? The same bytes: a previous attempt got that far. Others: never overwrite.
    const existing = await client.size(fileName).catch((error: unknown) => {
      if (error instanceof FTPError && error.code === 550) return null;
      throw error;
    });
    if (existing !== null) {
      const there = await readBack(client, fileName);
      if (sha256(there) !== expected)
        throw new UploadFailure(
          `${remotePath} already exists on the server with other content; refusing to overwrite it`,
          replies,
          true,
        );
      replies.push({
        step: 'exists',
        code: null,
        message: `same content already at ${remotePath}`,
      });
      return {
        outcome: 'already_there',
        remotePath,
        bytes: there.length,
        readBackSha256: expected,
        replies,
      };
    }
    const temporary = `.${fileName}.part`;
    note('upload', await client.uploadFrom(Readable.from([content]), temporary));
    note('rename', await client.rename(temporary, fileName));
    const size = await client.size(fileName);
    replies.push({ step: 'size', code: 213, message: String(size) });
    if (size !== content.length) {
      // Ours and wrong: take it away so the retry can put the right one under the name.
      await client.remove(fileName).catch(() => undefined);
      throw new UploadFailure(`server reports ${size} bytes, expected ${content.length}`, replies);
    }
    let readBackSha256: string | null = null;
    try {
      readBackSha256 = sha256(await readBack(client, fileName));
    } catch (error) {
      // Some targets are write-only: the size check stands alone then.
      replies.push({
        step: 'read-back',
        code: null,
        message: `not readable: ${(error as Error).message}`,
      });
    }
    if (readBackSha256 !== null && readBackSha256 !== expected) {
      await client.remove(fileName).catch(() => undefined);
      throw new UploadFailure(`content read back differs from what was sent`, replies);
    }
    return { outcome: 'verified', remotePath, bytes: size, readBackSha256, replies };
  } catch (error) {
    if (error instanceof UploadFailure) throw error;
    throw new UploadFailure((error as Error).message, replies);
  } finally {
    client.close();
  }
}

export function asAppError(error: unknown): AppError {
  if (error instanceof UploadFailure)
    return new AppError(error.conflict ? 'INTEGRITY' : 'UNAVAILABLE', error.message, {
      details: { replies: error.replies },
    });
  return new AppError('UNAVAILABLE', (error as Error).message);
}

/**
 * The admin's "test connection": logs in as delivery would (same TLS rules), makes sure the
 * remote folder exists and lists it. Uploads nothing.
 */
export async function testConnection(
  target: DeliveryTarget,
  options: { timeoutMs?: number } = {},
): Promise<
  | { ok: true; replies: UploadReceipt['replies']; files: number }
  | { ok: false; error: string; replies: UploadReceipt['replies'] }
> {
  const client = new Client(options.timeoutMs ?? 10_000);
  const replies: UploadReceipt['replies'] = [];
  try {
    const greeting = await login(client, target);
    replies.push({
      step: 'login',
      code: greeting.code,
      message: greeting.message.trim().slice(0, 300),
    });
    await client.ensureDir(target.remoteDir.replace(/\/+$/, '') || '/');
    const files = await client.list();
    replies.push({
      step: 'list',
      code: 226,
      message: `${files.length} entries in ${target.remoteDir}`,
    });
    return { ok: true, replies, files: files.length };
  } catch (error) {
    return { ok: false, error: (error as Error).message, replies };
  } finally {
    client.close();
  }
}
