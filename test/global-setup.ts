import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { prepareTemplateDatabase, TEMPLATE_DATABASE } from '../packages/db/src/testing';
import '../packages/db/test/provided-context';
import { testEnv } from './env';

// Every project that touches PostgreSQL runs this; the template is rebuilt once per
// project, which also proves migrations apply to an empty database on every run.
export default async function setup(project: TestProject): Promise<void> {
  const tenantRoleSecret = randomBytes(32).toString('base64url');
  const template = `${TEMPLATE_DATABASE}_${project.name.replace(/\W/g, '_')}`;
  await prepareTemplateDatabase(testEnv.TEST_DATABASE_URL, template, tenantRoleSecret);
  project.provide('databaseBaseUrl', testEnv.TEST_DATABASE_URL);
  project.provide('templateDatabase', template);
  project.provide('tenantRoleSecret', tenantRoleSecret);
  project.provide('redisUrl', testEnv.TEST_REDIS_URL);
}
