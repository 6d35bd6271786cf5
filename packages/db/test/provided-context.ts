// Values test/global-setup.ts provides to every test file through vitest's inject().
import type {} from 'vitest';
declare module 'vitest' {
  export interface ProvidedContext {
    databaseBaseUrl: string;
    templateDatabase: string;
    tenantRoleSecret: string;
    redisUrl: string;
  }
}

export {};
