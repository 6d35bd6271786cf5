import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, ERROR_CODES, isAppError, validationError } from './errors';

describe('AppError', () => {
  it('maps every code to one HTTP status and one tRPC code', () => {
    for (const code of Object.keys(ERROR_CODES) as Array<keyof typeof ERROR_CODES>) {
      const error = new AppError(code, 'x');
      expect(error.httpStatus).toBe(ERROR_CODES[code].http);
      expect(error.trpcCode).toBe(ERROR_CODES[code].trpc);
      expect(isAppError(error)).toBe(true);
    }
    expect(new AppError('NOT_FOUND', 'x').httpStatus).toBe(404);
    expect(new AppError('UNAVAILABLE', 'x').retryable).toBe(true);
    expect(new AppError('VALIDATION', 'x').retryable).toBe(false);
    expect(isAppError(new Error('x'))).toBe(false);
  });

  it('turns zod issues into one VALIDATION error listing every path', () => {
    const result = z
      .object({ a: z.number(), b: z.object({ c: z.string() }) })
      .safeParse({ a: 'x', b: { c: 1 } });
    const error = validationError('Thing', result.error!.issues);
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/^Thing is invalid: a: .*; b\.c: /);
    expect((error.details!.problems as unknown[]).length).toBe(2);
  });
});
