import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { NGINX_DEFAULTS } from '../../src/proxy/nginx-properties.js';
import {
  parseBackends,
  renderApp,
  renderBackends,
  renderMain,
  renderStatus,
  renderStreams,
} from '../../src/proxy/render.js';
import { run } from '../support/slipway.js';
import { writeSelfSigned } from '../support/tls.js';

const HTTP = { port: 8080, ssl: false, redirect: false, container: null };
const HTTPS = { port: 8443, ssl: true, redirect: false, container: null };
const REDIRECT = { ...HTTP, redirect: true };
const server = {
  app: 'my.app',
  listeners: [HTTP],
  ipv6: false,
  domains: ['my.app.example.com', 'www.example.com'],
  tls: null,
  logsDir: '/var/lib/slipway/nginx/logs',
  acmeDir: '/var/cache/slipway-nginx/slipway/acme-challenge',
  nginx: NGINX_DEFAULTS,
  parked: false,
  mapLogsDir: '/var/cache/slipway-nginx/slipway/logs',
  sharedErrorLog: '/var/lib/slipway/nginx/logs/shared-error.log',
};
const withSettings = (settings: Partial<typeof NGINX_DEFAULTS>) => ({
  ...server,
  nginx: { ...NGINX_DEFAULTS, ...settings },
});

/** A self-signed certificate and key, made with openssl. */
async function selfSigned(dir: string) {
  const certFile = path.join(dir, 'server.crt');
  const keyFile = path.join(dir, 'server.key');
  await writeSelfSigned({ cert: certFile, key: keyFile }, ['my.app.example.com']);
  return { certFile, keyFile, fingerprint: '0123456789abcdef' };
}
const backends = {
  'my.app': {
    peers: [
      { host: '172.18.0.2', port: 5000 },
      { host: '172.18.0.3', port: 5000 },
    ],
    fallback: [],
  },
  other: { peers: [{ host: '172.18.0.9', port: 5000 }], fallback: [] },
};

describe('nginx renderer', () => {
  test('an app gets a server block for its domains that hands requests to the balancer', () => {
    const conf = renderApp(server);
    expect(conf).toContain('server_name my.app.example.com www.example.com;');
    expect(conf).toContain('listen 8080;');
    expect(conf).toContain('set $slipway_app "my.app";');
    expect(conf).toContain('proxy_pass http://slipway_apps;');
    expect(conf).toContain('proxy_set_header Upgrade $http_upgrade;');
    // The address that connected, not what the client claims: hosts behind a proxy opt in with nginx:set.
    expect(conf).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
    expect(renderApp(withSettings({ 'x-forwarded-for-value': '$proxy_add_x_forwarded_for' }))).toContain(
      'X-Forwarded-For $proxy_add_x_forwarded_for;',
    );
  });

  test('nginx:set properties become the block’s directives', () => {
    const conf = renderApp(
      withSettings({
        'client-max-body-size': '50m',
        'proxy-read-timeout': '5m',
        'proxy-buffers': '16 8k',
        'proxy-buffering': 'off',
        'x-forwarded-ssl': 'on',
      }),
    );
    expect(conf).toContain('client_max_body_size 50m;');
    expect(conf).toContain('proxy_read_timeout 5m;');
    expect(conf).toContain('proxy_buffers 16 8k;');
    expect(conf).toContain('proxy_buffering off;');
    expect(conf).toContain('proxy_set_header X-Forwarded-Ssl on;');
    expect(renderApp(server)).not.toContain('X-Forwarded-Ssl');
    // each app logs to files of its own unless told otherwise
    expect(conf).toContain('access_log /var/lib/slipway/nginx/logs/my.app-access.log combined buffer=64k flush=1s;');
    expect(conf).toContain('error_log /var/lib/slipway/nginx/logs/my.app-error.log;');
    expect(renderApp(withSettings({ 'access-log-path': 'off' }))).toContain('access_log off;');
    expect(renderApp(withSettings({ 'bind-address-ipv4': '127.0.0.1' }))).toContain('listen 127.0.0.1:8080;');
    expect(renderApp({ ...withSettings({ 'bind-address-ipv6': '::1' }), ipv6: true })).toContain('listen [::1]:8080;');
  });

  test('an app that takes no traffic keeps its domains, answering 502 without asking the balancer', () => {
    const conf = renderApp({ ...server, parked: true });
    expect(conf).toContain('server_name my.app.example.com www.example.com;');
    expect(conf).toContain('return 502;');
    expect(conf).not.toContain('proxy_pass');
  });

  test('HSTS goes with HTTPS only, as hsts-* say', () => {
    const tls = { certFile: '/c.crt', keyFile: '/c.key', fingerprint: '0123456789abcdef' };
    const listeners = [REDIRECT, HTTPS];
    expect(renderApp({ ...server, listeners, tls })).toContain(
      'add_header Strict-Transport-Security "max-age=15724800; includeSubDomains" always;',
    );
    expect(
      renderApp({
        ...withSettings({ 'hsts-preload': 'true', 'hsts-include-subdomains': 'false', 'hsts-max-age': '60' }),
        listeners,
        tls,
      }),
    ).toContain('Strict-Transport-Security "max-age=60; preload"');
    expect(renderApp({ ...withSettings({ hsts: 'false' }), listeners, tls })).not.toContain(
      'Strict-Transport-Security',
    );
    expect(renderApp(server)).not.toContain('Strict-Transport-Security');
  });

  test('an app with a certificate answers HTTPS and redirects plain HTTP there', () => {
    const conf = renderApp({
      ...server,
      listeners: [REDIRECT, HTTPS],
      tls: {
        certFile: '/certs/my.app/server.crt',
        keyFile: '/certs/my.app/server.key',
        fingerprint: '0123456789abcdef',
      },
    });
    expect(conf).toContain('return 301 https://$host:8443$request_uri;');
    // Challenges are answered on plain HTTP even then, ahead of the redirect.
    expect(conf).toContain(
      'location ^~ /.well-known/acme-challenge/ {\n    alias /var/cache/slipway-nginx/slipway/acme-challenge/;',
    );
    expect(conf).toContain('listen 8443 ssl;');
    expect(conf).toContain('ssl_certificate_key /certs/my.app/server.key;');
    expect(conf.match(/proxy_pass/g)).toHaveLength(1); // only the HTTPS server proxies
    expect(
      renderApp({
        ...server,
        listeners: [REDIRECT, { ...HTTPS, port: 443 }],
        tls: { certFile: '/c.crt', keyFile: '/c.key', fingerprint: '0123456789abcdef' },
      }),
    ).toContain('return 301 https://$host$request_uri;');
    expect(renderApp(server)).not.toContain('ssl');
    expect(renderApp({ ...server, ipv6: true })).toContain('listen [::]:8080;');
    expect(renderApp(server)).not.toContain('[::]');
  });

  test('each mapping gets a server block on its host port, sending traffic to its container port', () => {
    const conf = renderApp({
      ...server,
      listeners: [HTTP, { port: 9000, ssl: false, redirect: false, container: 6000 }],
    });
    expect(conf).toContain('listen 8080;');
    expect(conf).toContain('listen 9000;');
    expect(conf).toContain('set $slipway_port "";');
    expect(conf).toContain('set $slipway_port "6000";');
    expect(conf.match(/server_name my\.app\.example\.com www\.example\.com;/g)).toHaveLength(2);
  });

  test('TCP and UDP mappings forward to the containers listed in the stream config', () => {
    const conf = renderStreams({
      app: 'my.app',
      ipv6: false,
      streams: [{ scheme: 'udp', port: 5353, container: 53 }],
      hosts: ['172.18.0.2'],
    })!;
    expect(conf).toContain('upstream slipway_my.app_udp_5353 {\n  server 172.18.0.2:53;\n}');
    expect(conf).toContain('listen 5353 udp;');
    expect(
      renderStreams({
        app: 'my.app',
        ipv6: false,
        streams: [{ scheme: 'tcp', port: 5432, container: 5432 }],
        hosts: [],
      }),
    ).toContain('server 127.0.0.1:1 down;');
    expect(renderStreams({ app: 'my.app', ipv6: false, streams: [], hosts: [] })).toBeUndefined();
    expect(() =>
      renderStreams({ app: 'my.app', ipv6: false, streams: [], hosts: ['1.2.3.4; include /etc/passwd'] }),
    ).toThrow();
  });

  test('backends render as sorted `app ip:port,… [fallback]` lines and read back', () => {
    const text = renderBackends({ ...backends, empty: { peers: [], fallback: [] } });
    expect(text).toBe('my.app 172.18.0.2:5000,172.18.0.3:5000\nother 172.18.0.9:5000\n');
    expect(parseBackends(text)).toEqual(backends);
    const swapped = {
      app: { peers: [{ host: '172.18.0.4', port: 5000 }], fallback: [{ host: '172.18.0.2', port: 5000 }] },
      gone: { peers: [], fallback: [{ host: '172.18.0.3', port: 5000 }] },
    };
    const withFallback = renderBackends(swapped);
    expect(withFallback).toBe('app 172.18.0.4:5000 172.18.0.2:5000\ngone - 172.18.0.3:5000\n');
    expect(parseBackends(withFallback)).toEqual(swapped);
  });

  test.each([
    ['a domain that would inject directives', { domains: ['x.com; } server { listen 81'] }],
    ['a domain with a newline', { domains: ['x.com\nroot /'] }],
    ['an app name with a quote', { app: 'x"; evil' }],
    ['a port out of range', { listeners: [{ ...HTTP, port: 70000 }] }],
    ['a container port out of range', { listeners: [{ ...HTTP, container: 0 }] }],
    ['no domains', { domains: [] }],
    [
      'a forwarded value that would inject directives',
      { nginx: { ...NGINX_DEFAULTS, 'x-forwarded-for-value': '$remote_addr; include /etc/passwd' } },
    ],
    [
      'a size that would inject directives',
      { nginx: { ...NGINX_DEFAULTS, 'client-max-body-size': '1m; include /etc/passwd' } },
    ],
    ['a log path with a space', { nginx: { ...NGINX_DEFAULTS, 'access-log-path': '/tmp/x main' } }],
    ['an empty value where one is needed', { nginx: { ...NGINX_DEFAULTS, 'proxy-read-timeout': '' } }],
    [
      'a certificate path that would inject directives',
      { tls: { certFile: '/x.crt; include /etc/passwd', keyFile: '/x.key', fingerprint: '0123456789abcdef' } },
    ],
  ])('refuses %s', (_, change) => {
    expect(() => renderApp({ ...server, ...change })).toThrow();
  });

  test.each([
    ['a backend that is not an IPv4 address', { app: [{ host: '1.2.3.4,evil', port: 5000 }] }],
    ['an invalid app name', { 'bad app': [{ host: '1.2.3.4', port: 5000 }] }],
    ['a port out of range', { app: [{ host: '1.2.3.4', port: 0 }] }],
  ])('refuses backends with %s', (_, input) => {
    const [app, peers] = Object.entries(input)[0]!;
    expect(() => renderBackends({ [app]: { peers, fallback: [] } })).toThrow();
    expect(() => renderBackends({ [app]: { peers: [], fallback: peers } })).toThrow();
  });

  const mainConfig = (dir: string) => ({
    dir,
    tempDir: path.join(dir, 'tmp'),
    httpPort: 8080,
    httpsPort: 8443,
    ipv6: true,
    modulesDir: '/usr/lib/nginx/modules',
    apiPort: 5190,
    proxySecret: 'ab'.repeat(32),
    dashboardDomain: 'slipway.example.com',
    dashboardTls: null,
    acmeDir: path.join(dir, 'tmp', 'acme'),
    unavailableSocket: path.join(dir, 'tmp', 'unavailable.sock'),
    wakeSocket: path.join(dir, 'tmp', 'wake.sock'),
    wakeToken: 'cd'.repeat(32),
    sharedErrorLog: path.join(dir, 'logs', 'shared-error.log'),
    mapLogsDir: path.join(dir, 'tmp', 'logs'),
    certsDir: path.join(dir, 'certs'),
    placeholderTls: {
      certFile: path.join(dir, 'run', 'placeholder.crt'),
      keyFile: path.join(dir, 'run', 'placeholder.key'),
    },
  });

  test('the dashboard host: plain HTTP to the API, or with a certificate HTTPS and a redirect; ACME challenges always over HTTP', () => {
    const plain = renderMain(mainConfig('/srv/nginx'));
    const dashboardBlocks = (conf: string) =>
      conf.split('\n  server {').filter((block) => block.includes('server_name slipway.example.com;'));
    expect(dashboardBlocks(plain)).toHaveLength(1);
    expect(dashboardBlocks(plain)[0]).toContain('proxy_pass http://127.0.0.1:5190;');
    expect(dashboardBlocks(plain)[0]).toContain('alias /srv/nginx/tmp/acme/;');
    expect(dashboardBlocks(plain)[0]).toContain(`proxy_set_header X-Slipway-Proxy ${'ab'.repeat(32)};`);
    expect(() => renderMain({ ...mainConfig('/srv/nginx'), proxySecret: 'ab; include /etc/passwd' })).toThrow();
    const tls = {
      certFile: '/srv/certs/_dashboard/server.crt',
      keyFile: '/srv/certs/_dashboard/server.key',
      fingerprint: '0123456789abcdef',
    };
    const [http, https] = dashboardBlocks(renderMain({ ...mainConfig('/srv/nginx'), dashboardTls: tls }));
    expect(http).toContain('return 301 https://$host:8443$request_uri;');
    expect(http).toContain('alias /srv/nginx/tmp/acme/;');
    expect(http).not.toContain('proxy_pass');
    expect(https).toContain('listen 8443 ssl;');
    expect(https).toContain('ssl_certificate /srv/certs/_dashboard/server.crt;');
    expect(https).toContain('proxy_pass http://127.0.0.1:5190;');
    expect(() =>
      renderMain({ ...mainConfig('/srv/nginx'), dashboardTls: { ...tls, certFile: '/srv/x;evil' } }),
    ).toThrow();
  });

  test('the rendered configuration, with the Lua balancer, passes nginx -t', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-nginx-'));
    for (const sub of ['apps', 'streams', 'logs', 'tmp', 'run']) fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(
      path.join(dir, 'nginx.conf'),
      renderMain({ ...mainConfig(dir), dashboardTls: await selfSigned(dir), placeholderTls: await selfSigned(dir) }),
    );
    fs.writeFileSync(path.join(dir, 'status.conf'), renderStatus({ dir, generation: 'abc123' }));
    const logsDir = path.join(dir, 'logs');
    fs.writeFileSync(
      path.join(dir, 'apps', 'my.app.conf'),
      renderApp({
        ...withSettings({
          'client-max-body-size': '0',
          'proxy-buffers': '16 8k',
          'x-forwarded-ssl': 'off',
          'keepalive-timeout': '10s',
        }),
        logsDir,
      }),
    );
    fs.writeFileSync(
      path.join(dir, 'apps', 'secure.conf'),
      renderApp({
        ...withSettings({ 'hsts-preload': 'true', 'bind-address-ipv4': '127.0.0.1' }),
        logsDir,
        app: 'secure',
        ipv6: true,
        // A wildcard: the block hands hosts the map has more exactly back to it (@slipway_map).
        domains: ['secure.example.com', '*.secure.example.com'],
        tls: await selfSigned(dir),
        listeners: [REDIRECT, HTTPS],
        mapLogsDir: path.join(dir, 'tmp', 'logs'),
        sharedErrorLog: path.join(logsDir, 'shared-error.log'),
      }),
    );
    fs.writeFileSync(path.join(dir, 'backends.txt'), renderBackends(backends));
    const streams = [
      { scheme: 'tcp' as const, port: 15432, container: 5432 },
      { scheme: 'udp' as const, port: 15353, container: 53 },
    ];
    fs.writeFileSync(
      path.join(dir, 'streams', 'my.app.conf'),
      renderStreams({ app: 'my.app', ipv6: true, streams, hosts: ['172.18.0.2', '172.18.0.3'] })!,
    );
    fs.writeFileSync(
      path.join(dir, 'streams', 'secure.conf'),
      renderStreams({ app: 'secure', ipv6: false, streams: [{ ...streams[0]!, port: 15433 }], hosts: [] })!,
    );
    const result = await run('nginx', [
      '-p',
      dir,
      '-c',
      path.join(dir, 'nginx.conf'),
      '-e',
      path.join(dir, 'logs', 'error.log'),
      '-t',
    ]);
    expect(result.code, result.output).toBe(0);
    fs.rmSync(dir, { recursive: true });
  });
});
