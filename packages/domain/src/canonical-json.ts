import { AppError } from './errors';
/**
 * Canonical JSON: object keys sorted by code point, no whitespace, numbers in the
 * shortest round-trip form JavaScript prints. Two equal values always give the same
 * bytes, which is what a hash chain or a report signature needs.
 * Non-finite numbers, undefined inside arrays, functions, symbols and bigints are
 * refused rather than silently turned into null.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value))
        throw new AppError('VALIDATION', `canonicalJson: non-finite number at ${path}`, {
          details: { path },
        });
      return JSON.stringify(value);
    case 'object': {
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => write(item, `${path}[${i}]`)).join(',')}]`;
      }
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new AppError(
        'VALIDATION',
        `canonicalJson: cannot serialise ${typeof value} at ${path}`,
        { details: { path } },
      );
  }
}
