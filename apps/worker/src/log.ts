import { pino, stdTimeFunctions, type BaseLogger } from 'pino';

/**
 * Structured logs, one JSON object per line on stdout, written by pino. Secrets are masked
 * three ways, because one careless `log.info('x', { config })` must leak nothing:
 * - pino's `redact` paths for the places we know carry credentials (headers, URLs' auth);
 * - keys named like secrets, whatever their depth (pino's paths cannot say "any depth");
 * - values that look like credentials wherever they are: a `Bearer …` token, the password
 *   in `scheme://user:password@host` (connection strings end up in error messages).
 * The line keeps the shape the tests and operators already read: `time` (ISO), `level`
 * (its name), `message`, then the fields; pino adds `pid` and `hostname`, which tell
 * several workers apart.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|credential/i;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]+@/gi;
const REDACTED = '[redacted]';

/** Paths pino masks before anything else runs (`*` is one level). */
export const REDACT_PATHS = [
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  'credential',
  '*.credential',
];

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** A string with the credentials it may carry masked. */
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
