import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { dashboardUrl, landed, launchBrowser, makeToken, visit } from '../support/dashboard.js';
import { commitGreeting } from '../support/pushes.js';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';

/**
 * The dashboard in Debian's Chromium, headless, through Slipway's nginx on the dashboard
 * host: log in, watch a push stream in live, roll back with the button, edit config and scale.
 * Screenshots of each page go to test-artifacts/dashboard/.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'shown';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/dashboard');
let browser: Browser | undefined;
let page: Page;
let repo: string;
let token: string;

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
const textOf = (selector: string) => page.$eval(selector, (node) => node.textContent);

async function pushGreeting(greeting: string) {
  await commitGreeting(slipway, repo, greeting);
  return slipway.push(repo);
}

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await slipway.start();
  token = await makeToken(slipway, 'browser');
  repo = await slipway.appRepo('dockerfile-app', app);
  const pushed = await pushGreeting('first version');
  if (pushed.code !== 0) throw new Error(pushed.output);
  browser = await launchBrowser(slipway);
  page = await browser.newPage();
  page.on('dialog', (dialog) => void dialog.accept()); // the rollback and remove confirmations
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await slipway.destroy();
});

describe('the dashboard in a browser', () => {
  test('another site’s form that logs the browser in with some token is refused: no session cookie', async () => {
    const context = await browser!.createBrowserContext();
    try {
      const evil = await context.newPage();
      await evil.setRequestInterception(true);
      evil.on('request', (request) => {
        if (!request.url().startsWith('http://evil.example/')) return void request.continue();
        const form = `<form method="post" action="${dashboardUrl(slipway, '/login')}"><input name="token" value="${token}"></form><script>document.forms[0].submit()</script>`;
        return void request.respond({ status: 200, contentType: 'text/html', body: form });
      });
      const answered = evil.waitForResponse(
        (response) => response.url() === dashboardUrl(slipway, '/login') && response.request().method() === 'POST',
      );
      await evil.goto('http://evil.example/');
      expect((await answered).status()).toBe(403);
      expect(await context.cookies()).toEqual([]);
    } finally {
      await context.close();
    }
  }, 30_000);

  test('log in with a token and see every app with its state', async () => {
    await visit(slipway, page, '/');
    expect(page.url()).toBe(dashboardUrl(slipway, '/login'));
    await shot('login');
    await page.type('#token', token);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]); // a keyboard is enough
    await landed(slipway, page);
    await page.waitForFunction((name) => document.querySelector('#apps tbody')?.textContent.includes(name), {}, app);
    await page.waitForFunction(() => document.querySelector('#apps tbody .state')?.textContent === 'running');
    expect(await textOf('#apps tbody')).toContain('v1');
    await shot('apps');
  }, 60_000);

  test('a push from a terminal streams into the app page live', async () => {
    await visit(slipway, page, `/apps/${app}`);
    await page.waitForFunction(() => document.getElementById('deploy-log')?.textContent.includes('(deploy succeeded)'));
    // A build step that takes a few seconds, so the page is seen mid-deploy: a warm push is
    // otherwise live in about a second, before any poll could look at it.
    fs.appendFileSync(path.join(repo, 'Dockerfile'), 'RUN sleep 4\n');
    const pushing = pushGreeting('second version');
    await page.waitForFunction(
      () =>
        /Building shown/.test(document.getElementById('deploy-log')?.textContent ?? '') &&
        !document.getElementById('deploy-log')?.textContent.includes('(deploy'),
      { timeout: 60_000 },
    );
    expect((await pushing).code).toBe(0);
    await page.waitForFunction(
      () => document.getElementById('deploy-log')?.textContent.includes('(deploy succeeded)'),
      { timeout: 60_000 },
    );
    expect(await textOf('#deploy-log')).toContain('Application deployed');
    await shot('app-deploy');
  }, 120_000);

  test('roll back with the button: the old version is served through nginx', async () => {
    expect((await slipway.get(slipway.appHost(app))).body).toContain('second version');
    const button = await page.waitForSelector('xpath/.//button[text()="Roll back to v1"]');
    await button!.click();
    await page.waitForFunction(() => document.getElementById('status')?.textContent.includes('done'), {
      timeout: 60_000,
    });
    expect((await slipway.get(slipway.appHost(app))).body).toContain('first version');
  }, 90_000);

  test('edit config: the app restarts with it; values stay masked until revealed', async () => {
    await page.type('#config-key', 'FROM_BROWSER');
    await page.type('#config-value', 'typed in chromium');
    await page.click('#config-form button');
    await eventually(
      async () => (await slipway.get(slipway.appHost(app), '/env/FROM_BROWSER')).body,
      (body) => body === 'typed in chromium',
      60_000,
    );
    await page.waitForFunction(() => document.querySelector('#config tbody')?.textContent.includes('FROM_BROWSER'));
    expect(await textOf('#config tbody')).not.toContain('typed in chromium');
    await page.click('button[aria-label="Reveal FROM_BROWSER"]');
    await page.waitForFunction(() =>
      document.querySelector('#config tbody')?.textContent.includes('typed in chromium'),
    );
    await new Promise((resolve) => setTimeout(resolve, 4000)); // past the next refresh: still revealed
    expect(await textOf('#config tbody')).toContain('typed in chromium');
    await page.click('button[aria-label="Hide FROM_BROWSER"]');
    await page.waitForFunction(
      () => !document.querySelector('#config tbody')?.textContent.includes('typed in chromium'),
    );
    await shot('app-config');
  }, 90_000);

  test('scale web to 2, and see each container’s CPU and memory and its logs live', async () => {
    await page.waitForSelector('#scale-web');
    await page.$eval('#scale-web', (input) => ((input as HTMLInputElement).value = '2'));
    await page.click('#scale-form button');
    await eventually(
      async () => (await slipway.ssh(['ps:scale', app, '--format', 'json'])).stdout,
      (out) => out.includes('"quantity":2'),
      60_000,
    );
    await page.waitForFunction(() => (document.getElementById('containers')?.textContent ?? '').includes('web.2'), {
      timeout: 60_000,
    });
    // Each running container's CPU and memory, charted and refreshed.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#usage figure').length === 2 &&
        /% CPU, [\d.]+ MiB of/.test(document.getElementById('usage')?.textContent ?? ''),
      { timeout: 60_000 },
    );
    expect(await page.$$eval('#usage svg polyline', (lines) => lines.length)).toBe(4);
    // The logs follow live, and follow the new container too.
    await page.waitForFunction(
      () => /app\[web\.2\]: listening/.test(document.getElementById('app-logs')?.textContent ?? ''),
      { timeout: 30_000 },
    );
    for (const n of [1, 2, 3, 4]) await slipway.get(slipway.appHost(app), `/log/line-${n}-from-the-test`);
    await page.waitForFunction(
      () =>
        [1, 2, 3, 4].every((n) => document.getElementById('app-logs')?.textContent.includes(`line-${n}-from-the-test`)),
      { timeout: 30_000 },
    );
    await shot('app');
    await page.setViewport({ width: 390, height: 844 }); // a phone's width: nothing wider than the screen
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('app-phone');
    await page.setViewport({ width: 800, height: 600 });
  }, 150_000); // each wait has its own bound: under a whole suite's load, scaling and sampling both take long

  test('services: create Redis, link it to the app (which restarts with REDIS_URL), take and download a backup', async () => {
    await visit(slipway, page, '/services');
    await page.type('#service-name', 'cache');
    await page.select('#service-type', 'redis');
    await page.click('#service-form button');
    await page.waitForSelector('section[aria-label="redis cache"] .link-form select', { timeout: 120_000 });
    await page.select('section[aria-label="redis cache"] .link-form select', app);
    await page.click('section[aria-label="redis cache"] .link-form button');
    await eventually(
      async () => (await slipway.get(slipway.appHost(app), '/env/REDIS_URL')).body,
      (body) => body.startsWith('redis://'),
      120_000,
    );
    await page.waitForFunction(
      (name) => document.querySelector('section[aria-label="redis cache"] ul')?.textContent.includes(name),
      { timeout: 30_000 },
      app,
    );

    await slipway.ssh(['redis:connect', 'cache'], { input: 'SET greeting hello\n' });
    const take = await page.waitForSelector(
      'xpath/.//section[@aria-label="redis cache"]//button[text()="Take a backup"]',
    );
    await take!.click();
    const link = await page.waitForSelector('section[aria-label="redis cache"] a[download]', { timeout: 60_000 });
    const href = await link!.evaluate((a) => a.href);
    const downloaded = await page.evaluate(
      async (url) => new TextDecoder().decode(await (await fetch(url)).arrayBuffer()),
      href,
    );
    expect(downloaded).toContain('greeting'); // the dump replays the key that was written
    await shot('services');
  }, 240_000);
});
