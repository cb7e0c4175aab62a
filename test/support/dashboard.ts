import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { sshOrThrow } from './pushes.js';
import type { SlipwayUnderTest, SshKey } from './slipway.js';

/** A URL of the dashboard's host, through Slipway's nginx. */
export const dashboardUrl = (slipway: SlipwayUnderTest, urlPath: string) =>
  `http://slipway.${slipway.domain}:${slipway.httpPort}${urlPath}`;

/** Debian's headless Chromium, to which the dashboard host resolves to this machine. */
export function launchBrowser(slipway: SlipwayUnderTest): Promise<Browser> {
  return puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', `--host-resolver-rules=MAP slipway.${slipway.domain} 127.0.0.1`],
  });
}

/**
 * Whether the page's script runs (it marks the document ready) and the page has first shown
 * its data (it is no longer busy: a click before then may land on what has moved), waiting
 * up to `timeout` ms.
 */
const isReady = (on: Page, timeout: number) =>
  on
    .waitForFunction(
      () => document.documentElement.dataset.ready === 'true' && !document.querySelector('[aria-busy="true"]'),
      { timeout },
    )
    .then(
      () => true,
      () => false,
    );

/**
 * Opens a dashboard page and waits until its script runs, loading it again (up to three times)
 * when it did not: Chromium here drops requests in flight when the engine adds a network
 * interface (ERR_NETWORK_CHANGED), and a module that did not load leaves the page without its script.
 */
export async function visit(slipway: SlipwayUnderTest, on: Page, urlPath: string) {
  let answer;
  for (let tries = 1; ; tries++) {
    answer = await on
      .goto(dashboardUrl(slipway, urlPath))
      .catch((error: Error) => (tries < 3 ? undefined : Promise.reject(error)));
    if ((await isReady(on, 15_000)) || tries >= 3) return answer;
  }
}

/**
 * Waits for the page the browser landed on (after a form, a redirect) to run, loading it
 * again when it does not (its requests dropped, as `visit` says).
 */
export async function landed(slipway: SlipwayUnderTest, page: Page): Promise<void> {
  if (!(await isReady(page, 15_000))) await visit(slipway, page, new URL(page.url()).pathname);
}

/** Logs in with the token on the login page, as a person types it, and waits for the page it lands on to run. */
export async function logIn(slipway: SlipwayUnderTest, page: Page, token: string): Promise<void> {
  await visit(slipway, page, '/login');
  await page.type('#token', token);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  await landed(slipway, page);
}

/** tokens:create over SSH: the token is the last line it prints. */
export const makeToken = async (slipway: SlipwayUnderTest, name: string, key?: SshKey, extra: string[] = []) =>
  (await sshOrThrow(slipway, ['tokens:create', name, ...extra], { key })).trim().split('\n').at(-1)!;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
