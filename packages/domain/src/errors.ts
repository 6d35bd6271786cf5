/**
 * The one error type of the product. Every expected failure carries a code; the code
 * alone decides the HTTP status, the tRPC code and whether a job may be retried.
 * Anything that is not an AppError is a bug and is reported as INTERNAL.
 */
export const ERROR_CODES = {
  VALIDATION: { http: 400, trpc: 'BAD_REQUEST', retryable: false },
  UNAUTHENTICATED: { http: 401, trpc: 'UNAUTHORIZED', retryable: false },
  FORBIDDEN: { http: 403, trpc: 'FORBIDDEN', retryable: false },
  NOT_FOUND: { http: 404, trpc: 'NOT_FOUND', retryable: false },
  CONFLICT: { http: 409, trpc: 'CONFLICT', retryable: false },
  PAYLOAD_TOO_LARGE: { http: 413, trpc: 'PAYLOAD_TOO_LARGE', retryable: false },
  UNSUPPORTED_MEDIA: { http: 415, trpc: 'UNSUPPORTED_MEDIA_TYPE', retryable: false },
  RATE_LIMITED: { http: 429, trpc: 'TOO_MANY_REQUESTS', retryable: true },
  TENANT_INACTIVE: { http: 423, trpc: 'FORBIDDEN', retryable: false },
  INTEGRITY: { http: 409, trpc: 'CONFLICT', retryable: false },
  UNAVAILABLE: { http: 503, trpc: 'SERVICE_UNAVAILABLE', retryable: true },
  INTERNAL: { http: 500, trpc: 'INTERNAL_SERVER_ERROR', retryable: true },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type TrpcErrorCode = (typeof ERROR_CODES)[ErrorCode]['trpc'];

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  /** Structured detail safe to show to the caller (never secrets). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get trpcCode(): TrpcErrorCode {
    return ERROR_CODES[this.code].trpc;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Turns zod issues into one VALIDATION error listing every path that failed. */
export function validationError(
  what: string,
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): AppError {
  const problems = issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const summary = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
  return new AppError('VALIDATION', `${what} is invalid: ${summary}`, { details: { problems } });
}
