import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRulesDoc } from './rules-doc';
import { RULES } from './validation/rules';

describe('docs/rules.md', () => {
  it('is what the code generates (run `npm run docs:rules -w @anh/domain` if not)', () => {
    const doc = readFileSync(
      join(import.meta.dirname, '..', '..', '..', 'docs', 'rules.md'),
      'utf8',
    );
    expect(doc).toBe(renderRulesDoc());
    for (const rule of RULES) expect(doc).toContain(`\`${rule.id}\``);
  });
});
