import { describe, expect, it } from 'vitest';
import { variableByCode } from '@anh/domain/catalog';
import { DEMO_VARIABLES } from './seed';

describe('seed field', () => {
  it('binds only catalog variables, at their own point kind, in units they accept', () => {
    for (const [kind, variables] of Object.entries(DEMO_VARIABLES)) {
      for (const [code, unit] of variables) {
        const definition = variableByCode(code);
        expect(definition, code).toBeDefined();
        expect(definition!.pointKind).toBe(kind);
        expect(definition!.inputUnits as readonly string[]).toContain(unit);
      }
    }
  });
});
