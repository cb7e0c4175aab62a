import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { BackendsTable } from '../../src/proxy/backends-table.js';
import { Nginx, type AppRoute } from '../../src/proxy/nginx.js';
import { NginxProcess } from '../../src/proxy/nginx-process.js';
import { NGINX_DEFAULTS } from '../../src/proxy/nginx-properties.js';
import { parseBackends, renderBackends, type AppBackends } from '../../src/proxy/render.js';
import { MemoryLocks } from '../support/fakes.js';

// A restart routes every app at once: what that costs must grow with the apps routed, not with
// their square (the whole backends file parsed and rendered per route, every waiting route
// asking for the config lock again every 50 ms).

const HTTP_PORT = 8080;
const APPS = Array.from({ length: 150 }, (_, i) => `app${i + 1}`);
let dir: string;
let locks: MemoryLocks;
let lockAsked: number;
let sent: string[];

/** An app the shared map routes (plain HTTP, nginx's defaults), asleep as most of a thousand are. */
const route = (app: string, backends: AppRoute['backends'] = []): AppRoute => ({
  app,
  domains: [`${app}.example.test`],
  listeners: [{ port: HTTP_PORT, ssl: false, redirect: false, container: null }],
  streams: [],
  backends,
  tls: undefined,
  nginx: NGINX_DEFAULTS,
  parked: false,
  sleeping: backends.length === 0,
});

function nginx(): Nginx {
  return new Nginx({
    bin: 'nginx',
    dir,
    tempDir: path.join(dir, 'tmp'),
    httpPort: HTTP_PORT,
    httpsPort: 8443,
    ipv6: false,
    modulesDir: dir,
    apiPort: 8000,
    proxySecret: 'secret',
    dashboardDomain: 'dashboard.example.test',
    dashboardTls: () => undefined,
    certsDir: path.join(dir, 'certs'),
    lock: (fn) => locks.withLock('nginx', 60_000, fn),
  });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-routes-'));
  fs.mkdirSync(path.join(dir, 'tmp', 'logs'), { recursive: true });
  locks = new MemoryLocks();
  lockAsked = 0;
  const tryAcquire = locks.tryAcquire.bind(locks);
  locks.tryAcquire = (name) => {
    lockAsked++;
    return tryAcquire(name);
  };
  // nginx itself is not here: what it would be sent is recorded.
  sent = [];
  vi.spyOn(NginxProcess.prototype, 'sendBackends').mockImplementation(async (text) => void sent.push(text));
});

afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const backendsFile = () => path.join(dir, 'backends.txt');

test('every app routed at once asks for the config lock once each, and the file ends with every app', async () => {
  const router = nginx();
  await Promise.all(APPS.map((app) => router.route(route(app))));
  expect(lockAsked).toBe(APPS.length);
  const all = parseBackends(fs.readFileSync(backendsFile(), 'utf8'));
  expect(Object.keys(all).sort()).toEqual([...APPS].sort());
  expect(all.app7).toEqual({ peers: [], fallback: [], sleeping: true, domains: ['app7.example.test'] });
});

test('routing every app again as it was (a restart) leaves the file alone', async () => {
  const router = nginx();
  await Promise.all(APPS.map((app) => router.route(route(app))));
  const before = fs.statSync(backendsFile(), { bigint: true });
  const text = fs.readFileSync(backendsFile(), 'utf8');
  const restarted = nginx();
  await Promise.all(APPS.map((app) => restarted.route(route(app))));
  const after = fs.statSync(backendsFile(), { bigint: true });
  expect([after.ino, after.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
  expect(sent.at(-1)).toBe(text);
});

test('a route keeps what another process wrote to the file since this one last did', async () => {
  const router = nginx();
  await router.route(route('app1'));
  const others: Record<string, AppBackends> = {
    ...parseBackends(fs.readFileSync(backendsFile(), 'utf8')),
    other: { peers: [{ host: '10.0.0.9', port: 5000 }], fallback: [] },
  };
  fs.writeFileSync(backendsFile(), renderBackends(others));
  await router.route(route('app2', [{ host: '10.0.0.2', port: 5000 }]));
  const all = parseBackends(fs.readFileSync(backendsFile(), 'utf8'));
  expect(Object.keys(all).sort()).toEqual(['app1', 'app2', 'other']);
  expect(all.other!.peers).toEqual([{ host: '10.0.0.9', port: 5000 }]);
  expect(all.app2!.peers).toEqual([{ host: '10.0.0.2', port: 5000 }]);
});

test('an unrouted app leaves the file, and its lines with it', async () => {
  const router = nginx();
  await router.route(route('app1'));
  await router.route(route('app2'));
  await router.unroute('app1');
  expect(fs.readFileSync(backendsFile(), 'utf8')).toBe('app2 - - sleeping\nhost:app2.example.test app2\n');
});

test('the table parses the file only when its text is not the one the table last read or wrote', () => {
  const table = new BackendsTable();
  const text = renderBackends({
    one: { peers: [{ host: '10.0.0.1', port: 5000 }], fallback: [] },
    two: { peers: [], fallback: [], sleeping: true, domains: ['two.example.test'] },
  });
  table.load(text);
  table.load(text);
  expect(table.parses).toBe(1);
  const next = table.set('three', { peers: [{ host: '10.0.0.3', port: 5000 }], fallback: [] });
  table.load(next);
  expect(table.parses).toBe(1);
  expect(next).toBe(
    renderBackends({
      ...parseBackends(text),
      three: { peers: [{ host: '10.0.0.3', port: 5000 }], fallback: [] },
    }),
  );
  table.load(text); // another process wrote the file
  expect(table.parses).toBe(2);
  expect(table.get('three')).toBeUndefined();
  expect(() => table.set('Bad Name', { peers: [], fallback: [], sleeping: true })).toThrow();
  expect(table.get('two')).toEqual(parseBackends(text).two);
});
