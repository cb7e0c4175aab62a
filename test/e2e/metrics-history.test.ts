import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { MetricsJson } from '../../src/model/metrics-json.js';
import { launchBrowser, logIn, makeToken, visit } from '../support/dashboard.js';
import { addUser, pushOrThrow } from '../support/pushes.js';
import { eventually, SlipwayUnderTest, type SshKey } from '../support/slipway.js';

/**
 * History without Prometheus: after real requests through nginx, GET /api/v1/apps/:app/metrics
 * answers per-minute points with those requests, their latency and the app's CPU and memory
 * (the daemon samples every 2 s here, a minute by default), for the app's tenant or an admin
 * only; and the app page charts them with uPlot in Chromium, listing
 * the platform's events about the app as they come.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'), { SLIPWAY_METRICS_SAMPLE_SECONDS: '2' });
const app = 'graphed';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/dashboard');
let adminToken: string;
let tenant: SshKey;
let browser: Browser | undefined;

async function metrics(token: string, query = '') {
  const response = await fetch(`http://127.0.0.1:${slipway.apiPort}/api/v1/apps/${app}/metrics${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, json: (await response.json()) as MetricsJson & { error?: string } };
}

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await slipway.start();
  adminToken = await makeToken(slipway, 'admin-reader');
  tenant = await addUser(slipway, 'tenant');
  const repo = await slipway.appRepo('dockerfile-app', app);
  await pushOrThrow(slipway, repo);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await slipway.destroy();
});

describe('metrics history', () => {
  test('requests to the app show in its per-minute points, with latency, CPU and memory', async () => {
    for (let i = 0; i < 25; i++) expect((await slipway.get(slipway.appHost(app))).status).toBe(200);
    const total = (json: MetricsJson) => json.points.reduce((sum, p) => sum + p.requests, 0);
    const answer = await eventually(
      async () => (await metrics(adminToken)).json,
      (json) =>
        total(json) >= 25 &&
        json.points.some((p) => p.memory_bytes !== null && p.memory_bytes > 0) &&
        json.points.some((p) => p.cpu_percent !== null),
      60_000,
    );
    expect(total(answer)).toBe(25);
    expect(answer.points.some((p) => p.memory_bytes !== null && p.memory_bytes > 0)).toBe(true);
    expect(answer.points.some((p) => p.cpu_percent !== null)).toBe(true);
    expect(answer).toMatchObject({ app, interval_seconds: 60, kept_points: 1440 });
    const busy = answer.points.find((p) => p.requests > 0)!;
    expect(busy.status['2xx']).toBe(busy.requests);
    expect(busy.p50_ms).not.toBeNull();
    expect(busy.p95_ms!).toBeGreaterThanOrEqual(busy.p50_ms!);
    expect(new Date(busy.at).getUTCSeconds()).toBe(0); // a minute's start
    // `since` after every point: none.
    const later = await metrics(
      adminToken,
      `?since=${encodeURIComponent(new Date(Date.now() + 120_000).toISOString())}`,
    );
    expect(later.json.points).toEqual([]);
  }, 90_000);

  test('another tenant’s token gets the same 404 as for a missing app; a granted one reads; bad input is a 400', async () => {
    const tenantToken = await makeToken(slipway, 'tenant-reader', tenant);
    expect(await metrics(tenantToken)).toMatchObject({ status: 404, json: { error: `App ${app} does not exist` } });
    expect((await slipway.ssh(['acl:add', app, 'tenant'])).code).toBe(0);
    expect((await metrics(tenantToken)).status).toBe(200);
    expect((await metrics(adminToken, '?since=yesterday')).status).toBe(400);
    const scrape = await makeToken(slipway, 'scraper', undefined, ['--scrape']);
    expect((await metrics(scrape)).status).toBe(403);
  }, 60_000);

  test('the app page charts requests, latency, CPU and memory with time and value axes', async () => {
    browser = await launchBrowser(slipway);
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await logIn(slipway, page, adminToken);
    await visit(slipway, page, `/apps/${app}`);
    await page.waitForFunction(() => document.querySelectorAll('#metrics figure .uplot canvas').length === 4, {
      timeout: 30_000,
    });
    const charts = await page.$$eval('#metrics figure', (figures) =>
      figures.map((figure) => ({
        title: figure.querySelector('figcaption')?.textContent,
        axes: figure.querySelectorAll('.u-axis').length,
        width: figure.querySelector('canvas')?.width ?? 0,
        legend: [...figure.querySelectorAll('.u-legend .u-label')].map((label) => label.textContent),
      })),
    );
    expect(charts.map((c) => c.title)).toEqual([
      'Requests (per minute)',
      'Latency (ms)',
      'CPU (% of one CPU)',
      'Memory (MiB)',
    ]);
    for (const chart of charts) {
      expect(chart.axes).toBe(2); // time and value
      expect(chart.width).toBeGreaterThan(200);
    }
    expect(charts[0]!.legend).toEqual(['Time', 'requests', '5xx']);
    expect(await page.$eval('#metrics-note', (node) => node.textContent)).toMatch(/^Per minute, \d+ sampled/);
    // The platform's events about the app arrive on the page's one event stream.
    expect((await slipway.ssh(['config:set', app, 'SHOWN_IN_EVENTS=1'])).code).toBe(0);
    await page.waitForFunction(
      () => document.querySelector('#app-events [data-type="config.changed"]')?.textContent.includes('SHOWN_IN_EVENTS'),
      { timeout: 30_000 },
    );
    const section = await page.$('#metrics');
    await section!.screenshot({ path: path.join(ARTIFACTS, 'app-metrics.png') });
  }, 90_000);
});
