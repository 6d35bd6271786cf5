import { createECDH, randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Tenant } from '@anh/db';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { tenantBindings } from '@anh/db/test-fixtures';
import type { VariableBinding } from '@anh/db/telemetry';
import { dictionary, LOCALE_COOKIE } from '~/lib/i18n';
import { fieldDictionary } from '~/lib/i18n-field';
import { storeManualReadings } from '~/server/ingest/manual';
import { collectErrors, launchBrowser, newPhoneContext, screenshot, signIn } from './browser';
import { startNextServer, type NextServer } from './next-server';

/**
 * The field app on a phone, in Debian's Chromium against the built app: the manifest and
 * its icons, the service worker, the field page opened without network, and a manual
 * reading entered offline that reaches the database exactly once when the network returns.
 *
 * "No network" is real here: the app is reached through a TCP relay this test cuts
 * (every connection dropped, new ones refused), on top of Chromium's offline emulation
 * (which is what the page's `online`/`offline` events follow). So nothing offline can
 * quietly come from the server.
 */
const testDb = useTestDatabase();
const t = dictionary('es-CO');
const f = fieldDictionary('es-CO');
const password = 'clave-del-operador-de-campo';
const MINUTE = 60_000;

let relay: Relay;
let server: NextServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let tenant: Tenant;
let operator: User;
let vars: VariableBinding[];
let errors: ReturnType<typeof collectErrors>;
let pagesAsOf: string;
/** True while this test has cut the network on purpose. */
let networkCut = false;

/** A reading time a whole number of minutes ago (the form's resolution), in ms. */
const minutesAgo = (n: number) => Math.floor(Date.now() / MINUTE) * MINUTE - n * MINUTE;
/** ms → the form's datetime-local value in Bogotá time (UTC−5, no DST). */
const bogotaInput = (ms: number) => new Date(ms - 5 * 3600_000).toISOString().slice(0, 16);
// The tank's level an hour ago, already stored (by another reading) when the phone sends
// its own value for the same minute: the conflict.
const conflictAt = minutesAgo(60);
const offlineAt = minutesAgo(30);

interface Relay {
  url: string;
  port: number;
  to(port: number): void;
  /** Drops every open connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP relay on 127.0.0.1 in front of `next start`, which the test can cut. */
async function startRelay(): Promise<Relay> {
  let target = 0;
  let down = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (down || target === 0) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    to: (p) => {
      target = p;
    },
    cut: () => {
      down = true;
      for (const s of open) s.destroy();
    },
    restore: () => {
      down = false;
    },
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function offline(on: BrowserContext = context): Promise<void> {
  networkCut = true;
  relay.cut();
  await on.setOffline(true);
}

async function online(on: BrowserContext = context): Promise<void> {
  relay.restore();
  await on.setOffline(false);
  // Reports of requests that failed during the cut may still be on their way.
  await new Promise((resolve) => setTimeout(resolve, 250));
  networkCut = false;
}

/**
 * While the network is cut on purpose the browser reports the requests it could not make
 * (the live-alert token, a refresh): expected then, and only then.
 */
const NETWORK_DOWN = /Failed to load resource: net::ERR_[A-Z_]+/;
const whileCut = { test: (line: string) => networkCut && NETWORK_DOWN.test(line) } as RegExp;

/** What the tenant holds for one idempotency key (= batch id). */
async function storedFor(batchId: string) {
  return testDb().db.withTenantClient(tenant.id, async (client) => ({
    batches: (
      await client.query<{ seq: string; sample_count: number; stored_count: number }>(
        'SELECT seq, sample_count, stored_count FROM ingest_batches WHERE id = $1',
        [batchId],
      )
    ).rows,
    samples: (
      await client.query<{ value: number; ts: Date }>(
        `SELECT s.value, s.ts FROM samples s JOIN ingest_batches b ON b.seq = s.batch_seq
          WHERE b.id = $1`,
        [batchId],
      )
    ).rows,
  }));
}

async function samplesAt(variableId: string, ms: number) {
  return testDb().db.withTenantClient(
    tenant.id,
    async (client) =>
      (
        await client.query<{ value: number }>(
          'SELECT value FROM samples WHERE variable_id = $1 AND ts = $2',
          [variableId, new Date(ms).toISOString()],
        )
      ).rows,
  );
}

const batchCount = () =>
  testDb().db.withTenantClient(tenant.id, async (client) =>
    Number(
      (await client.query<{ n: string }>('SELECT count(*) AS n FROM ingest_batches')).rows[0]!.n,
    ),
  );

/** Width and height from a PNG's IHDR chunk (bytes 16–23). */
function pngSize(bytes: Buffer): string {
  expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

/** The phone's queued readings, as the page's IndexedDB holds them. */
function queued(
  on: Page = page,
): Promise<Array<Record<string, unknown> & { key: string; state: string }>> {
  return on.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('anh-field');
        open.onerror = () => reject(new Error(String(open.error)));
        open.onsuccess = () => {
          const all = open.result.transaction('readings').objectStore('readings').getAll();
          all.onsuccess = () => {
            resolve(all.result);
            open.result.close();
          };
        };
      }),
  );
}

async function enterReading(
  kind: string,
  point: string,
  value: string,
  atMs: number,
  on: Page = page,
) {
  const form = on.getByRole('form', { name: f.newReading });
  await form.getByLabel(f.kind).selectOption({ label: kind });
  const pointOption = form.getByLabel(f.point).locator('option', { hasText: point });
  await form.getByLabel(f.point).selectOption(await pointOption.getAttribute('value'));
  await form.getByLabel(f.variable).selectOption({ label: 'Nivel del tanque (ft)' });
  await form.getByLabel(f.value).fill(value);
  await form.getByLabel(f.when).fill(bogotaInput(atMs));
  await form.getByRole('button', { name: f.saveReading }).click();
  await form.getByRole('status').waitFor();
}

beforeAll(async () => {
  const { db } = testDb();
  tenant = await seedTenant(db);
  await seedField(db, tenant.id, { wells: 2, siteCode: 'CAMPO-1' });
  operator = await seedUser(db, { password });
  const engineer = await seedUser(db);
  await seedMembership(db, tenant.id, operator.id, 'operator');
  await seedMembership(db, tenant.id, engineer.id, 'engineer');
  vars = await tenantBindings(db, tenant.id);
  const of = (point: string, code: string) =>
    vars.find((v) => v.pointCode === point && v.code === code)!;
  // Last values for the page: the wells' pressures minutes ago, the tank an hour ago.
  await storeManualReadings(
    db,
    tenant.id,
    engineer.id,
    {
      kind: 'other',
      readings: [
        { variableId: of('W-001', 'tubing_head_pressure').id, ts: iso(minutesAgo(5)), value: 412 },
        { variableId: of('W-002', 'tubing_head_pressure').id, ts: iso(minutesAgo(5)), value: 388 },
        { variableId: of('TK-01', 'tank_level').id, ts: iso(conflictAt), value: 20 },
      ],
    },
    { nowMs: Date.now(), retentionMonths: 60 },
  );
  // An open alert on W-001 for the operator to acknowledge.
  await db.withTenantClient(tenant.id, (client) =>
    client.query(
      `INSERT INTO alerts (kind, severity, audience, subject, message, data, raised_at)
       VALUES ('anomaly.point', 'warning', ARRAY['operator'], 'W-001',
               'Presión de cabeza inusual en W-001 / Unusual tubing head pressure at W-001',
               '{"point": "W-001"}', now() - interval '20 minutes')`,
    ),
  );
  relay = await startRelay();
  [server, browser] = await Promise.all([
    startNextServer({
      env: {
        DATABASE_URL: testDb().url,
        REDIS_URL: inject('redisUrl'),
        TENANT_ROLE_SECRET: inject('tenantRoleSecret'),
        NEXTAUTH_SECRET: randomBytes(32).toString('base64url'),
        // The browser reaches the app through the relay: that is its origin.
        NEXTAUTH_URL: relay.url,
        // A VAPID public key (a P-256 point): the page then offers Web Push.
        VAPID_PUBLIC_KEY: vapidPublicKey(),
      },
    }),
    launchBrowser(),
  ]);
  relay.to(Number(new URL(server.url).port));
  context = await newPhoneContext(browser);
  errors = collectErrors(context, { ignore: [whileCut] });
  page = await signInHere(context);
}, 180_000);

const signInHere = (on: BrowserContext) =>
  signIn(on, { url: relay.url, email: operator.email, password, words: t });

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  await relay?.close();
}, 30_000);

function vapidPublicKey(): string {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return ecdh.getPublicKey().toString('base64url');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

describe('the field app on a phone', { timeout: 60_000 }, () => {
  it('has a valid manifest with fetchable icons and an active service worker', async () => {
    await page.getByRole('navigation').getByRole('link', { name: f.nav, exact: true }).click();
    await page.waitForURL(/\/campo$/);
    await page.getByRole('heading', { level: 1, name: f.title }).waitFor();

    // The manifest, linked in the page's language.
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    expect(href).toBe('/manifest.webmanifest?lang=es-CO');
    const response = await page.request.get(`${relay.url}${href}`);
    expect(response.headers()['content-type']).toMatch(/^application\/manifest\+json/);
    const manifest = (await response.json()) as Record<string, unknown> & {
      icons: Array<{ src: string; sizes: string; type: string; purpose: string }>;
    };
    expect(manifest).toMatchObject({
      id: '/',
      name: f.app.name,
      short_name: f.app.shortName,
      lang: 'es-CO',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      theme_color: '#1f2937',
      background_color: '#f6f7f9',
    });
    const english = (await (
      await page.request.get(`${relay.url}/manifest.webmanifest?lang=en`)
    ).json()) as { name: string; lang: string };
    expect(english).toMatchObject({ name: fieldDictionary('en').app.name, lang: 'en' });
    // Installable: 192 and 512 "any", and maskable ones; each PNG has its declared size.
    for (const [size, purpose] of [
      ['192x192', 'any'],
      ['512x512', 'any'],
      ['512x512', 'maskable'],
    ])
      expect(manifest.icons.some((i) => i.sizes === size && i.purpose === purpose)).toBe(true);
    for (const icon of manifest.icons) {
      const bytes = await page.request.get(`${relay.url}${icon.src}`);
      expect([icon.src, bytes.status(), bytes.headers()['content-type']]).toEqual([
        icon.src,
        200,
        'image/png',
      ]);
      expect([icon.src, pngSize(await bytes.body())]).toEqual([icon.src, icon.sizes]);
    }
    // iOS: home-screen icon and standalone mode.
    const apple = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');
    expect(pngSize(await (await page.request.get(`${relay.url}${apple}`)).body())).toBe('180x180');
    expect(
      await page.locator('meta[name="apple-mobile-web-app-capable"]').getAttribute('content'),
    ).toBe('yes');
    expect(await page.locator('meta[name="theme-color"]').getAttribute('content')).toBe('#1f2937');

    // The service worker: registered for the whole app, active, controlling this page.
    const worker = await page.evaluate(async () => {
      const ready = await navigator.serviceWorker.ready;
      for (let i = 0; i < 100 && !navigator.serviceWorker.controller; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      return {
        scope: ready.scope,
        script: ready.active?.scriptURL,
        state: ready.active?.state,
        controlled: navigator.serviceWorker.controller !== null,
      };
    });
    expect(worker).toEqual({
      scope: `${relay.url}/`,
      script: `${relay.url}/sw.js`,
      state: 'activated',
      controlled: true,
    });
    // The CSP lets the worker and the manifest load (and nothing else of theirs).
    const policy = (await page.request.get(page.url())).headers()['content-security-policy'];
    expect(policy).toContain(`worker-src 'self'`);
    expect(policy).toContain(`manifest-src 'self'`);

    // The page itself: wells and tanks with status and last values, the open alert.
    const well = page.locator('[data-point="W-001"]');
    expect(await well.getAttribute('data-status')).toBe('alert');
    expect(
      await well.locator('[data-variable="tubing_head_pressure"] [data-value]').textContent(),
    ).toBe('412');
    expect(await well.textContent()).toMatch(/hace [5-7] min/);
    expect(await page.locator('[data-point="W-002"]').getAttribute('data-status')).toBe('ok');
    expect(
      await page
        .locator('[data-point="TK-01"] [data-variable="tank_level"] [data-value]')
        .textContent(),
    ).toBe('20');
    expect(await page.locator('[data-alert]').count()).toBe(1);
    // Web Push is offered (the server has a VAPID key; Chromium has no push service here,
    // so subscribing itself is tested on the server side, against a local push service).
    await page.getByRole('button', { name: f.push.enable }).waitFor();
    expect(await page.locator('[data-push]').getAttribute('data-push')).toBe('off');
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'field-phone');
    expect(errors.list()).toEqual([]);
  });

  it('acknowledges an alert with a comment', async () => {
    const alert = page.locator('[data-alert]').first();
    await alert.getByLabel(f.acknowledgeComment).fill('Revisado en sitio: válvula cerrada');
    await alert.getByRole('button', { name: f.acknowledge }).click();
    await alert.locator('[data-acknowledged]').waitFor();
    const rows = await testDb().db.withTenantClient(
      tenant.id,
      async (client) =>
        (
          await client.query<{ acknowledged_by: string; acknowledge_comment: string }>(
            'SELECT acknowledged_by, acknowledge_comment FROM alerts WHERE acknowledged_at IS NOT NULL',
          )
        ).rows,
    );
    expect(rows).toEqual([
      { acknowledged_by: operator.id, acknowledge_comment: 'Revisado en sitio: válvula cerrada' },
    ]);
    expect(errors.list()).toEqual([]);
  });

  it('after one visit, opens offline with the last data seen; an unseen page says offline', async () => {
    // The page and its data are in the worker's cache once it has fetched them.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: f.title }).waitFor();
    pagesAsOf = (await page.locator('[data-as-of]').getAttribute('data-as-of'))!;
    await expect
      .poll(() =>
        page.evaluate(
          async (url) => Boolean(await (await caches.open('anh-pages')).match(url)),
          page.url(),
        ),
      )
      .toBe(true);

    await offline();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: f.title }).waitFor();
    // The copy this phone last saw (its time stamp), and the page knows it is offline.
    expect(await page.locator('[data-as-of]').getAttribute('data-as-of')).toBe(pagesAsOf);
    expect(await page.locator('[data-online]').getAttribute('data-online')).toBe('false');
    expect(
      await page
        .locator('[data-point="W-001"] [data-variable="tubing_head_pressure"] [data-value]')
        .textContent(),
    ).toBe('412');
    await screenshot(page, 'field-phone-offline');

    const unseen = await context.newPage();
    await unseen.goto(
      `${new URL(page.url()).origin}${new URL(page.url()).pathname.replace(/campo$/, 'estaciones')}`,
    );
    await unseen.getByRole('heading', { level: 1, name: f.offline.title }).waitFor();
    await screenshot(unseen, 'offline-page-phone');
    await unseen.close();
    expect(errors.list()).toEqual([]);
  });

  it('a reading entered offline reaches the database exactly once when the network returns', async () => {
    const level = vars.find((v) => v.pointCode === 'TK-01' && v.code === 'tank_level')!;
    const before = await batchCount();
    await enterReading(f.kinds.tank_gauging, 'TK-01', '21,5', offlineAt);
    const [item] = (await queued()).filter((r) => r.state === 'pending');
    expect(item).toBeDefined();
    const key = item!.key;
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const row = page.locator(`[data-reading="${key}"]`);
    expect(await row.getAttribute('data-state')).toBe('pending');
    expect(
      await page.getByRole('form', { name: f.newReading }).getByRole('status').textContent(),
    ).toBe(f.savedOffline);
    // Nothing has left the phone.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await batchCount()).toBe(before);
    await screenshot(page, 'field-phone-pending');

    await online();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('sent');
    const delivered = (await queued()).find((r) => r.key === key)!;
    console.log(`pwa: the offline reading was delivered by ${String(delivered.sentBy)}`);
    const held = await storedFor(key);
    expect(held.batches).toHaveLength(1);
    expect(held.samples.map((s) => [s.value, s.ts.getTime()])).toEqual([[21.5, offlineAt]]);
    expect(await samplesAt(level.id, offlineAt)).toEqual([{ value: 21.5 }]);
    expect(await batchCount()).toBe(before + 1);
    // The page shows it among the tank's last values once it is in.
    await expect
      .poll(
        () =>
          page
            .locator('[data-point="TK-01"] [data-variable="tank_level"] [data-value]')
            .textContent(),
        { timeout: 10_000 },
      )
      .toBe('21,5');

    // A forced second replay (what a lost answer would cause): the same request again.
    const replay = await page.evaluate(
      async (input) => {
        const response = await fetch('/api/trpc/readings.addManual', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ json: input }),
        });
        return (await response.json()) as { result: { data: { json: Record<string, unknown> } } };
      },
      { tenantSlug: tenant.slug, ...(delivered.input as Record<string, unknown>) },
    );
    expect(replay.result.data.json).toMatchObject({
      batchId: key,
      replay: true,
      stored: 1,
      conflicts: [],
    });
    expect((await storedFor(key)).batches).toHaveLength(1);
    expect(await samplesAt(level.id, offlineAt)).toEqual([{ value: 21.5 }]);
    expect(await batchCount()).toBe(before + 1);
    expect(errors.list()).toEqual([]);
  });

  it('shows a conflict: the phone sent a value for a time that already held another', async () => {
    const level = vars.find((v) => v.pointCode === 'TK-01' && v.code === 'tank_level')!;
    await enterReading(f.kinds.tank_gauging, 'TK-01', '22,75', conflictAt);
    const latest = (await queued()).sort((a, b) => Number(b.enteredAt) - Number(a.enteredAt))[0]!;
    const row = page.locator(`[data-reading="${latest.key}"]`);
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('conflict');
    expect(await row.locator('[data-conflict]').textContent()).toBe(
      f.conflictDetail('22,75 ft', '20 ft', f.origins.manual),
    );
    // The first value stays; the phone's is not stored.
    expect(await samplesAt(level.id, conflictAt)).toEqual([{ value: 20 }]);
    await row.scrollIntoViewIfNeeded();
    await screenshot(page, 'field-phone-conflict');
    expect(errors.list()).toEqual([]);
  });

  it('where Background Sync does not exist (iOS), the page sends when the network returns', async () => {
    const iphone = await newPhoneContext(browser);
    const iphoneErrors = collectErrors(iphone, { ignore: [whileCut] });
    // Safari has no Background Sync: the registration has no `sync`.
    await iphone.addInitScript(() => {
      // (The script runs in every realm of the page, some without this interface.)
      if (typeof ServiceWorkerRegistration !== 'undefined')
        delete (ServiceWorkerRegistration.prototype as { sync?: unknown }).sync;
    });
    try {
      const phone = await signInHere(iphone);
      await phone.goto(phone.url() + '/campo');
      await phone.getByRole('heading', { level: 1, name: f.title }).waitFor();
      expect(
        await phone.evaluate(async () => 'sync' in (await navigator.serviceWorker.ready)),
      ).toBe(false);
      const before = await batchCount();
      await offline(iphone);
      const at = minutesAgo(20);
      await enterReading(f.kinds.tank_gauging, 'TK-01', '19,75', at, phone);
      const [item] = (await queued(phone)).filter((r) => r.state === 'pending');
      const row = phone.locator(`[data-reading="${item!.key}"]`);
      expect(await row.getAttribute('data-state')).toBe('pending');
      await online(iphone);
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('sent');
      expect((await queued(phone)).find((r) => r.key === item!.key)!.sentBy).toBe('page');
      expect((await storedFor(item!.key)).batches).toHaveLength(1);
      expect(await batchCount()).toBe(before + 1);
      expect(iphoneErrors.list()).toEqual([]);
    } finally {
      await iphone.close();
    }
  });

  it('speaks English when chosen, the precached offline page too', async () => {
    const en = fieldDictionary('en');
    await context.addCookies([{ name: LOCALE_COOKIE, value: 'en', url: relay.url }]);
    try {
      await page.reload();
      await page.getByRole('heading', { level: 1, name: en.title }).waitFor();
      expect(await page.locator('link[rel="manifest"]').getAttribute('href')).toBe(
        '/manifest.webmanifest?lang=en',
      );
      expect(await page.locator('[data-point="TK-01"]').textContent()).toContain(en.status.ok);
      await screenshot(page, 'field-phone-en');
      // The offline page was precached in Spanish; it follows the language chosen since.
      await offline();
      const unseen = await context.newPage();
      await unseen.goto(page.url().replace(/campo$/, 'personas'));
      await unseen.getByRole('heading', { level: 1, name: en.offline.title }).waitFor();
      expect(await unseen.locator('html').getAttribute('lang')).toBe('en');
      await unseen.close();
    } finally {
      await online();
      await context.addCookies([{ name: LOCALE_COOKIE, value: 'es-CO', url: relay.url }]);
      await page.reload();
    }
    expect(errors.list()).toEqual([]);
  });

  it('signing out forgets what this person saw on the phone', async () => {
    await page.getByRole('button', { name: t.signOut }).click();
    await page.waitForURL(/\/login/);
    const left = await page.evaluate(async () => ({
      caches: (await caches.keys()).filter((k) => k.startsWith('anh-')).sort(),
    }));
    expect(left.caches).not.toContain('anh-pages');
    expect(left.caches).not.toContain('anh-data');
    // Delivered readings leave the phone's history too.
    expect((await queued()).filter((r) => r.state === 'sent' || r.state === 'conflict')).toEqual(
      [],
    );
    expect(errors.list()).toEqual([]);
  });
});
