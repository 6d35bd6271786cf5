import { z } from 'zod';
import { AppError } from '../errors';

/**
 * Remote file names of the daily submission, from the tenant's pattern. Tokens:
 * {operator} (ANH operator code), {field} (field code), {day} (YYYY-MM-DD), {yyyymmdd},
 * {version} (1, 2… — amendments). A pattern must contain {day} or {yyyymmdd}, and
 * {version}: one name per day and version, so two contents never share a name.
 */
export const DEFAULT_FILE_PATTERN = '{operator}_{field}_{yyyymmdd}_v{version}.json';

export const filePatternSchema = z
  .string()
  .min(5)
  .max(200)
  .regex(/^[A-Za-z0-9_.{}-]+$/, 'letters, digits, _ . - and {tokens} only')
  .refine(
    (p) => p.includes('{day}') || p.includes('{yyyymmdd}'),
    'must contain {day} or {yyyymmdd}',
  )
  .refine((p) => p.includes('{version}'), 'must contain {version}')
  .refine(
    (p) => [...p.matchAll(/\{(\w+)\}/g)].every((m) => TOKENS.has(m[1]!)),
    'unknown {token}: use {operator} {field} {day} {yyyymmdd} {version}',
  );

const TOKENS = new Set(['operator', 'field', 'day', 'yyyymmdd', 'version']);

export function reportFileName(
  pattern: string,
  values: { operator: string; field: string; day: string; version: number },
): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '-');
  const name = pattern
    .replaceAll('{operator}', safe(values.operator))
    .replaceAll('{field}', safe(values.field))
    .replaceAll('{day}', values.day)
    .replaceAll('{yyyymmdd}', values.day.replaceAll('-', ''))
    .replaceAll('{version}', String(values.version));
  if (name.includes('{')) throw new AppError('VALIDATION', `file pattern left a token: ${name}`);
  return name;
}
