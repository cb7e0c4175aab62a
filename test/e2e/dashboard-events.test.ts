import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { AppRemoved, AppSummary } from '../../src/model/api.js';
import { launchBrowser, logIn, makeToken, sleep, visit } from '../support/dashboard.js';
import { addUser, sshOrThrow } from '../support/pushes.js';
import { parseJson } from '../support/json.js';
import { SlipwayUnderTest, type SshKey } from '../support/slipway.js';
import { parseEvents } from '../support/sse.js';

/**
 * The dashboard learns of changes from one event stream (/api/v1/events), not by polling:
 * with 50 apps and three pages open in Chromium for over a minute, the browser never gets a
 * 429 from the API's rate limit, and the pages still show what changes meanwhile. The
 * stream itself: a tenant's token sees only its apps, and a token may hold only so many.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const APPS = Array.from({ length: 50 }, (_, i) => `live-${String(i + 1).padStart(2, '0')}`);
/** Long enough for the dashboard's old polling (1+3N requests per 3 s on the apps page) to pass 600 a minute many times over. */
const WATCH_MS = 70_000;
const STREAMS_PER_TOKEN = 8; // src/api/events.ts
let browser: Browser | undefined;
let adminToken: string;
let tenantToken: string;
let tenant: SshKey;

/** An open GET /events with a bearer token, read as it comes. */
async function openEvents(token: string) {
  const controller = new AbortController();
  const response = await fetch(`http://127.0.0.1:${slipway.apiPort}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  let text = '';
  void (async () => {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += value;
    }
  })().catch(() => {});
  return {
    status: response.status,
    text: () => text,
    events: () => parseEvents(text),
    close: () => controller.abort(),
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  await slipway.start();
  for (let i = 0; i < APPS.length; i += 10)
    await Promise.all(APPS.slice(i, i + 10).map((app) => sshOrThrow(slipway, ['apps:create', app])));
  tenant = await addUser(slipway, 'tenant');
  await sshOrThrow(slipway, ['acl:add', 'live-01', 'tenant']);
  adminToken = await makeToken(slipway, 'browser');
  tenantToken = await makeToken(slipway, 'tenant-stream', tenant);
  browser = await launchBrowser(slipway);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await slipway.destroy();
});

/** Logs in on `list`, opens two app pages, and makes changes over SSH that the pages must show without a reload. */
async function showChanges(list: Page, first: Page, second: Page): Promise<void> {
  await logIn(slipway, list, adminToken);
  await visit(slipway, first, '/apps/live-01');
  await visit(slipway, second, '/apps/live-02');
  await list.waitForFunction(
    (count) => document.querySelectorAll('#apps tbody a').length === count,
    { timeout: 30_000, polling: 250 },
    APPS.length,
  );
  expect(await list.$eval('#apps tbody', (body) => body.textContent)).toContain('not deployed');
  await first.waitForFunction(
    () => document.getElementById('summary')?.textContent === 'not deployed, 0 container(s)',
    { timeout: 30_000, polling: 250 },
  );

  await sleep(15_000);
  // An app made over SSH appears on the apps page, a domain added shows on its app page and
  // there, and a destroyed app goes.
  await sshOrThrow(slipway, ['apps:create', 'late-arrival']);
  await list.waitForFunction(() => document.querySelector('#apps tbody')?.textContent.includes('late-arrival'), {
    timeout: 20_000,
    polling: 250,
  });
  await sshOrThrow(slipway, ['domains:add', 'live-01', 'live-one.example.com']);
  await first.waitForFunction(() => document.getElementById('domains')?.textContent.includes('live-one.example.com'), {
    timeout: 20_000,
    polling: 250,
  });
  await list.waitForFunction(
    () => document.querySelector('#apps tbody')?.textContent.includes('live-one.example.com'),
    { timeout: 20_000, polling: 250 },
  );
  await sshOrThrow(slipway, ['apps:destroy', 'late-arrival', '--force']);
  await list.waitForFunction(() => !document.querySelector('#apps tbody')?.textContent.includes('late-arrival'), {
    timeout: 20_000,
    polling: 250,
  });
}

describe('the dashboard’s event stream', () => {
  test('50 apps, the apps page and two app pages open for over a minute: no 429, and changes show without a reload', async () => {
    const pages: Page[] = [];
    const limited: string[] = [];
    let answers = 0;
    for (let i = 0; i < 3; i++) {
      const page = await browser!.newPage();
      page.on('response', (response) => {
        answers++;
        if (response.status() === 429) limited.push(response.url());
      });
      pages.push(page);
    }
    const [list, first, second] = pages as [Page, Page, Page];
    const started = Date.now();
    try {
      // The 429s are looked at first: under polling the pages break in other ways too.
      const failed = await showChanges(list, first, second).then(
        () => undefined,
        (error: Error) => error,
      );
      await sleep(Math.max(0, started + WATCH_MS - Date.now()));
      console.log(
        `the browser got ${answers} answers in ${Math.round((Date.now() - started) / 1000)} s, ${limited.length} of them 429`,
      );
      expect(limited, 'answers 429 the browser got').toEqual([]);
      if (failed) throw failed;
      expect(await list.$$eval('#apps tbody a', (links) => links.length)).toBe(APPS.length);
      expect(await second.$eval('#summary', (node) => node.textContent)).toBe('not deployed, 0 container(s)');
    } finally {
      for (const page of pages) await page.close();
    }
  }, 180_000);

  test('a tenant’s stream: a snapshot of its apps only, then changes of those alone', async () => {
    const theirs = await openEvents(tenantToken);
    const admins = await openEvents(adminToken);
    try {
      expect(theirs.status).toBe(200);
      await until('both snapshots', () => theirs.events().length > 0 && admins.events().length > 0);
      expect(theirs.text()).toMatch(/^retry: \d+\n\n/);
      const [snapshot] = theirs.events();
      expect(snapshot!.event).toBe('snapshot');
      expect(parseJson<AppSummary[]>(snapshot!.data).map((app) => app.name)).toEqual(['live-01']);
      expect(JSON.parse(admins.events()[0]!.data)).toHaveLength(APPS.length);

      await sshOrThrow(slipway, ['apps:create', 'not-theirs']);
      await sshOrThrow(slipway, ['domains:add', 'live-01', 'tenant-sees.example.com']);
      await until('the admin’s stream to see the new app', () =>
        admins.events().some((e) => e.event === 'app' && parseJson<AppSummary>(e.data).name === 'not-theirs'),
      );
      await until('the tenant’s stream to see its app change', () =>
        theirs.events().some((e) => e.event === 'app' && e.data.includes('tenant-sees.example.com')),
      );
      // Summaries (`app`) and the platform's events (`event`, e.g. domain.added) of its app alone.
      const seen = theirs.events().slice(1);
      expect(
        seen.map((e) =>
          e.event === 'event' ? parseJson<{ app: string }>(e.data).app : parseJson<AppSummary>(e.data).name,
        ),
      ).toEqual(seen.map(() => 'live-01'));
      expect(theirs.text()).not.toContain('not-theirs');

      // Taken away from the tenant: it goes from the tenant's view at its next change.
      await sshOrThrow(slipway, ['acl:remove', 'live-01', 'tenant']);
      await sshOrThrow(slipway, ['domains:remove', 'live-01', 'tenant-sees.example.com']);
      await until('the app to leave the tenant’s view', () =>
        theirs.events().some((e) => e.event === 'app-removed' && parseJson<AppRemoved>(e.data).name === 'live-01'),
      );
    } finally {
      theirs.close();
      admins.close();
    }
  }, 60_000);

  test('a token holds a bounded number of streams; one more is refused with 429 until one closes', async () => {
    const open = await Promise.all(Array.from({ length: STREAMS_PER_TOKEN }, () => openEvents(adminToken)));
    try {
      expect(open.map((s) => s.status)).toEqual(open.map(() => 200));
      const refused = await openEvents(adminToken);
      expect(refused.status).toBe(429);
      await until('the refusal’s body', () => refused.text().includes('Too many event streams'));
      open.pop()!.close();
      let again: Awaited<ReturnType<typeof openEvents>> | undefined;
      for (let tries = 0; tries < 50 && again?.status !== 200; tries++) {
        again?.close();
        await sleep(100);
        again = await openEvents(adminToken);
      }
      expect(again!.status).toBe(200);
      again!.close();
    } finally {
      for (const stream of open) stream.close();
    }
  }, 60_000);
});
