import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import localizeEn from 'ajv-i18n/localize/en';
import localizeEs from 'ajv-i18n/localize/es';
import { reportDigest, type DailyReport } from './build';
import { DAILY_REPORT_SCHEMA } from './schema';

/**
 * Validates a daily report against its JSON Schema and its own integrity hash, and
 * returns every violation (not just the first) with a Spanish and an English message.
 */
export interface ReportViolation {
  path: string;
  keyword: string;
  message: { es: string; en: string };
}

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
const validateSchema = ajv.compile<DailyReport>(DAILY_REPORT_SCHEMA);

function localized(errors: ErrorObject[], localize: (errors: ErrorObject[]) => void): string[] {
  const copy = errors.map((e) => ({ ...e }));
  localize(copy);
  return copy.map((e) => e.message ?? e.keyword);
}

export function validateDailyReport(report: unknown): {
  ok: boolean;
  violations: ReportViolation[];
} {
  const violations: ReportViolation[] = [];
  if (!validateSchema(report)) {
    const errors = validateSchema.errors ?? [];
    const es = localized(errors, localizeEs);
    const en = localized(errors, localizeEn);
    errors.forEach((error, i) => {
      violations.push({
        path: error.instancePath || '/',
        keyword: error.keyword,
        message: { es: es[i]!, en: en[i]! },
      });
    });
    return { ok: false, violations };
  }
  const expected = reportDigest(report);
  if (report.integrity.sha256 !== expected) {
    violations.push({
      path: '/integrity/sha256',
      keyword: 'integrity',
      message: {
        es: `el SHA-256 no corresponde al contenido (esperado ${expected})`,
        en: `SHA-256 does not match the content (expected ${expected})`,
      },
    });
  }
  return { ok: violations.length === 0, violations };
}
