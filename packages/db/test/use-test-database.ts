import './provided-context';
import { afterAll, beforeAll, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../src/testing';

/**
 * Gives a test file its own database, copied from the migrated template before the
 * first test and dropped after the last. Use the returned getter inside tests.
 */
export function useTestDatabase(): () => TestDatabase {
  let current: TestDatabase | undefined;
  beforeAll(async () => {
    current = await createTestDatabase({
      baseUrl: inject('databaseBaseUrl'),
      template: inject('templateDatabase'),
      tenantRoleSecret: inject('tenantRoleSecret'),
    });
  });
  afterAll(async () => {
    await current?.drop();
  });
  return () => {
    if (!current) throw new Error('test database not ready: call inside a test or hook');
    return current;
  };
}
