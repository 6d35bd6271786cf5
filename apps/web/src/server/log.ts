import { randomUUID } from 'node:crypto';
import { pino, stdTimeFunctions, type BaseLogger } from 'pino';
import { logLevel } from '~/env';

/**
 * The web server's structured logs: one JSON object per line on stdout (pino), in the
 * worker's and the connector's shape (`time`, `level`, `message`, fields), so one query
 * reads all three. Secrets are masked by key name at any depth, by pino's paths for the
 * known places, and by value (a `Bearer …` token, a URL's password) wherever they appear.
 * Kept on globalThis: Next may evaluate this module more than once in one process.
 *
 * Requests carry an id: the caller's `x-request-id` when it is a sane one (a proxy in
 * front may set it), otherwise a new UUID; it is logged with every line of the request
 * and returned in the response's `x-request-id`.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|credential/i;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]+@/gi;
const REDACTED = '[redacted]';
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

const REDACT_PATHS = [
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
];

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function redactText(text: string): string {
  return text.replace(BEARER, `$1 ${REDACTED}`).replace(URL_PASSWORD, `$1:${REDACTED}@`);
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return {
      name: value.name,
      message: redactText(value.message),
      code: (value as { code?: unknown }).code,
    };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1),
    ]),
  );
}

type PinoLogger = Pick<BaseLogger, LogLevel> & {
  child(bindings: Record<string, unknown>): PinoLogger;
};

function wrap(logger: PinoLogger): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields) logger[level](fields, message);
      else logger[level](message);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    // pino does not pass a child's bindings through `formatters`: masked here instead.
    child: (fields) => wrap(logger.child(redact(fields) as Record<string, unknown>)),
  };
}

export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = {},
  /** Where lines go (without their newline); stdout when absent. Tests collect them. */
  write?: (line: string) => void,
): Logger {
  const destination = write
    ? { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) }
    : pino.destination({ dest: 1, sync: true });
  const logger = pino(
    {
      level,
      messageKey: 'message',
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => redact(fields) as Record<string, unknown>,
      },
    },
    destination,
  );
  return Object.keys(base).length > 0 ? wrap(logger).child(base) : wrap(logger);
}

const holder = globalThis as unknown as { anhWebLog?: Logger };

/** The process's logger (LOG_LEVEL, service "web"). */
export function webLog(): Logger {
  holder.anhWebLog ??= createLogger(logLevel(), { service: 'web' });
  return holder.anhWebLog;
}

/** The request's id: its `x-request-id` when that is a plain token, else a new one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/** The same response, saying which request it answers. */
export function withRequestId(response: Response, requestId: string): Response {
  try {
    response.headers.set('x-request-id', requestId);
    return response;
  } catch {
    // Immutable headers (a fetched response passed through): copy them.
    const headers = new Headers(response.headers);
    headers.set('x-request-id', requestId);
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  }
}
