import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { useTestDatabase } from '@anh/db/test-helpers';
import { dictionary } from '~/lib/i18n';
import { collectErrors, launchBrowser, newPhoneContext, screenshot } from './browser';
import { startNextServer, type NextServer } from './next-server';

// The built app under `next start`, on its own test database, in Debian's Chromium.
const testDb = useTestDatabase();
const t = dictionary();

let server: NextServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startNextServer({
      env: {
        DATABASE_URL: testDb().url,
        REDIS_URL: inject('redisUrl'),
        TENANT_ROLE_SECRET: inject('tenantRoleSecret'),
        NEXTAUTH_SECRET: randomBytes(32).toString('base64url'),
      },
    }),
    launchBrowser(),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 30_000);

describe('browser smoke: the built app in Chromium', { timeout: 120_000 }, () => {
  it('shows the Spanish sign-in page on a phone, with no console or page errors', async () => {
    const context = await newPhoneContext(browser);
    // The app ships no favicon yet, and Chromium asks for /favicon.ico on every page.
    const errors = collectErrors(context, { ignore: [/404.*\/favicon\.ico:/] });
    try {
      const page = await context.newPage();
      const response = await page.goto(`${server.url}/login`, { waitUntil: 'networkidle' });
      expect(response?.status()).toBe(200);
      await expect
        .poll(() => page.getByRole('heading', { level: 1, name: t.appName }).isVisible())
        .toBe(true);
      expect(await page.getByText(t.tagline).isVisible()).toBe(true);
      const button = page.getByRole('button', { name: t.signIn });
      expect(await button.isVisible()).toBe(true);
      expect(await button.isEnabled()).toBe(true);
      expect(await page.getByLabel(t.email).isVisible()).toBe(true);
      expect(await page.getByLabel(t.password).isVisible()).toBe(true);
      expect(await page.locator('html').getAttribute('lang')).toBe('es-CO');
      await screenshot(page, 'login-phone');
      expect(errors.list()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
