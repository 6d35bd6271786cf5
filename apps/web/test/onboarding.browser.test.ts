import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '@anh/connector/config';
import { useTestDatabase } from '@anh/db/test-helpers';
import { dictionary } from '~/lib/i18n';
import { collectErrors, launchBrowser, newPhoneContext, screenshot } from './browser';
import { startNextServer, type NextServer } from './next-server';
import { startTestSmtpServer, type TestSmtpServer } from './smtp-server';

/**
 * A new company from sign-up to a registered connector with its configuration file
 * downloaded, in Spanish, on a phone, in Debian's Chromium against the built app: the
 * confirmation e-mail goes through a real SMTP server; bad input (an invalid NIT, a
 * duplicate tag, an unreachable FTP host) is answered in Spanish; no console error
 * (CSP violations included) happens on the way.
 */
const testDb = useTestDatabase();
const t = dictionary('es-CO');
const email = `gerente-${Date.now()}@llanos.example.co`;
const password = 'una-clave-larga-de-verdad';

let server: NextServer;
let browser: Browser;
let smtp: TestSmtpServer;

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  [server, browser] = await Promise.all([
    startNextServer({
      env: {
        DATABASE_URL: testDb().url,
        REDIS_URL: inject('redisUrl'),
        TENANT_ROLE_SECRET: inject('tenantRoleSecret'),
        NEXTAUTH_SECRET: randomBytes(32).toString('base64url'),
        SECRETS_KEYRING: `k1:${randomBytes(32).toString('base64')}`,
        SMTP_URL: smtp.url,
      },
    }),
    launchBrowser(),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
}, 30_000);

async function mailedLink(path: string, to: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const decoded = smtp
      .output()
      .replace(/=\r?\n/g, '')
      .replace(/=3D/g, '=');
    const mine = decoded
      .split('---------- MESSAGE FOLLOWS ----------')
      .filter((b) => b.includes(to));
    const match = mine.at(-1)?.match(new RegExp(`(http://127\\.0\\.0\\.1:\\d+/${path}\\S+)`));
    if (match) return match[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${path} link mailed to ${to}`);
}

async function fill(page: Page, form: string, values: Record<string, string>) {
  const scope = page.getByRole('form', { name: form });
  for (const [label, value] of Object.entries(values))
    await scope.getByLabel(label, { exact: true }).fill(value);
  return scope;
}

describe(
  'a new company, from sign-up to a connector ready to install',
  { timeout: 180_000 },
  () => {
    it('walks the whole way in Spanish on a phone', async () => {
      const context = await newPhoneContext(browser, { acceptDownloads: true });
      const errors = collectErrors(context, {
        // The wrong NIT (400), the refused sign-in before confirming (401) and the duplicate
        // tag (409) are answers by design; Chromium logs every failed fetch as a console
        // error. Anything else is a real error.
        ignore: [
          /status of (400|409) .*\/api\/trpc\//,
          /status of 401 .*\/api\/auth\/callback\/credentials/,
        ],
      });
      const page = await context.newPage();
      try {
        // 1. Sign-up, with a NIT whose check digit is wrong first.
        await page.goto(`${server.url}/registro`);
        const signUp = await fill(page, t.signUpTitle, {
          [t.yourName]: 'Gerente de Producción',
          [t.email]: email,
          [t.newPassword]: password,
          [t.legalName]: 'Petrolera de los Llanos S.A.S.',
          [t.nit]: '900.123.456-0',
          [t.anhOperatorCode]: 'LLANOS7',
        });
        await signUp.getByRole('button', { name: t.createCompany }).click();
        await expect
          .poll(() => signUp.getByRole('alert').textContent())
          .toBe('NIT inválido: el dígito de verificación debería ser 8');
        await screenshot(page, 'onboarding-1-invalid-nit-phone');
        await signUp.getByLabel(t.nit, { exact: true }).fill('900.123.456-8');
        await signUp.getByRole('button', { name: t.createCompany }).click();
        await expect
          .poll(() => page.getByRole('main').getByRole('status').first().textContent())
          .toContain(t.signUpDone);

        // 2. Signing in before confirming the e-mail is refused, with the reason.
        await page.goto(`${server.url}/login`);
        await fill(page, t.signIn, { [t.email]: email, [t.password]: password });
        await page
          .getByRole('form', { name: t.signIn })
          .getByRole('button', { name: t.signIn })
          .click();
        await expect
          .poll(() => page.getByRole('main').getByRole('alert').textContent())
          .toBe(t.refusals.email_unverified);

        // 3. The confirmation link from the e-mail, then sign-in.
        await page.goto(await mailedLink('verificar', email));
        await expect
          .poll(() => page.getByRole('main').getByRole('status').textContent())
          .toBe(t.verified);
        await page.goto(`${server.url}/login`);
        await fill(page, t.signIn, { [t.email]: email, [t.password]: password });
        await page
          .getByRole('form', { name: t.signIn })
          .getByRole('button', { name: t.signIn })
          .click();
        await page.waitForURL(/\/t\/[a-z0-9-]+$/);
        const base = new URL(page.url()).pathname;
        expect(await page.getByText('Petrolera de los Llanos S.A.S.').first().isVisible()).toBe(
          true,
        );
        expect(await page.getByText(t.noSites).isVisible()).toBe(true);

        // 4. A site, a well and two of its catalog variables.
        await page.getByRole('link', { name: t.nav.sites }).click();
        await page.waitForURL(`**${base}/estaciones`);
        const site = await fill(page, t.newSite, {
          [t.code]: 'CPF-RUBI',
          [t.name]: 'CPF Rubí',
          [t.fieldName]: 'Rubí',
          [`${t.latitude} (${t.optional})`]: '4,142',
          [`${t.longitude} (${t.optional})`]: '-72,931',
        });
        await site.getByRole('button', { name: t.newSite }).click();
        await page.getByRole('heading', { name: /CPF Rubí/ }).waitFor();
        const point = await fill(page, `${t.newPoint} CPF-RUBI`, {
          [t.code]: 'RUB-001',
          [t.name]: 'Rubí 1',
        });
        await point.getByRole('button', { name: t.newPoint }).click();
        await page.getByText('RUB-001 · Rubí 1').click();
        const variable = page.getByRole('form', { name: `${t.addVariable} RUB-001` });
        await variable.getByLabel(t.variable).selectOption('tubing_head_pressure');
        await variable.getByLabel(t.unit).selectOption('psig');
        await variable.getByRole('button', { name: t.add }).click();
        await page.getByText('(tubing_head_pressure, psig)').waitFor();
        await variable.getByLabel(t.variable).selectOption('casing_head_pressure');
        await variable.getByLabel(t.unit).selectOption('psig');
        await variable.getByRole('button', { name: t.add }).click();
        await page.getByText('(casing_head_pressure, psig)').waitFor();
        await screenshot(page, 'onboarding-2-sites-phone');

        // 5. The connector: registered, a Modbus source, tags mapped (a duplicate refused).
        await page.getByRole('link', { name: t.nav.connectors }).click();
        const register = await fill(page, t.newConnector, { [t.connectorName]: 'Estación Rubí' });
        await register.getByRole('button', { name: t.newConnector }).click();
        const card = page.getByRole('region', { name: 'Estación Rubí' });
        await card.getByText(t.statusPending).waitFor();
        await card.getByRole('link', { name: t.mappingTitle }).click();
        await page.waitForURL(/\/conectores\/[0-9a-f-]{36}$/);
        const source = await fill(page, t.saveSource, {
          [t.sourceId]: 'plc1',
          [t.host]: '192.0.2.10',
        });
        await source.getByRole('button', { name: t.saveSource }).click();
        await page.getByText('plc1 · modbus-tcp · 192.0.2.10:502').waitFor();
        const map = page.getByRole('form', { name: t.map });
        await map.getByLabel(t.variable).selectOption({ label: 'RUB-001 · tubing_head_pressure' });
        await map.getByLabel(t.register).fill('100');
        await map.getByRole('button', { name: t.map }).click();
        await expect
          .poll(() => map.getByRole('status').textContent())
          .toContain('plc1/modbus/1/holding/100');
        await map.getByLabel(t.variable).selectOption({ label: 'RUB-001 · casing_head_pressure' });
        await map.getByLabel(t.register).fill('100');
        await map.getByRole('button', { name: t.map }).click();
        await expect
          .poll(() => map.getByRole('alert').textContent())
          .toBe(
            'La etiqueta plc1/modbus/1/holding/100 ya está asignada a RUB-001 · tubing_head_pressure',
          );
        await screenshot(page, 'onboarding-3-duplicate-tag-phone');
        await map.getByLabel(t.register).fill('102');
        await map.getByRole('button', { name: t.map }).click();
        await expect
          .poll(() => map.getByRole('status').textContent())
          .toContain('plc1/modbus/1/holding/102');
        // An IEC 104 source: the standard's defaults shown; its tags ask for CA, IOA and kind.
        await source.getByLabel(t.sourceType).selectOption('iec104');
        expect(await source.getByLabel(t.port, { exact: true }).inputValue()).toBe('2404');
        expect(await source.getByLabel(t.iec104Settings.k, { exact: true }).inputValue()).toBe(
          '12',
        );
        await fill(page, t.saveSource, { [t.sourceId]: 'rtu1', [t.host]: '192.0.2.20' });
        await source.getByRole('button', { name: t.saveSource }).click();
        await page.getByText('rtu1 · iec104 · 192.0.2.20:2404').waitFor();
        await map.getByLabel(t.sourceId).selectOption('rtu1');
        await map.getByLabel(t.ioa, { exact: true }).waitFor();
        expect(await map.getByLabel(t.iec104Type).inputValue()).toBe('float');
        expect(await map.getByLabel(t.register).count()).toBe(0);
        await screenshot(page, 'onboarding-3b-iec104-phone');

        // 6. The configuration file, downloaded: the connector's own loader accepts it.
        await page.getByRole('link', { name: t.nav.connectors }).click();
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page
            .getByRole('region', { name: 'Estación Rubí' })
            .getByRole('button', { name: t.downloadConfig })
            .click(),
        ]);
        expect(download.suggestedFilename()).toMatch(/^anh-connector-.+-estacion-rubi\.yaml$/);
        const yaml = await readFile(await download.path(), 'utf8');
        const code = await page.getByTestId('enrollment-code').textContent();
        expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
        expect(yaml).toContain(`--code ${code}`);
        const checked = parseConfig(yaml);
        if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
        expect(checked.config.connector.cloudUrl).toBe(server.url);
        expect(checked.config.sources).toEqual([
          expect.objectContaining({
            id: 'plc1',
            type: 'modbus-tcp',
            host: '192.0.2.10',
            port: 502,
          }),
          expect.objectContaining({
            id: 'rtu1',
            type: 'iec104',
            host: '192.0.2.20',
            port: 2404,
            k: 12,
            w: 8,
            interrogationIntervalMs: 900_000,
          }),
        ]);
        expect(
          checked.config.tags.map((tag) => [
            tag.point,
            tag.variable,
            tag.unit,
            tag.modbus?.address,
          ]),
        ).toEqual([
          ['RUB-001', 'casing_head_pressure', 'psig', 102],
          ['RUB-001', 'tubing_head_pressure', 'psig', 100],
        ]);
        await screenshot(page, 'onboarding-4-connector-phone');

        // 7. ANH delivery: an unreachable FTP host is explained in Spanish.
        await page.getByRole('link', { name: t.nav.delivery }).click();
        const delivery = await fill(page, t.deliveryTitle, {
          [t.host]: '127.0.0.1',
          [t.port]: '9',
          [t.username]: 'anh',
          [t.password]: 'clave-ftp',
        });
        await delivery.getByLabel(t.tlsMode).selectOption('none');
        await delivery.getByRole('button', { name: t.save }).click();
        await page.getByRole('button', { name: t.testConnection }).waitFor();
        await page.getByRole('button', { name: t.testConnection }).click();
        await expect
          .poll(() => page.getByRole('main').getByRole('alert').textContent(), { timeout: 20_000 })
          .toMatch(/^El servidor rechazó la conexión: revise el host y el puerto/);
        await screenshot(page, 'onboarding-5-delivery-phone');

        // 8. English, switched in the header: screens and server messages follow.
        const en = dictionary('en');
        await page.getByRole('button', { name: 'EN', exact: true }).click();
        await page.getByRole('link', { name: en.nav.connectors }).waitFor();
        expect(await page.locator('html').getAttribute('lang')).toBe('en');
        await page.getByRole('button', { name: en.testConnection }).click();
        await expect
          .poll(() => page.getByRole('main').getByRole('alert').textContent(), { timeout: 20_000 })
          .toMatch(/^The server refused the connection: check host and port/);
        await page.getByRole('button', { name: 'ES', exact: true }).click();
        await page.getByRole('link', { name: t.nav.connectors }).waitFor();

        expect(errors.list()).toEqual([]);
      } finally {
        await context.close();
      }
    });
  },
);
