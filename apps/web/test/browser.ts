import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type ConsoleMessage,
  type Page,
} from 'playwright-core';
import { dictionary, type Dictionary } from '~/lib/i18n';

/**
 * Browser tests drive Debian's Chromium (`apt-get install chromium`, see
 * scripts/test-deps.sh) with playwright-core, which never downloads a browser of its own.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchBrowser(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  } catch (error) {
    throw new Error(
      `could not launch ${CHROMIUM_PATH} (bash scripts/test-deps.sh installs it): ${String(error)}`,
    );
  }
}

const colombia = { locale: 'es-CO', timezoneId: 'America/Bogota' } as const;

/** A phone as our field operators hold it: 390×844, touch, Spanish (Colombia), Bogotá time. */
export function newPhoneContext(
  browser: Browser,
  opts: BrowserContextOptions = {},
): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    ...colombia,
    ...opts,
  });
}

/** An office desktop: 1280×800, mouse, Spanish (Colombia), Bogotá time. */
export function newDesktopContext(
  browser: Browser,
  opts: BrowserContextOptions = {},
): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 800 }, ...colombia, ...opts });
}

export interface BrowserErrors {
  /** Everything that went wrong so far, one line each (empty when all is well). */
  list(): string[];
}

/**
 * Collects console messages of type 'error' (these include CSP violations, failed
 * resource loads and React's errors) and uncaught page errors of every page of a context,
 * or of one page. Attach it before the first navigation; assert `list()` is empty.
 * `ignore` drops lines that match (keep it narrow, and say why where it is used).
 */
export function collectErrors(
  target: BrowserContext | Page,
  options: { ignore?: RegExp[] } = {},
): BrowserErrors {
  const errors: string[] = [];
  const record = (line: string) => {
    if (!options.ignore?.some((pattern) => pattern.test(line))) errors.push(line);
  };
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() !== 'error') return;
    const { url, lineNumber } = message.location();
    record(`console: ${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
  };
  const onPageError = (error: Error) => record(`pageerror: ${error.stack ?? error.message}`);
  if (isContext(target)) {
    target.on('console', onConsole);
    target.on('weberror', (webError) => onPageError(webError.error()));
  } else {
    target.on('console', onConsole);
    target.on('pageerror', onPageError);
  }
  return { list: () => [...errors] };
}

function isContext(target: BrowserContext | Page): target is BrowserContext {
  return 'newPage' in target;
}

export const SCREENSHOT_DIR = fileURLToPath(
  new URL('../test-results/screenshots/', import.meta.url),
);

/** Saves a full-page PNG to apps/web/test-results/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[\w.-]+$/.test(name))
    throw new Error(`screenshot name must be a plain file name: ${name}`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = `${SCREENSHOT_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Signs in through the login form (as a person does) in a new page of `context`, and
 * waits for the company page it lands on. `words` are the login form's labels in the
 * language the page is shown in.
 */
export async function signIn(
  context: BrowserContext,
  at: { url: string; email: string; password: string; words?: Dictionary },
): Promise<Page> {
  const words = at.words ?? dictionary();
  const page = await context.newPage();
  await page.goto(`${at.url}/login`);
  const form = page.getByRole('form', { name: words.signIn });
  await form.getByLabel(words.email, { exact: true }).fill(at.email);
  await form.getByLabel(words.password, { exact: true }).fill(at.password);
  await form.getByRole('button', { name: words.signIn }).click();
  await page.waitForURL(/\/t\/[a-z0-9-]+$/);
  return page;
}
