import { defineConfig } from 'vitest/config';

// One test run for the monorepo (`npm test`). Each workspace is a project; tests live
// next to the code as *.test.ts. Database tests share one migrated template database
// (test/global-setup.ts) and copy it per test file, so files run in parallel safely.
const databaseProject = (name: string, root: string) => ({
  resolve: { alias: { '~': new URL(`./${root}/src`, import.meta.url).pathname } },
  test: {
    name,
    root,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['../../test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

export default defineConfig({
  test: {
    projects: [
      { test: { name: '@anh/domain', root: 'packages/domain', include: ['src/**/*.test.ts'] } },
      databaseProject('@anh/db', 'packages/db'),
      databaseProject('@anh/worker', 'apps/worker'),
      databaseProject('@anh/web', 'apps/web'),
      {
        test: {
          name: '@anh/connector',
          root: 'apps/connector',
          include: ['src/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      // Deployment files (compose, Dockerfiles, systemd units, install.sh, env examples)
      // checked against the apps' env.ts; the licence inventory against the lockfile.
      {
        test: {
          name: '@anh/deploy',
          root: 'deploy',
          include: ['**/*.test.ts'],
          exclude: ['dist/**', 'node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
