import { enrollConnector, type Database } from '@anh/db';
import { enrollmentRequestSchema } from '@anh/domain/enrollment';
import { AppError, validationError } from '@anh/domain/errors';
import { errorResponse } from './handle';
import type { RateLimiter } from './rate-limit';

/**
 * POST /api/connectors/enroll — `anh-connector enroll --code …` trades a one-time code for
 * the connector's id and credential (shown this once; only its hash is kept). Limited per
 * client address, so codes cannot be guessed at speed.
 */
export interface EnrollDeps {
  db: Database;
  limiter: RateLimiter;
  now: () => number;
}

const ATTEMPTS_PER_MINUTE = 10;

export async function handleEnroll(request: Request, deps: EnrollDeps): Promise<Response> {
  try {
    const client = (request.headers.get('x-forwarded-for') ?? 'direct').split(',')[0]!.trim();
    const waitMs = deps.limiter.take(`enroll:${client}`, ATTEMPTS_PER_MINUTE, deps.now());
    if (waitMs > 0) {
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      throw new AppError(
        'RATE_LIMITED',
        `too many enrollment attempts; retry in ${retryAfterSeconds} s`,
        {
          details: { retryAfterSeconds },
        },
      );
    }
    const text = await request.text();
    if (text.length > 4096) throw new AppError('PAYLOAD_TOO_LARGE', 'enrollment request too large');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AppError('VALIDATION', 'body is not JSON');
    }
    const parsed = enrollmentRequestSchema.safeParse(body);
    if (!parsed.success) throw validationError('Enrollment request', parsed.error.issues);
    const enrolled = await enrollConnector(deps.db, { ...parsed.data, nowMs: deps.now() });
    return Response.json(enrolled, { status: 201, headers: { 'cache-control': 'no-store' } });
  } catch (error) {
    return errorResponse(error);
  }
}
