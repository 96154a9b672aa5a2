import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { expect, it } from 'vitest';

/** Launch flags for Debian's chromium in a container (stack-notes §3.12). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Screenshots and downloads of the browser tests (gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Debian's chromium, as `command -v chromium` finds it; undefined when it is not installed. */
function findChromium(): string | undefined {
  try {
    const path = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return path === '' ? undefined : path;
  } catch {
    return undefined;
  }
}

/**
 * The chromium binary the browser suites run with. Missing chromium skips them with a note, unless
 * SEKTORBRO_REQUIRE_SERVICES=1 (CI), where a failing test is registered instead of a silent skip.
 */
export function chromiumAvailable(): string | undefined {
  const path = findChromium();
  if (path !== undefined) return path;
  if (process.env.SEKTORBRO_REQUIRE_SERVICES === '1') {
    it('when SEKTORBRO_REQUIRE_SERVICES=1, then chromium is installed (command -v chromium)', () => {
      throw new Error('chromium is required but `command -v chromium` finds nothing (apt-get install chromium)');
    });
  } else {
    console.warn('[browser tests] chromium is not installed (command -v chromium): browser runs skipped');
  }
  return undefined;
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

export interface Listening {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** The app on a real port on 127.0.0.1, as a browser reaches it. */
export async function listen(app: Express): Promise<Listening> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => {
      resolve(s);
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${String(port)}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}

/** What a page did that a test should see: requests to other origins, console errors (CSP violations among them), uncaught errors. */
export interface PageWatch {
  foreignRequests: string[];
  consoleErrors: string[];
  pageErrors: string[];
}

export function watchPage(page: Page, origin: string): PageWatch {
  const watch: PageWatch = { foreignRequests: [], consoleErrors: [], pageErrors: [] };
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) watch.foreignRequests.push(url);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') watch.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => watch.pageErrors.push(err.message));
  return watch;
}

/** Signs in through the page's own form, as a person would. */
export async function signIn(page: Page, clientId: string, secret = `${clientId}-secret`): Promise<void> {
  await page.locator('#sign-in').waitFor({ state: 'visible' });
  await page.fill('#client-id', clientId);
  await page.fill('#client-secret', secret);
  await page.click('#sign-in-form button[type=submit]');
  await page.locator('#app').waitFor({ state: 'visible' });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}

/** Clicks what starts a download and returns the file's name and text (kept under test-artifacts/). */
export async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `download-${file.suggestedFilename()}`);
  await file.saveAs(path);
  return { name: file.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

/** One attribute of every element a locator finds, in document order. */
export async function attributes(locator: Locator, name: string): Promise<string[]> {
  const out: string[] = [];
  for (const node of await locator.all()) out.push((await node.getAttribute(name)) ?? '');
  return out;
}

/** `expect.poll` with room for a slow machine: the bound is a safety net, not a timing assertion. */
export const eventually = <T>(fn: () => Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 50 });
