import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { z } from 'zod';
import { ROUTES, type ApiRoute } from '../../src/api/routes.js';
import { errorSchema } from '../../src/api/schemas.js';
import type { AppState } from '../../src/model/api.js';
import { slipwayClient } from '../support/openapi/client.js';
import { GENERATED_TYPES, generateTypes } from '../support/openapi/generate.js';
import { pushOrThrow } from '../support/pushes.js';
import { makeKey, SlipwayUnderTest, type SshKey } from '../support/slipway.js';

/**
 * Every answer of every resource route, from a live daemon, checked against the route's zod
 * schema and against the OpenAPI document it serves (the route, its method and the status
 * must be there); and a client made from that document with openapi-typescript and
 * openapi-fetch, type-checked with the rest of the tests, reads the live routes.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'contract-app';
const service = { type: 'redis', name: 'contract-cache' };
let token: string;
let tenantToken: string;
let deployId: string;

/** The parts of the OpenAPI document this test reads. */
interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}
let doc: OpenApi;

async function ssh(words: string[], input = '', key?: SshKey) {
  const done = await slipway.ssh(words, { input, key });
  if (done.code !== 0) throw new Error(`${words.join(' ')}: ${done.output}`);
  return done.stdout;
}

async function get(urlPath: string, as = token): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`http://127.0.0.1:${slipway.apiPort}/api/v1${urlPath}`, {
    headers: { authorization: `Bearer ${as}` },
  });
  return { status: response.status, json: await response.json() };
}

/** The answer fits the route's schema (or the error schema), and the document lists the route with that status. */
function expectConforms(route: ApiRoute, answer: { status: number; json: unknown }, url: string): void {
  const path = route.url.replace(/:([a-z]+)/g, '{$1}');
  const operation = doc.paths[path]?.[route.method.toLowerCase()];
  expect(operation, `${route.method} ${path} in openapi.json`).toBeDefined();
  expect(Object.keys(operation!.responses), `${url} answered ${answer.status}`).toContain(String(answer.status));
  const schema: z.ZodType = answer.status < 300 ? route.response! : errorSchema;
  const parsed = schema.safeParse(answer.json);
  expect(parsed.success, `${url}: ${JSON.stringify(parsed.error?.issues)}\n${JSON.stringify(answer.json)}`).toBe(true);
}

const urlOf = (route: ApiRoute, values: Record<string, string>) =>
  route.url.replace(/:([a-z]+)/g, (_m, name: string) => encodeURIComponent(values[name]!));

beforeAll(async () => {
  await slipway.start();
  await ssh(['apps:create', app]);
  await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', app));
  await ssh(['config:set', '--no-restart', app, 'CONTRACT=yes']);
  await ssh(['redis:create', service.name]);
  await ssh(['redis:link', service.name, app]);
  await ssh(['redis:backup', service.name, service.name]);
  token = (await ssh(['tokens:create', 'contract'])).trim().split('\n').at(-1)!;
  const tenant = await makeKey(slipway.dir, 'contract-tenant');
  await ssh(['ssh-keys:add', 'contract-tenant'], fs.readFileSync(tenant.publicPath, 'utf8'));
  await ssh(['acl:add', app, 'contract-tenant']);
  tenantToken = (await ssh(['tokens:create', 'contract-tenant'], '', tenant)).trim().split('\n').at(-1)!;
  const deploys = (await get(`/apps/${app}/deploys`)).json as { items: { id: string }[] };
  deployId = deploys.items[0]!.id;
  doc = (await (await fetch(`http://127.0.0.1:${slipway.apiPort}/api/v1/openapi.json`)).json()) as OpenApi;
}, 300_000);

afterAll(() => slipway.destroy());

const reads = ROUTES.filter((route) => route.method === 'GET' && route.response);

describe('every answer of every resource route conforms to openapi.json', () => {
  test('each read, as an admin: 200 with its schema (nodes: 409 without a swarm)', async () => {
    const values = { app, id: deployId, ...service };
    const statuses: Record<string, number> = {};
    for (const route of reads) {
      const url = urlOf(route, values);
      const answer = await get(url);
      expectConforms(route, answer, url);
      statuses[route.url] = answer.status;
    }
    expect(statuses).toEqual(Object.fromEntries(reads.map((r) => [r.url, r.url === '/nodes' ? 409 : 200])));
  }, 120_000);

  test('the errors a tenant gets: 404 for an app not theirs, 403 for admins’ resources; each listed', async () => {
    const values = { app: 'no-such-app', id: 'abcdef12', ...service };
    for (const route of reads) {
      const url = urlOf(route, values);
      const answer = await get(url, tenantToken);
      expectConforms(route, answer, url);
      // The apps list is the tenant's own; everything else names an app not theirs, or is admins'.
      if (route.url === '/apps')
        expect(answer.json).toEqual({ items: [expect.objectContaining({ name: app })], next_cursor: null });
      else expect(answer.status, url).toBeOneOf([403, 404]);
    }
  }, 60_000);

  test('bad input is a listed 400: a limit past the bound, a cursor the API did not give', async () => {
    const releases = reads.find((r) => r.url === '/apps/:app/releases')!;
    for (const query of ['?limit=201', '?limit=0', '?cursor=bm90LWpzb24', '?cursor=..%2F']) {
      const answer = await get(`/apps/${app}/releases${query}`);
      expect(answer.status, query).toBe(400);
      expectConforms(releases, answer, query);
    }
  });

  test('a list read a page at a time has every item once, in order', async () => {
    await ssh(['config:set', '--no-restart', app, 'MORE=1']);
    const whole = (await get(`/apps/${app}/releases?limit=200`)).json as { items: { version: number }[] };
    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const page = (await get(`/apps/${app}/releases?limit=1${cursor ? `&cursor=${cursor}` : ''}`)).json as {
        items: { version: number }[];
        next_cursor: string | null;
      };
      expect(page.items.length).toBe(1);
      paged.push(page.items[0]!.version);
      cursor = page.next_cursor;
    } while (cursor);
    expect(whole.items.length).toBeGreaterThanOrEqual(2);
    expect(paged).toEqual(whole.items.map((r) => r.version));
  });
});

describe('a client generated from openapi.json', () => {
  test('reads live routes through openapi-fetch, typed by them', async () => {
    const client = slipwayClient(slipway.apiPort, token);
    const apps = await client.GET('/apps', { params: { query: { limit: 10 } } });
    const first: string | undefined = apps.data?.items[0]?.name;
    expect(first).toBe(app);

    const detail = await client.GET('/apps/{app}', { params: { path: { app } } });
    const state: AppState | undefined = detail.data?.state;
    expect(state).toBe('running');
    expect(detail.data?.current_release?.version).toBe(detail.data?.release);

    const config = await client.GET('/apps/{app}/config', { params: { path: { app }, query: { reveal: 'true' } } });
    expect(config.data?.config.CONTRACT).toBe('yes');

    const processes = await client.GET('/apps/{app}/processes', { params: { path: { app } } });
    expect(processes.data?.instances.map((i) => `${i.name} ${i.state}`)).toEqual(['web.1 running']);

    const missing = await client.GET('/apps/{app}', { params: { path: { app: 'no-such-app' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error).toBe('App no-such-app does not exist');
  });

  // Last: formatting the types keeps the event loop busy for seconds, and a kept-alive socket may close meanwhile.
  test('the types kept in the repository are what openapi-typescript makes of the live document', async () => {
    const made = await generateTypes(doc);
    // UPDATE_API_TYPES=1 writes them anew after a route changed.
    if (process.env.UPDATE_API_TYPES === '1') fs.writeFileSync(GENERATED_TYPES, made);
    expect(made, 'run this test with UPDATE_API_TYPES=1 to make them again').toBe(
      fs.readFileSync(GENERATED_TYPES, 'utf8'),
    );
  });
});
