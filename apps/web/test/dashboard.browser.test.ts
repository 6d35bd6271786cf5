import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { buildDayReports } from '@anh/db/reports';
import { seedMembership, seedTenant, seedUser } from '@anh/db/seed';
import { seedProductionHistory, type HistorySlot, type SeededHistory } from '@anh/db/seed-history';
import { useTestDatabase } from '@anh/db/test-helpers';
import { dictionary, LOCALE_COOKIE } from '~/lib/i18n';
import {
  collectErrors,
  launchBrowser,
  newDesktopContext,
  newPhoneContext,
  screenshot,
  signIn,
} from './browser';
import { startNextServer, type NextServer } from './next-server';

/**
 * The dashboard of a tenant with 30 days of 20 wells, in Chromium on a desktop and a
 * phone: every figure the page shows is compared with what this test computes from the
 * slots the seeder wrote, by its own arithmetic (the app's code is not used for it).
 */
const testDb = useTestDatabase();
const t = dictionary();
const password = 'clave-del-tablero-de-prueba';
const SLOT = 600_000;

let server: NextServer;
let browser: Browser;
let tenant: Tenant;
let email: string;
let history: SeededHistory;

beforeAll(async () => {
  const { db } = testDb();
  tenant = await seedTenant(db);
  const user = await seedUser(db, { password });
  email = user.email;
  await seedMembership(db, tenant.id, user.id, 'admin');
  // Written up to the slot in progress 10 minutes from now, so a slot that closes while
  // the test runs is there too.
  history = await seedProductionHistory(db, tenant.id, {
    wells: 20,
    days: 30,
    nowMs: Date.now() + SLOT,
    seed: 2026,
  });
  // The ANH submissions of three days before yesterday, built by the real builder: two
  // delivered before their deadline, one whose delivery failed.
  for (const [back, outcome] of [
    [2, 'verified'],
    [3, 'verified'],
    [4, 'failed'],
  ] as const) {
    const day = new Date(Date.now() - 5 * 3600_000 - back * 86_400_000).toISOString().slice(0, 10);
    const [report] = await buildDayReports(db, tenant.id, day, { nowMs: Date.now() });
    const deadline = Date.parse(`${day}T11:50:00Z`) + 86_400_000; // 06:50 Bogotá, next day
    await db.withTenantClient(tenant.id, async (client) => {
      await client.query(
        `INSERT INTO report_deliveries (report_id, started_at, finished_at, outcome, host, remote_path, replies)
         VALUES ($1, $2, $2, $3, '127.0.0.1', $4, '[]')`,
        [report!.id, new Date(deadline - 40 * 60_000).toISOString(), outcome, report!.fileName],
      );
      if (outcome === 'verified')
        await client.query('UPDATE reports SET delivered_at = $2 WHERE id = $1', [
          report!.id,
          new Date(deadline - 40 * 60_000).toISOString(),
        ]);
    });
  }
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
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 30_000);

/** "1.234,5" (es-CO) or "1,234.5" (en) → 1234.5; "—" → null. */
let shownLocale: 'es-CO' | 'en' = 'es-CO';
function parseShown(text: string | null): number | null {
  const trimmed = (text ?? '').trim();
  if (trimmed === '—' || trimmed === '') return null;
  const plain = trimmed.replace(/\s|%/g, '');
  return shownLocale === 'en'
    ? Number(plain.replace(/,/g, ''))
    : Number(plain.replace(/\./g, '').replace(',', '.'));
}

/** Shown with at most one decimal: equal to the expected value within that rounding. */
function expectShown(shown: number | null, expected: number | null, what: string) {
  if (expected === null) return expect([what, shown]).toEqual([what, null]);
  expect([what, Math.abs((shown ?? NaN) - expected) <= 0.05 + 1e-9 * Math.abs(expected)]).toEqual([
    what,
    true,
  ]);
}

// --- the test's own arithmetic over the seeded slots -------------------------------------

function bogotaDayStart(ms: number): number {
  const offset = -5 * 3600_000;
  const local = ms + offset;
  return local - (((local % 86_400_000) + 86_400_000) % 86_400_000) - offset;
}

function slotsIn(code: string, point: string, from: number, to: number): HistorySlot[] {
  const variable = history.variables.find((v) => v.code === code && v.pointCode === point);
  return variable ? variable.slots.filter((s) => s.start >= from && s.start < to) : [];
}

/** A rate over a day: the mean of the slots that have a value. */
function averageRate(slots: HistorySlot[]): number | null {
  const withValue = slots.filter((s) => s.mean !== null);
  return withValue.length
    ? withValue.reduce((sum, s) => sum + s.mean!, 0) / withValue.length
    : null;
}

/** A totalizer over a day: Σ deltas, per day over the time up to the last delta. */
function totalizerRate(slots: HistorySlot[], dayStart: number): number | null {
  const withDelta = slots.filter((s) => s.delta !== null);
  if (!withDelta.length) return null;
  const volume = withDelta.reduce((sum, s) => sum + s.delta!, 0);
  const covered = (withDelta[withDelta.length - 1]!.start - dayStart) / SLOT + 1;
  return (volume * 144) / covered;
}

const signInHere = (context: BrowserContext, words = t) =>
  signIn(context, { url: server.url, email, password, words });

async function metric(
  scope: Page | ReturnType<Page['locator']>,
  name: string,
): Promise<number | null> {
  return parseShown(await scope.locator(`[data-metric="${name}"]`).first().textContent());
}

async function checkDashboard(page: Page, wellsToCheck: number) {
  await page.locator('[data-as-of]').waitFor();
  const asOf = Number(await page.locator('[data-as-of]').getAttribute('data-as-of'));
  const todayStart = bogotaDayStart(asOf);
  const closedEnd = todayStart + Math.floor((asOf - todayStart) / SLOT) * SLOT;
  const yesterdayStart = todayStart - 86_400_000;
  const elapsed = (closedEnd - todayStart) / SLOT;
  expect(Number(await page.locator('[data-as-of]').getAttribute('data-elapsed-slots'))).toBe(
    elapsed,
  );

  // Field production: oil from the LACT's net totalizer, gas and water from the separator.
  const field = {
    oil: ['fiscal_nsv_totalizer', 'LACT-01'],
    gas: ['separator_gas_totalizer', 'SEP-01'],
    water: ['separator_water_totalizer', 'SEP-01'],
  } as const;
  for (const [product, [code, point]] of Object.entries(field)) {
    expectShown(
      await metric(page, `${product}-today`),
      totalizerRate(slotsIn(code, point, todayStart, closedEnd), todayStart),
      `${product} today`,
    );
    expectShown(
      await metric(page, `${product}-yesterday`),
      totalizerRate(slotsIn(code, point, yesterdayStart, todayStart), yesterdayStart),
      `${product} yesterday`,
    );
  }

  // Wells: the average rates of today so far and of yesterday.
  const rateCodes = {
    oil: 'well_test_oil_rate',
    water: 'well_test_water_rate',
    gas: 'well_test_gas_rate',
  };
  expect(await page.locator('tr[data-well]').count()).toBe(20);
  for (let i = 1; i <= wellsToCheck; i++) {
    const code = `W-${String(i).padStart(3, '0')}`;
    const row = page.locator(`tr[data-well="${code}"]`);
    for (const [product, rateCode] of Object.entries(rateCodes)) {
      expectShown(
        await metric(row, `well-${product}-today`),
        averageRate(slotsIn(rateCode, code, todayStart, closedEnd)),
        `${code} ${product} today`,
      );
      expectShown(
        await metric(row, `well-${product}-yesterday`),
        averageRate(slotsIn(rateCode, code, yesterdayStart, todayStart)),
        `${code} ${product} yesterday`,
      );
    }
  }

  // Quality: completeness over every variable's closed slots; suspect and missing slots.
  const today = history.variables.flatMap((v) =>
    v.slots.filter((s) => s.start >= todayStart && s.start < closedEnd),
  );
  const expectedSlots = history.variables.length * elapsed;
  const completeness = today.reduce((sum, s) => sum + s.completeness, 0) / expectedSlots;
  expectShown(await metric(page, 'completeness'), completeness * 100, 'completeness %');
  expect(await metric(page, 'flag-S')).toBe(today.filter((s) => s.flag === 'S').length);
  expect(await metric(page, 'flag-M')).toBe(expectedSlots - today.length);
  expect(await metric(page, 'alerts-critical')).toBe(0);
  // Two reports delivered on time in the last 30 days (the third one's delivery failed).
  expect(await page.locator('[data-metric="submissions-on-time"]').textContent()).toMatch(/^2 /);
  return { elapsed };
}

describe('the production dashboard', { timeout: 180_000 }, () => {
  it('shows on a desktop the numbers this test computes from 30 days of 20 wells', async () => {
    const context = await newDesktopContext(browser);
    const errors = collectErrors(context);
    try {
      const page = await signInHere(context);
      await checkDashboard(page, 20);
      // The forecast panels: a fitted method for each product (30 days of history).
      for (const product of ['oil', 'gas', 'water'])
        expect(await page.locator(`[data-forecast="${product}"]`).textContent()).toContain('MAPE');
      expect(await page.locator('table.heatmap tr').count()).toBe(12); // variable codes
      await screenshot(page, 'dashboard-desktop');
      expect(errors.list()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows the same numbers on a phone, one column, nothing wider than the screen', async () => {
    const context = await newPhoneContext(browser);
    const errors = collectErrors(context);
    try {
      const page = await signInHere(context);
      await checkDashboard(page, 5);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await screenshot(page, 'dashboard-phone');
      expect(errors.list()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('speaks English when the user chose it: the words and the numbers', async () => {
    const context = await newDesktopContext(browser, { locale: 'en-US' });
    const errors = collectErrors(context);
    try {
      await context.addCookies([{ name: LOCALE_COOKIE, value: 'en', url: server.url }]);
      const page = await signInHere(context, dictionary('en'));
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await page.getByRole('heading', { level: 1, name: 'Production' }).waitFor();
      shownLocale = 'en';
      await checkDashboard(page, 3);
      await screenshot(page, 'dashboard-desktop-en');
      expect(errors.list()).toEqual([]);
    } finally {
      shownLocale = 'es-CO';
      await context.close();
    }
  });

  it('the other main screens, on a desktop and a phone, for a reviewer to look at', async () => {
    for (const [size, open] of [
      ['desktop', newDesktopContext],
      ['phone', newPhoneContext],
    ] as const) {
      const context = await open(browser);
      const errors = collectErrors(context);
      try {
        const page = await signInHere(context);
        const base = new URL(page.url()).pathname;
        const main = page.getByRole('main');

        await page.goto(`${server.url}${base}/informes`);
        await main.getByRole('heading', { level: 1, name: t.reportsUi.title }).waitFor();
        expect(await main.locator(`a[href^="${base}/informes/"]`).count()).toBeGreaterThanOrEqual(
          3,
        );
        await screenshot(page, `reports-${size}`);

        await main.locator(`a[href^="${base}/informes/"]`).first().click();
        await page.waitForURL(/\/informes\/[0-9a-f-]{36}/);
        await main.getByRole('heading', { level: 1 }).waitFor();
        await screenshot(page, `report-${size}`);

        await page.goto(`${server.url}${base}/auditoria`);
        await main.getByRole('button', { name: t.auditUi.verify }).click();
        await expect.poll(() => main.getByRole('status').textContent()).toContain('✓');
        await screenshot(page, `audit-${size}`);

        await page.goto(`${server.url}${base}/puntos/${history.wellIds[0]}`);
        await main.getByRole('heading', { level: 1 }).waitFor();
        expect(await main.getByRole('heading', { level: 1 }).textContent()).toContain('W-001');
        // Every variable of the well shows its last value (from the last closed slot here:
        // the seeded history has no raw samples).
        expect(await main.getByText(t.pointDetail.noData, { exact: true }).count()).toBe(0);
        await screenshot(page, `well-${size}`);
        expect(errors.list()).toEqual([]);
      } finally {
        await context.close();
      }
    }
  });
});
