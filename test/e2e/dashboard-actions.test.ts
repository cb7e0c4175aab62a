import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import * as dashboard from '../support/dashboard.js';
import { dashboardUrl, landed, launchBrowser, makeToken, sleep } from '../support/dashboard.js';
import { addUser, pushOrThrow, sshOrThrow } from '../support/pushes.js';
import { makeKey, SlipwayUnderTest, type SshKey } from '../support/slipway.js';

/**
 * What the CLI does, done in the dashboard in Debian's headless Chromium, through Slipway's
 * nginx: create an app, add and remove domains, grant a key, make and revoke tokens, add and
 * remove SSH keys, destroy an app after typing its name; a tenant sees and changes only its
 * own apps; every control is reached with the keyboard. Then each page is photographed in the
 * light and dark themes and at a phone's width, into test/screenshots (the README shows them).
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const SCREENSHOTS = path.resolve(import.meta.dirname, '../screenshots');
const deployed = 'storefront';
const created = 'from-browser';
let browser: Browser | undefined;
let page: Page;
let adminToken: string;
let tenant: SshKey;

const textOf = (selector: string, on: Page = page) => on.$eval(selector, (node) => node.textContent);

const visit = (on: Page, urlPath: string) => dashboard.visit(slipway, on, urlPath);
const logIn = (on: Page, token: string) => dashboard.logIn(slipway, on, token);

/** Waits for the status line to say the action is done (or throws with what it said instead). */
async function done(on: Page = page): Promise<string> {
  await on.waitForFunction(() => /: done$| failed: /.test(document.getElementById('status')?.textContent ?? ''), {
    timeout: 60_000,
  });
  const said = await textOf('#status', on);
  await on.$eval('#status', (node) => (node.textContent = '')); // the next action's answer starts afresh
  return said;
}

/** Fills a form field (its old value replaced). */
async function fill(selector: string, value: string, on: Page = page): Promise<void> {
  await on.$eval(selector, (node) => ((node as HTMLInputElement).value = ''));
  await on.type(selector, value);
}

/** An API request with a bearer token, from the test (not the browser). */
const apiStatus = async (token: string) =>
  (await fetch(`http://127.0.0.1:${slipway.apiPort}/api/v1/apps`, { headers: { authorization: `Bearer ${token}` } }))
    .status;

beforeAll(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await slipway.start();
  adminToken = await makeToken(slipway, 'browser');
  tenant = await addUser(slipway, 'tenant');
  const repo = await slipway.appRepo('dockerfile-app', deployed);
  await pushOrThrow(slipway, repo);
  await sshOrThrow(slipway, ['domains:add', deployed, 'shop.example.com']);
  await sshOrThrow(slipway, ['config:set', deployed, 'GREETING_STYLE=warm', 'DATABASE_URL=postgres://db/shop']);
  browser = await launchBrowser(slipway);
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  page.on('dialog', (dialog) => void dialog.accept()); // the confirmations of removals
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await slipway.destroy();
});

describe('the dashboard does what the CLI does', () => {
  test('an admin creates an app on the apps page; a taken name gets the command’s own error', async () => {
    await logIn(page, adminToken);
    await page.waitForFunction(
      (name) => document.querySelector('#apps tbody')?.textContent.includes(name),
      {},
      deployed,
    );
    await fill('#new-app-name', created);
    await page.keyboard.press('Enter');
    expect(await done()).toBe(`Creating ${created}: done`);
    await page.waitForFunction(
      (name) => document.querySelector('#apps tbody')?.textContent.includes(name),
      {},
      created,
    );
    expect(JSON.parse(await sshOrThrow(slipway, ['apps:list', '--format', 'json']))).toContain(created);

    await fill('#new-app-name', created);
    await page.keyboard.press('Enter');
    expect(await done()).toBe(`Creating ${created} failed: Name is already taken`);
  }, 60_000);

  test('domains are added and removed on the app page', async () => {
    await visit(page, `/apps/${created}`);
    for (const domain of ['www.example.org', 'old.example.org']) {
      await fill('#domain-name', domain);
      await page.keyboard.press('Enter');
      expect(await done()).toBe(`Adding ${domain}: done`);
    }
    await page.waitForFunction(() => document.getElementById('domains')?.textContent.includes('old.example.org'));
    expect(await sshOrThrow(slipway, ['domains:report', created, '--domains-app-vhosts'])).toContain('old.example.org');
    await page.click('button[aria-label="Remove old.example.org"]');
    expect(await done()).toBe('Removing old.example.org: done');
    await page.waitForFunction(() => !document.getElementById('domains')?.textContent.includes('old.example.org'));
    const vhosts = await sshOrThrow(slipway, ['domains:report', created, '--domains-app-vhosts']);
    expect(vhosts).toContain('www.example.org');
    expect(vhosts).not.toContain('old.example.org');
  }, 60_000);

  test('HTTPS: a bad certificate is refused with the command’s reason; Let’s Encrypt is offered', async () => {
    await page.waitForFunction(() => document.getElementById('https-state')?.textContent.includes('HTTP only'));
    expect(await textOf('#https-actions')).toContain("Enable Let's Encrypt");
    await page.click('#https-h ~ details summary');
    await fill('#cert-certificate', 'not a certificate');
    await fill('#cert-key', 'not a key');
    await page.click('#cert-form button[type="submit"]');
    expect(await done()).toMatch(/^Installing the certificate failed: ./);
  }, 30_000);

  test('an admin grants a tenant’s key the app', async () => {
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#grant-key option')].some((o) => o.textContent === 'tenant'),
    );
    await page.select('#grant-key', 'tenant');
    await page.click('#grant-form button');
    expect(await done()).toBe(`Granting ${created} to tenant: done`);
    await page.waitForFunction(() => document.getElementById('grants')?.textContent.includes('tenant'));
    expect(JSON.parse(await sshOrThrow(slipway, ['acl:list', created, '--format', 'json']))).toEqual(['tenant']);
  }, 30_000);

  test('a tenant sees only its own apps, and cannot act on the others', async () => {
    const context = await browser!.createBrowserContext();
    try {
      const theirs = await context.newPage();
      theirs.on('dialog', (dialog) => void dialog.accept());
      await logIn(theirs, await makeToken(slipway, 'tenant-browser', tenant));
      await theirs.waitForFunction(
        (name) => document.querySelector('#apps tbody')?.textContent.includes(name),
        {},
        created,
      );
      expect(await theirs.$$eval('#apps tbody a', (links) => links.map((a) => a.textContent))).toEqual([created]);
      expect(await theirs.$('#create-app-form')).toBeNull(); // apps:create is an admin's

      // Another's app page is "does not exist", as for an app that is not there.
      const other = await visit(theirs, `/apps/${deployed}`);
      expect(other?.status()).toBe(404);
      expect(await textOf('.alert', theirs)).toBe(`App ${deployed} does not exist`);

      // Its own app: no destroy and no grants (admins'), but its domains are its to change.
      await visit(theirs, `/apps/${created}`);
      expect(await theirs.$('#destroy-open')).toBeNull();
      expect(await theirs.$('#grant-form')).toBeNull();
      await fill('#domain-name', 'tenant.example.org', theirs);
      await theirs.keyboard.press('Enter');
      expect(await done(theirs)).toBe('Adding tenant.example.org: done');

      // What the page's own code would send for another's app is refused by the command.
      const refused = await theirs.evaluate(async (app) => {
        const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
        const answers = [];
        for (const command of [
          ['domains:add', app, 'stolen.example.org'],
          ['apps:destroy', app, '--force'],
        ]) {
          const response = await fetch('/api/v1/commands', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
            body: JSON.stringify({ command }),
          });
          answers.push(await response.text());
        }
        return answers;
      }, deployed);
      expect(refused[0]).toContain(`may not`);
      expect(refused[0]).toContain('"exit":1');
      expect(refused[1]).toContain('"exit":1');
      expect(JSON.parse(await sshOrThrow(slipway, ['apps:list', '--format', 'json']))).toContain(deployed);
      expect(await sshOrThrow(slipway, ['domains:report', deployed, '--domains-app-vhosts'])).not.toContain('stolen');

      // Its tokens page lists its own tokens only, and has no keys.
      await visit(theirs, '/access');
      await theirs.waitForFunction(() =>
        document.querySelector('#tokens tbody')?.textContent.includes('tenant-browser'),
      );
      expect(await textOf('#tokens tbody', theirs)).not.toContain('browser-admin');
      expect(await theirs.$('#keys')).toBeNull();
      expect(await theirs.$('#token-scrape')).toBeNull();
    } finally {
      await context.close();
    }
  }, 90_000);

  test('tokens: one made here works (bound to the session’s token), a scrape one reads metrics only, a revoked one stops', async () => {
    await visit(page, '/access');
    await fill('#token-name', 'ci-from-browser');
    await fill('#token-expires', '1d');
    await page.click('#token-form button[type="submit"]');
    expect(await done()).toBe('Creating the token ci-from-browser: done');
    const secret = await page.$eval('#token-secret', (input) => (input as HTMLInputElement).value);
    expect(secret).toMatch(/^slw_[0-9a-f]{12}_/);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token-secret');
    expect(await apiStatus(secret)).toBe(200);
    await page.click('#token-done');
    expect(await page.$eval('#token-secret', (input) => (input as HTMLInputElement).value)).toBe('');

    await fill('#token-name', 'prometheus');
    await page.click('#token-scrape');
    await page.click('#token-form button[type="submit"]');
    expect(await done()).toBe('Creating the token prometheus: done');
    const scrape = await page.$eval('#token-secret', (input) => (input as HTMLInputElement).value);
    expect(await apiStatus(scrape)).toBe(403);
    const listed = JSON.parse(await sshOrThrow(slipway, ['tokens:list', '--format', 'json'])) as {
      name: string;
      scope: string;
      boundTo: string | null;
    }[];
    const browserToken = listed.find((t) => t.name === 'browser')!;
    expect(listed.find((t) => t.name === 'prometheus')).toMatchObject({ scope: 'scrape' });
    expect(listed.find((t) => t.name === 'ci-from-browser')?.boundTo).toBeTruthy();
    expect(browserToken.boundTo).toBeNull();
    await page.waitForFunction(() => document.querySelector('#tokens tbody')?.textContent.includes('metrics only'));

    await page.click('button[aria-label="Revoke token ci-from-browser"]');
    expect(await done()).toBe('Revoking ci-from-browser: done');
    await page.waitForFunction(() => !document.querySelector('#tokens tbody')?.textContent.includes('ci-from-browser'));
    expect(await apiStatus(secret)).toBe(401);
  }, 60_000);

  test('SSH keys are added and removed', async () => {
    const laptop = await makeKey(slipway.dir, 'laptop');
    await fill('#key-name', 'laptop');
    await fill('#key-text', fs.readFileSync(laptop.publicPath, 'utf8').trim());
    await page.click('#key-form button[type="submit"]');
    expect(await done()).toBe('Adding the key laptop: done');
    await page.waitForFunction(() => document.querySelector('#keys tbody')?.textContent.includes('laptop'));
    expect((await slipway.ssh(['apps:list'], { key: laptop })).code).toBe(0); // it may connect
    await page.click('button[aria-label="Remove key laptop"]');
    expect(await done()).toBe('Removing laptop: done');
    await page.waitForFunction(() => !document.querySelector('#keys tbody')?.textContent.includes('laptop'));
    expect((await slipway.ssh(['apps:list'], { key: laptop })).code).not.toBe(0);
  }, 60_000);

  test('destroying an app asks for its name: the button waits for it, then the app goes', async () => {
    await visit(page, `/apps/${created}`);
    await page.click('#destroy-open');
    await page.waitForSelector('#destroy-dialog[open]');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('destroy-name'); // the dialog took focus
    await page.type('#destroy-name', 'from-browse');
    expect(await page.$eval('#destroy-confirm', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await page.type('#destroy-name', 'r');
    expect(await page.$eval('#destroy-confirm', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
    await Promise.all([page.waitForNavigation({ timeout: 60_000 }), page.click('#destroy-confirm')]);
    expect(page.url()).toBe(dashboardUrl(slipway, '/'));
    await landed(slipway, page); // the app's network went as the page loaded: Chromium here drops its requests then
    expect(JSON.parse(await sshOrThrow(slipway, ['apps:list', '--format', 'json']))).not.toContain(created);
    await page.waitForFunction(
      (name) => document.querySelector('#apps tbody')?.textContent.includes(name),
      {},
      deployed,
    );
    expect(await textOf('#apps tbody')).not.toContain(created);
  }, 90_000);

  test('the nodes page says this is one host (no swarm)', async () => {
    await visit(page, '/nodes');
    await page.waitForSelector('#single-host:not([hidden])');
    expect(await textOf('#single-host')).toContain('scheduler-swarm:init');
    expect(await page.$$('#nodes .node')).toHaveLength(0);
  }, 30_000);

  test('the log viewer filters and pauses; the deploy timeline shows each deploy’s status', async () => {
    await visit(page, `/apps/${deployed}`);
    await page.waitForFunction(() => document.querySelectorAll('#deploys .deploy').length >= 2);
    expect(await page.$$eval('#deploys .deploy .badge', (b) => b.map((x) => x.textContent))).toContain('succeeded');
    await page.waitForFunction(() => /listening/.test(document.getElementById('app-logs')?.textContent ?? ''), {
      timeout: 30_000,
    });
    for (const n of [1, 2]) await slipway.get(slipway.appHost(deployed), `/log/apple-${n}`);
    await slipway.get(slipway.appHost(deployed), '/log/banana-1');
    await page.waitForFunction(() => document.getElementById('app-logs')?.textContent.includes('banana-1'), {
      timeout: 30_000,
    });
    await page.type('input[aria-label="Filter app logs"]', 'APPLE');
    await page.waitForFunction(() => !document.getElementById('app-logs')?.textContent.includes('banana'));
    expect(await textOf('#app-logs')).toMatch(/apple-1[\s\S]*apple-2/);
    await fill('input[aria-label="Filter app logs"]', '');
    const pause = 'button[aria-label="Pause app logs"]';
    await page.click(pause);
    expect(await page.$eval(pause, (b) => b.getAttribute('aria-pressed'))).toBe('true');
    await slipway.get(slipway.appHost(deployed), '/log/while-paused');
    await page.waitForFunction(() =>
      /1 new while paused/.test(document.querySelector('.log-toolbar:has(+ #app-logs) .log-count')?.textContent ?? ''),
    );
    expect(await textOf('#app-logs')).not.toContain('while-paused');
    await page.click(pause);
    await page.waitForFunction(() => document.getElementById('app-logs')?.textContent.includes('while-paused'));
  }, 60_000);

  test('every control of the app page is reached with Tab, each with a visible focus ring', async () => {
    await visit(page, `/apps/${deployed}`);
    await page.waitForSelector('#deploys .deploy button');
    const reached = new Set<string>();
    let unringed = 0;
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const node = document.activeElement as HTMLElement | null;
        if (!node || node === document.body) return undefined;
        const style = getComputedStyle(node);
        return {
          name: node.id || node.getAttribute('aria-label') || node.textContent.trim() || node.tagName,
          ringed: style.outlineStyle !== 'none' && style.outlineWidth !== '0px',
        };
      });
      if (!focused) continue;
      reached.add(focused.name);
      if (!focused.ringed) unringed++;
    }
    expect(unringed).toBe(0);
    for (const control of [
      'Skip to content',
      'Tokens & keys',
      'Log out',
      'Filter deploy log',
      'Filter app logs',
      'config-key',
      'domain-name',
      'destroy-open',
      'grant-key',
    ])
      expect(reached, `${control} is reached with Tab`).toContain(control);
  }, 60_000);

  test('screenshots of every page, light and dark, and at a phone’s width (nothing wider than the screen)', async () => {
    const pages: [name: string, url: string, ready: string][] = [
      ['apps', '/', '#apps tbody .state'],
      ['app', `/apps/${deployed}`, '#usage figure'],
      ['services', '/services', '#services .empty-state'],
      ['nodes', '/nodes', '#single-host:not([hidden])'],
      ['tokens', '/access', '#keys tbody button'],
    ];
    const shoot = async (name: string, fullPage = true) =>
      page.screenshot({ path: path.join(SCREENSHOTS, `dashboard-${name}.png`), fullPage });
    await slipway.get(slipway.appHost(deployed), '/log/GET%20%2Fcart%20200%2012ms');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
      await page.setViewport({ width: 1280, height: 860 });
      for (const [name, url, ready] of pages) {
        await visit(page, url);
        await page.waitForSelector(ready, { timeout: 30_000 });
        await sleep(300); // the log's last lines, written a moment after they come
        await shoot(`${name}-${scheme}`);
      }
    }
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
    await page.setViewport({ width: 390, height: 844, isMobile: true, deviceScaleFactor: 1 });
    for (const [name, url, ready] of pages) {
      await visit(page, url);
      await page.waitForSelector(ready, { timeout: 30_000 });
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth),
        `${name} fits a phone`,
      ).toBeLessThanOrEqual(390);
      await shoot(`${name}-phone`, false);
    }
    // Logged out: the login page.
    const context = await browser!.createBrowserContext();
    try {
      const out = await context.newPage();
      for (const scheme of ['light', 'dark'] as const) {
        await out.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
        await out.setViewport({ width: 1280, height: 700 });
        await out.goto(dashboardUrl(slipway, '/login'));
        await out.screenshot({ path: path.join(SCREENSHOTS, `dashboard-login-${scheme}.png`) });
      }
    } finally {
      await context.close();
    }
  }, 180_000);
});
