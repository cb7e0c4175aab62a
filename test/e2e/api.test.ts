import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type {
  AppJson,
  BackupJson,
  CommandOutput,
  ConfigJson,
  DeployJson,
  ErrorJson,
  KeyJson,
  Page,
  ProcessesJson,
  ReleaseJson,
  ServiceItemJson,
} from '../../src/model/api.js';
import { pushOrThrow } from '../support/pushes.js';
import { eventually, makeKey, SlipwayUnderTest, type SshKey } from '../support/slipway.js';
import { jsonLines, parseJson, type Report } from '../support/json.js';
import { anyNumber, objectContaining } from '../support/matchers.js';
import { parseEvents } from '../support/sse.js';
import { PrometheusUnderTest } from '../support/prometheus.js';

/**
 * The HTTP API against a real daemon: tokens made over SSH, every resource, the same access
 * rules as SSH (a tenant's token gets the same 404 for another app as for a missing one), and
 * bad input answered with a 4xx JSON error and nothing changed.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'api-app';
const other = 'api-other';
let adminToken: string;
let tenantToken: string;
let tenant: SshKey;

/** An API answer; `json` is the body read as T (what the test expects), undefined when it is not JSON. */
interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  json: T | undefined;
  text: string;
}

async function api<T = unknown>(
  method: string,
  urlPath: string,
  options: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const token = options.token === undefined ? adminToken : options.token;
  const headers: Record<string, string> = { ...options.headers };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`http://127.0.0.1:${slipway.apiPort}/api/v1${urlPath}`, {
    method,
    headers,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let json: T | undefined;
  try {
    json = parseJson<T>(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** The items of a list's first page. */
async function listed<T>(urlPath: string, token?: string): Promise<T[]> {
  const answer = await api<Page<T>>('GET', urlPath, { token });
  if (answer.status !== 200) throw new Error(`${urlPath}: ${answer.status} ${answer.text}`);
  return answer.json!.items;
}

/** The names of the apps a token may use. */
const appNames = async (token?: string) => (await listed<AppJson>('/apps', token)).map((a) => a.name);

/** tokens:create over SSH: the token is the last line it prints. */
async function makeToken(name: string, key?: SshKey, extra: string[] = []): Promise<string> {
  const made = await slipway.ssh(['tokens:create', name, ...extra], { key });
  if (made.code !== 0) throw new Error(made.output);
  return made.stdout.trim().split('\n').at(-1)!;
}

beforeAll(async () => {
  await slipway.start();
  tenant = await makeKey(slipway.dir, 'tenant');
  for (const [command, input] of [
    [['ssh-keys:add', 'tenant'], fs.readFileSync(tenant.publicPath, 'utf8')],
    [['apps:create', app], ''],
    [['apps:create', other], ''],
    [['acl:add', app, 'tenant'], ''],
  ] as [string[], string][]) {
    const done = await slipway.ssh(command, { input });
    if (done.code !== 0) throw new Error(done.output);
  }
  adminToken = await makeToken('admin-ci');
  tenantToken = await makeToken('tenant-ci', tenant);
  await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', app));
}, 180_000);
afterAll(() => slipway.destroy());

describe('tokens', () => {
  test('a token is shown once: tokens:list names it without the secret', async () => {
    const listed = await slipway.ssh(['tokens:list', '--format', 'json'], { key: tenant });
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ name: 'tenant-ci', key: 'tenant', expires: 'never' }),
    ]);
    expect(listed.stdout).not.toContain(tenantToken.slice(-20));
    const all = JSON.parse((await slipway.ssh(['tokens:list', '--format', 'json'])).stdout) as { name: string }[];
    expect(all.map((t) => t.name).sort()).toEqual(['admin-ci', 'tenant-ci']);
  });

  test.each([
    ['no token', null],
    ['a malformed token', 'nonsense'],
    ['a token with a wrong secret', 'WRONG'],
  ])('%s: 401 with a clear JSON error', async (_label, token) => {
    const presented = token === 'WRONG' ? `${adminToken.slice(0, -4)}AAAA` : token;
    const answer = await api<ErrorJson>('GET', '/apps', { token: presented });
    expect(answer.status).toBe(401);
    expect(answer.json?.error).toContain('A valid API token is required');
    expect(answer.headers.get('www-authenticate')).toBe('Bearer');
  });

  test('a revoked token stops working at once', async () => {
    const token = await makeToken('short-lived');
    expect((await api('GET', '/apps', { token })).status).toBe(200);
    expect((await slipway.ssh(['tokens:revoke', 'short-lived'])).code).toBe(0);
    expect((await api('GET', '/apps', { token })).status).toBe(401);
  });

  test('a token’s token (through POST /commands or a dashboard session) is bound to it: it goes when its maker is revoked', async () => {
    const parent = await makeToken('parent', undefined, ['--expires', '5m']);
    const lines = (answer: Answer) => jsonLines<CommandOutput>(answer.text);
    const child = lines(
      await api('POST', '/commands', { token: parent, body: { command: ['tokens:create', 'child'] } }),
    );
    expect(child.at(-1)).toEqual({ exit: 0 });
    const childToken = (child.at(-2) as { line: string }).line;
    expect((await api('GET', '/apps', { token: childToken })).status).toBe(200);
    const own = { origin: `http://127.0.0.1:${slipway.apiPort}` };
    const session = await raw(
      'POST',
      '/login',
      { ...own, 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ token: parent }).toString(),
    );
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec((await raw('GET', '/', { cookie })).text)![1]!;
    const fromDashboard = await raw(
      'POST',
      '/api/v1/commands',
      { ...own, cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
      JSON.stringify({ command: ['tokens:create', 'from-dashboard'] }),
    );
    expect(fromDashboard.text).toContain('Created token from-dashboard');
    const listed = JSON.parse((await slipway.ssh(['tokens:list', '--format', 'json'])).stdout) as {
      id: string;
      name: string;
      boundTo: string | null;
      expires: string;
    }[];
    const parentRow = listed.find((t) => t.name === 'parent')!;
    expect(listed.find((t) => t.name === 'child')).toMatchObject({ boundTo: parentRow.id, expires: parentRow.expires });
    expect(listed.find((t) => t.name === 'from-dashboard')?.boundTo).toBe(parentRow.id);
    expect((await slipway.ssh(['tokens:revoke', 'parent'])).code).toBe(0);
    expect((await api('GET', '/apps', { token: childToken })).status).toBe(401);
    const names = (
      JSON.parse((await slipway.ssh(['tokens:list', '--format', 'json'])).stdout) as { name: string }[]
    ).map((t) => t.name);
    expect(names).toContain('admin-ci');
    expect(names).not.toContain('child');
    expect(names).not.toContain('from-dashboard');
  });

  test('a tenant’s token: only its apps; another app is the same 404 as a missing one; admin resources refused', async () => {
    expect(await appNames(tenantToken)).toEqual([app]);
    const theirs = await api<ErrorJson>('GET', `/apps/${other}`, { token: tenantToken });
    const missing = await api<ErrorJson>('GET', '/apps/no-such-app', { token: tenantToken });
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(theirs.json?.error.replace(other, 'X')).toBe(missing.json?.error.replace('no-such-app', 'X'));
    expect(
      (await api('PATCH', `/apps/${other}/config`, { token: tenantToken, body: { set: { A: '1' } } })).status,
    ).toBe(404);
    expect((await slipway.ssh(['config:get', other, 'A'])).code).toBe(1);
    expect((await api('GET', '/keys', { token: tenantToken })).status).toBe(403);
    expect((await api('GET', `/apps/${app}`, { token: tenantToken })).status).toBe(200);
  });
});

describe('resources', () => {
  test('apps: create, report, rename, destroy', async () => {
    expect((await api('POST', '/apps', { body: { name: 'api-made' } })).status).toBe(201);
    expect(await appNames()).toContain('api-made');
    const report = await api('GET', '/apps/api-made');
    expect(report.status).toBe(200);
    expect(JSON.stringify(report.json)).toContain('api-made');
    expect((await api('POST', '/apps/api-made/rename', { body: { name: 'api-renamed' } })).status).toBe(200);
    expect((await api('DELETE', '/apps/api-renamed')).status).toBe(204);
    expect(await appNames()).not.toContain('api-renamed');
  });

  test('config: masked unless revealed; set and unset land as one release and the app restarts with them', async () => {
    const releases = () => listed<ReleaseJson>(`/apps/${app}/releases`);
    const before = (await releases()).length;
    await api('PATCH', `/apps/${app}/config`, { body: { set: { OLD: 'x' }, restart: false } });
    const changed = await api('PATCH', `/apps/${app}/config`, {
      body: { set: { API_VALUE: 'from the API' }, unset: ['OLD'] },
    });
    expect(changed.status, changed.text).toBe(200);
    expect((await releases()).length).toBe(before + 1);
    expect((await slipway.get(slipway.appHost(app), '/env/API_VALUE')).body).toBe('from the API');
    expect((await slipway.get(slipway.appHost(app), '/env/OLD')).status).toBe(404);

    const masked = await api('GET', `/apps/${app}/config`);
    expect(masked.json).toEqual({ masked: true, config: objectContaining({ API_VALUE: '********' }) });
    expect(masked.text).not.toContain('from the API');
    expect((await api<ConfigJson>('GET', `/apps/${app}/config?reveal=true`)).json?.config.API_VALUE).toBe(
      'from the API',
    );
  });

  test('processes: scale and report; releases: roll back', async () => {
    const scaled = await api('PUT', `/apps/${app}/processes/formation`, { body: { web: 2 } });
    expect(scaled.status, scaled.text).toBe(200);
    const report = await api<ProcessesJson>('GET', `/apps/${app}/processes`);
    expect(report.json?.formation).toEqual({ web: 2 });
    const usage = (await api('GET', `/apps/${app}/processes/usage`)).json as {
      process: string;
      cpu_percent: number;
      memory_bytes: number;
    }[];
    expect(usage.map((u) => u.process)).toEqual(expect.arrayContaining(['web.1', 'web.2']));
    expect(usage.every((u) => u.cpu_percent >= 0 && u.memory_bytes > 0)).toBe(true);
    expect(report.json).toMatchObject({ deployed: true, running: 'true' });
    expect(report.json?.instances.map((i) => i.name)).toEqual(expect.arrayContaining(['web.1', 'web.2']));

    const rolledBack = await api<ReleaseJson>('POST', `/apps/${app}/releases/rollback`, { body: {} });
    expect(rolledBack.status, rolledBack.text).toBe(200);
    expect(rolledBack.json).toMatchObject({ kind: 'rollback', current: true });
  });

  test('deploys: the list, one with its log, and its log as server-sent events', async () => {
    const deploys = await listed<DeployJson>(`/apps/${app}/deploys`);
    const git = deploys.find((d) => d.kind === 'git')!;
    const one = await api<{ log: string[] }>('GET', `/apps/${app}/deploys/${git.id.slice(0, 8)}`);
    expect(one.json?.log.join('\n')).toContain('Application deployed');
    const events = await api('GET', `/apps/${app}/deploys/${git.id}/log`);
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    const parsed = parseEvents(events.text);
    expect(parsed.filter((e) => e.event === 'line').map((e) => parseJson<string>(e.data))).toContain(
      '=====> Application deployed:',
    );
    expect(parsed.at(-1)).toMatchObject({ event: 'end', data: '{"ok":true}' });
  });

  test('a push streams live into the deploy’s event stream', async () => {
    const repo = await slipway.appRepo('dockerfile-app', app);
    const pushing = slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
    const running = await eventually(
      async () => (await listed<DeployJson>(`/apps/${app}/deploys`))[0]!,
      (d) => d.kind === 'git' && ['queued', 'running'].includes(d.status),
      30_000,
    );
    const events = await api('GET', `/apps/${app}/deploys/${running.id}/log`);
    expect((await pushing).code).toBe(0);
    expect(events.text).toContain('Building api-app');
    expect(events.text).toMatch(/event: end\ndata: \{"ok":true/);
  }, 120_000);

  test('a build cannot forge the end of its deploy’s event stream; Last-Event-ID resumes after that line', async () => {
    expect((await slipway.ssh(['apps:create', 'api-forged'])).code).toBe(0);
    const repo = await slipway.appRepo('dockerfile-app', 'api-forged');
    // Browsers end an SSE line at a bare CR: printed raw, this would be an `end` event saying the deploy succeeded.
    fs.appendFileSync(`${repo}/Dockerfile`, `RUN printf '\\r\\revent: end\\rdata: {"ok":true}\\r\\r' && exit 1\n`);
    await slipway.commit(repo, 'forges an end event');
    expect((await slipway.push(repo)).code).not.toBe(0);
    const [deploy] = await listed<DeployJson>('/apps/api-forged/deploys');
    expect(deploy!.status).toBe('failed');
    const events = parseEvents((await api('GET', `/apps/api-forged/deploys/${deploy!.id}/log`)).text);
    const end = events.findIndex((e) => e.event === 'end');
    expect(end).toBe(events.length - 1);
    expect(JSON.parse(events[end]!.data)).toMatchObject({ ok: false });
    const lines = events.slice(0, end).map((e) => JSON.parse(e.data) as string);
    expect(lines.some((line) => line.includes('\r\revent: end\rdata: {"ok":true}'))).toBe(true);
    expect(events.map((e) => e.id)).toEqual(events.map((_e, i) => String(i + 1)));

    const resumed = parseEvents(
      (await api('GET', `/apps/api-forged/deploys/${deploy!.id}/log`, { headers: { 'last-event-id': '3' } })).text,
    );
    expect(resumed).toEqual(events.slice(3));
  }, 120_000);

  test('domains and checks', async () => {
    expect((await api('POST', `/apps/${app}/domains`, { body: { domain: 'api.example.com' } })).status).toBe(201);
    expect(JSON.stringify((await api('GET', `/apps/${app}/domains`)).json)).toContain('api.example.com');
    expect((await api('DELETE', `/apps/${app}/domains/api.example.com`)).status).toBe(200);
    expect(JSON.stringify((await api('GET', `/apps/${app}/domains`)).json)).not.toContain('api.example.com');
    const checked = await api('POST', `/apps/${app}/checks/run`);
    expect(checked.status, checked.text).toBe(200);
  });

  test('keys and grants (admins)', async () => {
    expect((await listed<KeyJson>('/keys')).map((k) => k.name)).toEqual(['admin', 'tenant']);
    expect(await listed(`/apps/${app}/grants`)).toEqual([{ key: 'tenant' }]);
    expect((await api('POST', `/apps/${other}/grants`, { body: { key: 'tenant' } })).status).toBe(201);
    expect(await appNames(tenantToken)).toEqual([app, other].sort());
    expect((await api('DELETE', `/apps/${other}/grants/tenant`)).status).toBe(204);
    expect(await appNames(tenantToken)).toEqual([app]);
  });

  test('POST /commands runs any command as SSH does, its output streamed as NDJSON', async () => {
    const set = await api('POST', '/commands', {
      body: { command: ['config:set', '--no-restart', app, 'FROM_COMMAND=a value; with $(words)'] },
    });
    expect(set.headers.get('content-type')).toContain('application/x-ndjson');
    expect(jsonLines(set.text).at(-1)).toEqual({ exit: 0 });
    const ran = await api('POST', '/commands', { body: { command: ['config:get', app, 'FROM_COMMAND'] } });
    const lines = jsonLines(ran.text);
    expect(lines).toEqual([{ stream: 'stdout', line: 'a value; with $(words)' }, { exit: 0 }]);
    const failed = await api('POST', '/commands', {
      token: tenantToken,
      body: { command: ['config:get', other, 'A'] },
    });
    const failedLines = jsonLines<CommandOutput>(failed.text);
    expect(failedLines.at(-1)).toEqual({ exit: 1 });
    expect(failedLines[0]).toHaveProperty('line', expect.stringMatching(/^ ! {5}Key tenant may not/));
  });

  test('services: create, details, link and unlink, backups taken, listed and downloaded; tenants refused', async () => {
    expect((await api('POST', '/services/redis', { body: { name: 'api-cache' } })).status).toBe(201);
    expect(await listed<ServiceItemJson>('/services')).toEqual([
      expect.objectContaining({ type: 'redis', name: 'api-cache' }),
    ]);
    const linked = await api('POST', '/services/redis/api-cache/links', { body: { app } });
    expect(linked.status, linked.text).toBe(201);
    expect((await slipway.get(slipway.appHost(app), '/env/REDIS_URL')).body).toMatch(/^redis:\/\//);
    expect(JSON.stringify((await api('GET', '/services/redis/api-cache')).json)).toContain(app);

    await slipway.ssh(['redis:connect', 'api-cache'], { input: 'SET from-api yes\n' });
    expect((await api('POST', '/services/redis/api-cache/backups', { body: {} })).status).toBe(201);
    const backups = await listed<BackupJson>('/services/redis/api-cache/backups');
    expect(backups).toEqual([expect.objectContaining({ dir: 'api-cache', bytes: anyNumber() })]);
    const backup = backups[0]!;
    const download = await api('GET', `/services/redis/api-cache/backups/${backup.dir}/${backup.file}`);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${backup.file}"`);
    expect(download.text).toContain('from-api');
    expect(download.text.length).toBe(backup.bytes);
    // Only listed backups of this service: no other file under the backup root, no traversal.
    expect(
      (await api('GET', `/services/redis/api-cache/backups/${backup.dir}/redis-other-2026-01-01T00-00-00-000Z.dump`))
        .status,
    ).toBe(404);
    expect((await api('GET', `/services/redis/api-cache/backups/..%2F..%2Fetc/passwd`)).status).toBe(400);
    for (const [method, url] of [
      ['GET', '/services/redis/api-cache/backups'],
      ['POST', '/services/redis/api-cache/backups'],
      ['GET', `/services/redis/api-cache/backups/${backup.dir}/${backup.file}`],
    ] as const) {
      expect(
        (await api(method, url, { token: tenantToken, body: method === 'POST' ? {} : undefined })).status,
        `${method} ${url}`,
      ).toBe(403);
    }

    expect((await api('DELETE', `/services/redis/api-cache/links/${app}`)).status).toBe(200);
    expect((await slipway.get(slipway.appHost(app), '/env/REDIS_URL')).status).toBe(404);
    expect((await api('DELETE', '/services/redis/api-cache')).status).toBe(204);
    expect((await api('GET', '/services/redis/api-cache')).status).toBe(404);
  }, 180_000);

  test('the OpenAPI document lists every resource, without a token', async () => {
    /** Only the parts of the OpenAPI document the test reads. */
    type OpenApi = {
      openapi: string;
      paths: Record<
        string,
        { patch: { requestBody: { content: Record<string, { schema: { properties: object } }> } } }
      >;
    };
    const doc = await api<OpenApi>('GET', '/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(doc.json?.openapi).toBe('3.1.0');
    for (const path of [
      '/apps',
      '/apps/{app}/config',
      '/apps/{app}/deploys/{id}/log',
      '/commands',
      '/services/{type}/{name}/links',
    ]) {
      expect(Object.keys(doc.json?.paths ?? {})).toContain(path);
    }
    expect(
      doc.json?.paths['/apps/{app}/config']?.patch.requestBody.content['application/json']?.schema.properties,
    ).toHaveProperty('unset');
  });
});

/** What bad input must leave as it was: the apps, the app's config, releases, formation and domains. */
async function snapshot(): Promise<string> {
  const parts = await Promise.all(
    [
      ['apps:list'],
      ['config:export', app, '--format', 'json'],
      ['releases', app, '--format', 'json'],
      ['ps:scale', app, '--format', 'json'],
      ['domains:report', app, '--format', 'json'],
    ].map(async (command) => (await slipway.ssh(command)).stdout),
  );
  return parts.join('\n');
}

describe('through nginx, on the dashboard host', () => {
  const dashboard = `slipway.${slipway.domain}`;
  /** fetch may not set Host, so plain http. */
  const viaNginx = (urlPath: string, headers: Record<string, string>) =>
    new Promise<{ status: number; json: () => Promise<unknown> }>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port: slipway.httpPort,
            path: `/api/v1${urlPath}`,
            headers: { host: dashboard, ...headers },
            agent: false,
          },
          (response) => {
            let body = '';
            response.on('data', (chunk) => (body += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, json: async () => parseJson(body) }));
          },
        )
        .on('error', reject);
    });

  test('the API answers on slipway.<domain> through Slipway’s nginx', async () => {
    const answer = await viaNginx('/apps', { authorization: `Bearer ${adminToken}` });
    expect(answer.status).toBe(200);
    const listed = (await answer.json()) as Page<AppJson>;
    expect(listed.items.map((a) => a.name)).toContain(app);
    expect((await viaNginx('/openapi.json', {})).status).toBe(200);
  });

  test('with a certificate the dashboard is HTTPS: HTTP redirects, the session cookie is Secure; without, plain HTTP again', async () => {
    const tenantTry = await slipway.ssh(['dashboard:certs:generate'], { key: tenant });
    expect(tenantTry.code).not.toBe(0);
    const generated = await slipway.ssh(['dashboard:certs:generate']);
    expect(generated.code, generated.output).toBe(0);
    const httpsUrl = `https://${dashboard}:${slipway.httpsPort}/`;
    expect(generated.stdout).toContain(`The dashboard is served at ${httpsUrl}`);
    const report = await slipway.sshJson<Report>(['dashboard:report', '--format', 'json']);
    expect(report).toMatchObject({
      url: httpsUrl,
      domain: dashboard,
      'ssl-enabled': 'true',
      'ssl-hostnames': dashboard,
    });

    const redirect = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get(
          { host: '127.0.0.1', port: slipway.httpPort, path: '/login?x=1', headers: { host: dashboard }, agent: false },
          resolve,
        )
        .on('error', reject),
    );
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe(`https://${dashboard}:${slipway.httpsPort}/login?x=1`);

    const overTls = (method: string, urlPath: string, body?: string) =>
      slipway.overHttps(dashboard, urlPath, {
        method,
        body,
        headers: body ? { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' } : {},
      });
    const page = await overTls('GET', '/login');
    expect(page.status).toBe(200);
    expect(page.subject).toBe(dashboard);
    const loggedIn = await overTls('POST', '/login', new URLSearchParams({ token: adminToken }).toString());
    expect(loggedIn.status).toBe(303);
    expect(String(loggedIn.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    expect(loggedIn.headers['strict-transport-security']).toBeDefined();

    expect((await slipway.ssh(['dashboard:certs:remove'])).code).toBe(0);
    expect((await viaNginx('/openapi.json', {})).status).toBe(200);
    expect(JSON.parse((await slipway.ssh(['dashboard:report', '--format', 'json'])).stdout)).toMatchObject({
      url: `http://${dashboard}:${slipway.httpPort}/`,
      'ssl-enabled': 'false',
    });
    const again = await slipway.ssh(['dashboard:certs:remove']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('The dashboard has no certificate');
  });

  test('no app may take the dashboard’s name or domain', async () => {
    const named = await slipway.ssh(['apps:create', 'slipway']);
    expect(named.code).not.toBe(0);
    expect(named.stderr).toContain(`App name slipway is taken by Slipway's dashboard (${dashboard})`);
    const added = await slipway.ssh(['domains:add', app, dashboard]);
    expect(added.code).not.toBe(0);
    expect(added.stderr).toContain(`${dashboard} is Slipway's dashboard`);
    expect((await slipway.ssh(['apps:rename', app, 'slipway'])).code).not.toBe(0);
  });
});

/** Plain HTTP to the API port (fetch may not send every header a browser would). */
function raw(
  method: string,
  urlPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: slipway.apiPort, method, path: urlPath, headers, agent: false },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('metrics', () => {
  const metrics = (token: string | null) =>
    fetch(`http://127.0.0.1:${slipway.apiPort}/metrics`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
  /** A sample's value from Prometheus text, by its name and labels as written. */
  const sample = (text: string, series: string) =>
    Number(new RegExp(`^${series.replace(/[{}().+]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

  test('an app’s requests, latency, containers and deploys, read with a scrape token; which reads nothing else', async () => {
    const scrape = await makeToken('prometheus', undefined, ['--scrape']);
    for (let i = 0; i < 5; i++) expect((await slipway.get(slipway.appHost(app))).status).toBe(200);

    const answer = await metrics(scrape);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await answer.text();
    expect(text).toContain('# TYPE slipway_http_requests_total counter');
    expect(sample(text, `slipway_http_requests_total{app="${app}",status="2xx"}`)).toBeGreaterThanOrEqual(5);
    expect(sample(text, `slipway_http_request_duration_seconds_count{app="${app}"}`)).toBeGreaterThanOrEqual(5);
    expect(sample(text, `slipway_http_request_duration_seconds_bucket{app="${app}",le="+Inf"}`)).toBe(
      sample(text, `slipway_http_request_duration_seconds_count{app="${app}"}`),
    );
    expect(text).toMatch(
      new RegExp(
        `^slipway_container_memory_bytes\\{app="${app}",process="web",index="\\d+",release="v\\d+"\\} [1-9]`,
        'm',
      ),
    );
    expect(text).toMatch(new RegExp(`^slipway_container_cpu_seconds_total\\{app="${app}",process="web"`, 'm'));
    expect(text).toMatch(
      new RegExp(
        `^slipway_deploys_total\\{app="${app}",kind="git",status="succeeded",requested_by="user"\\} [1-9]\\d*$`,
        'm',
      ),
    );
    expect(text).toMatch(/^slipway_deploy_queue_jobs\{state="waiting"\} 0$/m);
    expect(text).not.toContain(`app="${other}",status=`);

    expect((await api<ErrorJson>('GET', '/apps', { token: scrape })).status).toBe(403);
    expect((await metrics(tenantToken)).status).toBe(403);
    expect((await metrics(null)).status).toBe(401);
    expect((await metrics(adminToken)).status).toBe(200);
    const refused = await slipway.ssh(['tokens:create', 'tenant-prom', '--scrape'], { key: tenant });
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(' !     tokens:create --scrape needs an admin key');
  });

  test('Debian’s Prometheus server scrapes the endpoint with a scrape token', async () => {
    const prometheus = new PrometheusUnderTest(`${slipway.dir}/prometheus`);
    try {
      await prometheus.start({
        host: `127.0.0.1:${slipway.apiPort}`,
        path: '/metrics',
        token: await makeToken('prometheus-server', undefined, ['--scrape']),
      });
      await slipway.get(slipway.appHost(app));
      const requests = await eventually(
        () => prometheus.query(`slipway_http_requests_total{app="${app}",status="2xx"}`),
        (result) => result.length === 1,
        60_000,
      );
      expect(Number(requests[0]!.value[1])).toBeGreaterThan(0);
      expect((await prometheus.query('up{job="slipway"}'))[0]?.value[1]).toBe('1');
    } finally {
      await prometheus.stop();
    }
  });
});

describe('dashboard sessions', () => {
  /** What a browser sends from the dashboard's own page (over plain HTTP it sends no Sec-Fetch-Site). */
  const own = () => ({ origin: `http://127.0.0.1:${slipway.apiPort}` });
  const form = () => ({ 'content-type': 'application/x-www-form-urlencoded', ...own() });
  const login = async (token: string, headers: Record<string, string> = form()) => {
    const answer = await raw('POST', '/login', headers, new URLSearchParams({ token }).toString());
    const cookie = String(answer.headers['set-cookie'] ?? '').split(';')[0]!;
    return { answer, cookie };
  };
  const csrfOf = (html: string) => /<meta name="csrf-token" content="([^"]+)">/.exec(html)?.[1] ?? '';

  test('pages need a session; the login page is served with strict security headers', async () => {
    const home = await raw('GET', '/');
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/login');
    const page = await raw('GET', '/login');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<input id="token" name="token" type="password"');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await raw('GET', '/assets/dashboard.js')).headers['content-type']).toContain('text/javascript');
    // The browser code is ES modules compiled from src/dashboard/client: each module is served, nothing else of it.
    expect(page.text).toContain('<script type="module" src="/assets/dashboard.js"></script>');
    expect((await raw('GET', '/assets/page.js')).headers['content-type']).toContain('text/javascript');
    for (const other of ['dashboard.ts', 'dashboard.js.map', 'tsconfig.json', 'index.js'])
      expect((await raw('GET', `/assets/${other}`)).status).toBe(404);
    expect((await raw('GET', '/assets/..%2f..%2fpackage.json')).status).toBe(404);
  });

  test('the dashboard’s files are answered 304 while unchanged, and loading them does not use up the API’s rate limit', async () => {
    const first = await raw('GET', '/assets/page.js');
    const etag = String(first.headers.etag);
    expect(first.headers['cache-control']).toBe('no-cache');
    const again = await raw('GET', '/assets/page.js', { 'if-none-match': etag });
    expect([again.status, again.text]).toEqual([304, '']);
    // More than a client's requests a minute (600): dozens of page loads' worth.
    for (let i = 0; i < 70; i++)
      await Promise.all(Array.from({ length: 10 }, () => raw('GET', '/assets/page.js', { 'if-none-match': etag })));
    expect((await raw('GET', '/assets/page.js')).status).toBe(200);
    expect((await api('GET', '/apps')).status).toBe(200);
  });

  test('a bad token is refused; a good one gets an HttpOnly, SameSite=Strict session cookie that is not the token', async () => {
    const bad = await login('slw_000000000000_nope');
    expect(bad.answer.status).toBe(401);
    expect(bad.answer.text).toContain('That token is not valid');
    expect(bad.answer.headers['set-cookie']).toBeUndefined();

    const good = await login(tenantToken);
    expect(good.answer.status).toBe(303);
    const setCookie = String(good.answer.headers['set-cookie']);
    expect(setCookie).toMatch(/^slipway_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(tenantToken);
  });

  test('a login from another site, or from a client that says nothing of where it comes from, gets no session', async () => {
    for (const headers of <Record<string, string>[]>[
      { origin: 'http://evil.example' },
      { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' },
      { 'sec-fetch-site': 'same-site' },
      {},
    ]) {
      const forged = await login(tenantToken, { 'content-type': 'application/x-www-form-urlencoded', ...headers });
      expect(forged.answer.status, JSON.stringify(headers)).toBe(403);
      expect(forged.answer.headers['set-cookie']).toBeUndefined();
    }
    expect(
      (
        await login(tenantToken, {
          'content-type': 'application/x-www-form-urlencoded',
          'sec-fetch-site': 'same-origin',
        })
      ).answer.status,
    ).toBe(303);
  });

  test('a session acts as its token’s key; changes need the page’s CSRF token', async () => {
    const { cookie } = await login(tenantToken);
    const home = await raw('GET', '/', { cookie });
    expect(home.status).toBe(200);
    const csrf = csrfOf(home.text);
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const theirs = JSON.parse((await raw('GET', '/api/v1/apps', { cookie })).text) as Page<AppJson>;
    expect(theirs.items.map((a) => a.name)).toEqual([app]);
    expect((await raw('GET', `/apps/${app}`, { cookie })).text).toContain(`data-app="${app}"`);
    expect((await raw('GET', `/apps/${other}`, { cookie })).status).toBe(404);

    const change = JSON.stringify({ set: { FROM_DASHBOARD: 'yes' }, restart: false });
    const json = { cookie, 'content-type': 'application/json', ...own() };
    const forged = await raw('PATCH', `/api/v1/apps/${app}/config`, json, change);
    expect(forged.status).toBe(403);
    // Another site's page (or an app's, same-site under the domain) is refused even with the CSRF token.
    for (const from of <Record<string, string>[]>[
      { origin: 'http://evil.example' },
      { 'sec-fetch-site': 'same-site' },
      {},
    ]) {
      const crossSite = await raw(
        'PATCH',
        `/api/v1/apps/${app}/config`,
        { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf, ...from },
        change,
      );
      expect(crossSite.status, JSON.stringify(from)).toBe(403);
    }
    expect((await slipway.ssh(['config:get', app, 'FROM_DASHBOARD'])).code).toBe(1);
    const made = await raw('PATCH', `/api/v1/apps/${app}/config`, { ...json, 'x-csrf-token': csrf }, change);
    expect(made.status, made.text).toBe(200);
    expect((await slipway.ssh(['config:get', app, 'FROM_DASHBOARD'])).stdout.trim()).toBe('yes');
  });

  test('logging out, or revoking the token, ends the session', async () => {
    const first = await login(adminToken);
    const csrf = csrfOf((await raw('GET', '/', { cookie: first.cookie })).text);
    const out = await raw(
      'POST',
      '/logout',
      { ...form(), cookie: first.cookie },
      new URLSearchParams({ csrf }).toString(),
    );
    expect(out.status).toBe(303);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await raw('GET', '/api/v1/apps', { cookie: first.cookie })).status).toBe(401);

    const token = await makeToken('dashboard-once');
    const second = await login(token);
    expect((await raw('GET', '/api/v1/apps', { cookie: second.cookie })).status).toBe(200);
    expect((await slipway.ssh(['tokens:revoke', 'dashboard-once'])).code).toBe(0);
    expect((await raw('GET', '/api/v1/apps', { cookie: second.cookie })).status).toBe(401);
    expect((await raw('GET', '/', { cookie: second.cookie })).status).toBe(303);
  });
});

describe('bad input', () => {
  test.each([
    ['an invalid app name', 'POST', '/apps', { body: { name: '../etc' } }, 400, 'Invalid body.name'],
    ['a missing field', 'POST', '/apps', { body: {} }, 400, 'Invalid body.name'],
    ['malformed JSON', 'POST', '/apps', { raw: '{"name":' }, 400, ''],
    [
      'a bad config key',
      'PATCH',
      `/apps/${app}/config`,
      { body: { set: { 'BAD KEY': 'x' } } },
      400,
      'Invalid body.set',
    ],
    [
      'a key set and unset',
      'PATCH',
      `/apps/${app}/config`,
      { body: { set: { A: '1' }, unset: ['A'] } },
      400,
      'A is both set and unset',
    ],
    ['an empty change', 'PATCH', `/apps/${app}/config`, { body: {} }, 400, 'Nothing to change'],
    ['a negative scale', 'PUT', `/apps/${app}/processes/formation`, { body: { web: -1 } }, 400, 'Invalid body.web'],
    ['an existing app', 'POST', '/apps', { body: { name: app } }, 409, 'Name is already taken'],
    ['an unknown resource', 'GET', '/nothing', {}, 404, 'No such resource'],
    ['an unknown deploy', 'GET', `/apps/${app}/deploys/abcdef12`, {}, 404, 'No deploy abcdef12'],
    ['an empty command', 'POST', '/commands', { body: { command: [] } }, 400, 'Invalid body.command'],
  ] as [string, string, string, { body?: unknown; raw?: string }, number, string][])(
    '%s: a 4xx JSON error, and nothing changed',
    async (_label, method, urlPath, options, status, message) => {
      const before = await snapshot();
      const answer = await api<ErrorJson>(method, urlPath, options);
      expect(answer.status, answer.text).toBe(status);
      expect(answer.json?.error).toContain(message);
      expect(await snapshot()).toBe(before);
    },
  );

  test('security headers on every answer', async () => {
    const answer = await api('GET', '/apps');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  test('failed token checks from one address are cut off with 429, whatever X-Forwarded-For it claims', async () => {
    // Only Slipway's nginx is believed about the client's address: a client on this host is 127.0.0.1.
    let last = 0;
    for (let i = 0; i < 25; i++)
      last = (await api('GET', '/apps', { token: 'nonsense', headers: { 'x-forwarded-for': `203.0.113.${i}` } }))
        .status;
    expect(last).toBe(429);
    expect((await api('GET', '/apps', { headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(429);
  });
});
