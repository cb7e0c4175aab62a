import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { z } from 'zod';
import { ROUTES, type ApiRoute } from '../../src/api/routes.js';
import { errorSchema } from '../../src/api/schemas.js';
import type {
  BackupJson,
  CertsJson,
  ChecksRunJson,
  ConfigJson,
  ProcessesJson,
  ReleaseJson,
} from '../../src/model/api.js';
import { objectContaining, stringMatching } from '../support/matchers.js';
import { slipwayClient } from '../support/openapi/client.js';
import { pushOrThrow } from '../support/pushes.js';
import { makeKey, run, SlipwayUnderTest } from '../support/slipway.js';

/**
 * Every route that changes something, from a live daemon: it answers the resource as the
 * change left it (typed JSON, never the command's printed lines) with its own status, and
 * both the status and the answer are what openapi.json says.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'changes-app';
const domain = 'changes.example.com';
let token: string;
let tenantToken: string;
let tenantKey: string;
let cert: string;
let key: string;

interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
}
let doc: OpenApi;

async function ssh(words: string[], input = '') {
  const done = await slipway.ssh(words, { input });
  if (done.code !== 0) throw new Error(`${words.join(' ')}: ${done.output}`);
  return done.stdout;
}

interface Answer {
  status: number;
  json: unknown;
  text: string;
}

async function call(method: string, urlPath: string, body?: unknown, as = token): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${slipway.apiPort}/api/v1${urlPath}`, {
    method,
    headers: {
      authorization: `Bearer ${as}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? (JSON.parse(text) as unknown) : undefined };
}

const routeOf = (method: string, url: string) => ROUTES.find((r) => r.method === method && r.url === url)!;

/** The status is the route's own (and in the document); the answer fits its schema and the document's, or is empty for 204. */
function expectConforms(route: ApiRoute, answer: Answer): void {
  const label = `${route.method} ${route.url}: ${answer.text}`;
  const operation = doc.paths[route.url.replace(/:([a-z]+)/g, '{$1}')]?.[route.method.toLowerCase()];
  expect(operation, label).toBeDefined();
  expect(Object.keys(operation!.responses), label).toContain(String(answer.status));
  if (answer.status === 204) {
    expect(answer.text, label).toBe('');
    expect(operation!.responses['204']!.content, label).toBeUndefined();
    return;
  }
  const schema: z.ZodType = answer.status < 300 ? route.response! : errorSchema;
  const parsed = schema.safeParse(answer.json);
  expect(parsed.success, `${label}\n${JSON.stringify(parsed.error?.issues)}`).toBe(true);
}

/** Runs a change route, checks it against the document, and expects its status. */
async function change(
  method: ApiRoute['method'],
  url: string,
  values: Record<string, string>,
  status: number,
  body?: unknown,
): Promise<Answer> {
  const route = routeOf(method, url);
  expect(route, `${method} ${url} is a route`).toBeDefined();
  const filled = url.replace(/:([a-z]+)/g, (_m, name: string) => encodeURIComponent(values[name]!));
  const answer = await call(method, filled, body);
  expect(answer.status, `${method} ${filled}: ${answer.text}`).toBe(status);
  expectConforms(route, answer);
  covered.add(`${method} ${url}`);
  return answer;
}
const covered = new Set<string>();

beforeAll(async () => {
  await slipway.start();
  await ssh(['apps:create', app]);
  await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', app));
  token = (await ssh(['tokens:create', 'changes'])).trim().split('\n').at(-1)!;
  const tenant = await makeKey(slipway.dir, 'changes-tenant');
  tenantKey = fs.readFileSync(tenant.publicPath, 'utf8');
  await ssh(['ssh-keys:add', 'changes-tenant'], tenantKey);
  const tenantToken_ = await slipway.ssh(['tokens:create', 'changes-tenant'], { key: tenant });
  tenantToken = tenantToken_.stdout.trim().split('\n').at(-1)!;
  const dir = fs.mkdtempSync(path.join(slipway.dir, 'tls-'));
  const made = await run('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${domain}`],
    ...['-addext', `subjectAltName=DNS:${domain}`],
    ...['-keyout', path.join(dir, 'server.key'), '-out', path.join(dir, 'server.crt')],
  ]);
  if (made.code !== 0) throw new Error(made.output);
  cert = fs.readFileSync(path.join(dir, 'server.crt'), 'utf8');
  key = fs.readFileSync(path.join(dir, 'server.key'), 'utf8');
  doc = (await (await fetch(`http://127.0.0.1:${slipway.apiPort}/api/v1/openapi.json`)).json()) as OpenApi;
}, 300_000);

afterAll(() => slipway.destroy());

describe('each change answers the resource after it, as openapi.json says', () => {
  test('apps: create 201 the app, rename 200 the app under its new name, destroy 204', async () => {
    const made = await change('POST', '/apps', {}, 201, { name: 'changes-made' });
    expect(made.json).toMatchObject({ name: 'changes-made', state: 'undeployed', release: null, locked: false });
    const renamed = await change('POST', '/apps/:app/rename', { app: 'changes-made' }, 200, {
      name: 'changes-renamed',
    });
    expect(renamed.json).toMatchObject({ name: 'changes-renamed', state: 'undeployed' });
    await change('DELETE', '/apps/:app', { app: 'changes-renamed' }, 204);
    expect((await call('GET', '/apps/changes-renamed')).status).toBe(404);
  });

  test('config: 200 the vars after the change, masked', async () => {
    const before = Object.keys(((await call('GET', `/apps/${app}/config`)).json as ConfigJson).config);
    const answer = await change('PATCH', '/apps/:app/config', { app }, 200, {
      set: { CHANGED: 'secret value' },
      restart: false,
    });
    expect(answer.json).toEqual({ masked: true, config: objectContaining({ CHANGED: '********' }) });
    expect(answer.text).not.toContain('secret value');
    expect(before).not.toContain('CHANGED');
  });

  test('processes: scale 200 the whole formation; restart, stop, start, rebuild 200 the processes after', async () => {
    const scaled = await change('PUT', '/apps/:app/processes/formation', { app }, 200, { web: 2 });
    expect(scaled.json).toEqual({ web: 2 });
    // The old containers of a restart may still drain beside the new ones: each slot runs, once or twice.
    const running = (json: unknown) => [
      ...new Set((json as ProcessesJson).instances.map((i) => `${i.name} ${i.state}`)),
    ];
    const restarted = await change('POST', '/apps/:app/processes/restart', { app }, 200);
    expect(running(restarted.json)).toEqual(['web.1 running', 'web.2 running']);
    const stopped = await change('POST', '/apps/:app/processes/stop', { app }, 200);
    expect(stopped.json).toMatchObject({ stopped: true, running: 'false' });
    const started = await change('POST', '/apps/:app/processes/start', { app }, 200);
    expect(started.json).toMatchObject({ stopped: false, running: 'true' });
    const rebuilt = await change('POST', '/apps/:app/processes/rebuild', { app }, 200);
    expect(running(rebuilt.json)).toEqual(['web.1 running', 'web.2 running']);
  }, 180_000);

  test('checks: run answers 200 each container’s outcome', async () => {
    const ran = await change('POST', '/apps/:app/checks/run', { app }, 200);
    expect(ran.json).toEqual({
      ok: true,
      instances: [
        { name: 'web.1', ok: true, reason: null },
        { name: 'web.2', ok: true, reason: null },
      ],
    } satisfies ChecksRunJson);
  });

  test('releases: a rollback answers 200 the release now serving', async () => {
    const rolledBack = await change('POST', '/apps/:app/releases/rollback', { app }, 200, {});
    const release = rolledBack.json as ReleaseJson;
    expect(release).toMatchObject({ kind: 'rollback', current: true, status: 'succeeded' });
    expect((await call('GET', `/apps/${app}`)).json).toMatchObject({ release: release.version });
  }, 120_000);

  test('domains: add 201 and remove 200 the app’s domains after', async () => {
    const added = await change('POST', '/apps/:app/domains', { app }, 201, { domain });
    expect((added.json as { domains: string[] }).domains).toContain(domain);
    const removed = await change('DELETE', '/apps/:app/domains/:domain', { app, domain }, 200);
    expect((removed.json as { domains: string[] }).domains).not.toContain(domain);
  });

  test('certs: add 201 the certificate, remove 204; the read is typed', async () => {
    const added = await change('POST', '/apps/:app/certs', { app }, 201, { certificate: cert, key });
    expect(added.json).toMatchObject({
      enabled: true,
      certificate: { hostnames: [domain], subject: `CN=${domain}`, self_signed: true },
    });
    expect((added.json as CertsJson).certificate?.expires_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await call('GET', `/apps/${app}/certs`)).json).toEqual(added.json);
    await change('DELETE', '/apps/:app/certs', { app }, 204);
    expect((await call('GET', `/apps/${app}/certs`)).json).toEqual({ enabled: false, certificate: null });
  });

  test('services: create 201, link 201 and unlink 200 the service, backup 201 the backup, destroy 204', async () => {
    const service = { type: 'redis', name: 'changes-cache' };
    const made = await change('POST', '/services/:type', service, 201, { name: service.name });
    expect(made.json).toMatchObject({ name: service.name, links: [] });
    const linked = await change('POST', '/services/:type/:name/links', service, 201, { app });
    expect(linked.json).toMatchObject({ name: service.name, links: [app] });
    const backup = await change('POST', '/services/:type/:name/backups', service, 201);
    expect(backup.json).toMatchObject({
      where: 'local',
      dir: service.name,
      status: 'ok',
    } satisfies Partial<BackupJson>);
    const listed = (await call('GET', `/services/redis/${service.name}/backups`)).json as { items: BackupJson[] };
    expect(listed.items[0]).toEqual(backup.json);
    const unlinked = await change('DELETE', '/services/:type/:name/links/:app', { ...service, app }, 200);
    expect(unlinked.json).toMatchObject({ name: service.name, links: [] });
    await change('DELETE', '/services/:type/:name', service, 204);
    expect((await call('GET', `/services/redis/${service.name}`)).status).toBe(404);
  }, 180_000);

  test('keys and grants: add 201 the key, grant 201 the grant, revoke and remove 204', async () => {
    const other = await makeKey(slipway.dir, 'changes-other');
    const added = await change('POST', '/keys', {}, 201, {
      name: 'changes-other',
      key: fs.readFileSync(other.publicPath, 'utf8'),
    });
    expect(added.json).toEqual({ name: 'changes-other', fingerprint: stringMatching(/^SHA256:/), admin: false });
    const granted = await change('POST', '/apps/:app/grants', { app }, 201, { key: 'changes-other' });
    expect(granted.json).toEqual({ key: 'changes-other' });
    await change('DELETE', '/apps/:app/grants/:key', { app, key: 'changes-other' }, 204);
    await change('DELETE', '/keys/:name', { name: 'changes-other' }, 204);
    expect(((await call('GET', '/keys')).json as { items: { name: string }[] }).items.map((k) => k.name)).not.toContain(
      'changes-other',
    );
  });

  test('a change refused answers a listed error: 404 for an app not the tenant’s, 403 for admins’ resources', async () => {
    for (const [method, url, body] of [
      ['PATCH', `/apps/${app}/config`, { set: { A: '1' } }],
      ['PUT', `/apps/${app}/processes/formation`, { web: 1 }],
      ['POST', `/apps/${app}/domains`, { domain }],
      ['POST', '/keys', { name: 'x', key: tenantKey }],
    ] as const) {
      const answer = await call(method, url, body, tenantToken);
      expect(answer.status, `${method} ${url}`).toBeOneOf([403, 404]);
      expectConforms(
        ROUTES.find((r) => r.method === method && new RegExp(`^${r.url.replace(/:[a-z]+/g, '[^/]+')}$`).test(url))!,
        answer,
      );
    }
  });

  // Last: the tests above cover each route once.
  test('every route that changes something was checked above', () => {
    const changes = ROUTES.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url}`);
    expect([...covered].sort()).toEqual(changes.sort());
  });
});

describe('a client generated from openapi.json', () => {
  test('changes through openapi-fetch, its answers typed by the document', async () => {
    const client = slipwayClient(slipway.apiPort, token);
    const scaled = await client.PUT('/apps/{app}/processes/formation', {
      params: { path: { app } },
      body: { web: 1 },
    });
    const web: number | undefined = scaled.data?.web;
    expect(web).toBe(1);
    const config = await client.PATCH('/apps/{app}/config', {
      params: { path: { app } },
      body: { set: { TYPED: 'yes' }, restart: false },
    });
    const masked: boolean | undefined = config.data?.masked;
    expect(masked).toBe(true);
    expect(config.data?.config.TYPED).toBe('********');
    const domains = await client.POST('/apps/{app}/domains', { params: { path: { app } }, body: { domain } });
    const listed: string[] | undefined = domains.data?.domains;
    expect(listed).toContain(domain);
    expect(domains.response.status).toBe(201);
  }, 60_000);
});
