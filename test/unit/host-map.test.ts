import { describe, expect, test } from 'vitest';
import { aboutDomains, routedByMap } from '../../src/proxy/host-map.js';
import { NGINX_DEFAULTS } from '../../src/proxy/nginx-properties.js';
import { parseBackends, renderBackends } from '../../src/proxy/render.js';

const HTTP_PORT = 8080;
const PORTS = { httpPort: HTTP_PORT, httpsPort: 8443 };
const plain = {
  listeners: [{ port: HTTP_PORT, ssl: false, redirect: false, container: null }],
  tls: undefined,
  nginx: NGINX_DEFAULTS,
};
const secureListeners = [
  { port: HTTP_PORT, ssl: false, redirect: true, container: null },
  { port: PORTS.httpsPort, ssl: true, redirect: false, container: null },
];
const tls = { certFile: '/srv/certs/app/server.crt', keyFile: '/srv/certs/app/server.key', fingerprint: 'ab' };

describe('the shared host map', () => {
  test('routes an app with plain HTTP on the HTTP port and every nginx property at its default', () => {
    expect(routedByMap(plain, PORTS)).toBe(true);
  });

  test('routes an app with a certificate too: HTTP redirecting to HTTPS on the HTTPS port', () => {
    expect(routedByMap({ ...plain, tls, listeners: secureListeners }, PORTS)).toBe(true);
  });

  test.each([
    ['a certificate but no HTTPS listener', { tls }],
    [
      'a certificate and an HTTPS port of its own',
      { tls, listeners: [secureListeners[0]!, { ...secureListeners[1]!, port: 9443 }] },
    ],
    ['a non-default nginx property', { nginx: { ...NGINX_DEFAULTS, 'client-max-body-size': '10m' } }],
    ['a global property unset back to nothing', { nginx: { ...NGINX_DEFAULTS, 'x-forwarded-ssl': 'on' } }],
    ['an HTTP port of its own', { listeners: [{ ...plain.listeners[0]!, port: 9000 }] }],
    ['a second listener', { listeners: [...plain.listeners, { ...plain.listeners[0]!, port: 9000 }] }],
    ['a listener to another container port', { listeners: [{ ...plain.listeners[0]!, container: 8000 }] }],
    ['no HTTP listener (TCP mappings only)', { listeners: [] }],
  ])('leaves an app with %s to a server block of its own', (_, change) => {
    expect(routedByMap({ ...plain, ...change }, PORTS)).toBe(false);
  });

  test('an app’s domains render as `host:<domain> app [parked]` lines after the backends, and read back', () => {
    const backends = {
      web: {
        peers: [{ host: '172.18.0.2', port: 5000 }],
        fallback: [],
        domains: ['web.example.com', '*.web.example.com'],
      },
      idle: { peers: [], fallback: [], domains: ['idle.example.com'], parked: true },
      blocked: { peers: [{ host: '172.18.0.3', port: 5000 }], fallback: [] },
      asleep: { peers: [], fallback: [], sleeping: true, domains: ['asleep.example.com'] },
    };
    const text = renderBackends(backends);
    expect(text).toBe(
      [
        'asleep - - sleeping',
        'blocked 172.18.0.3:5000',
        'web 172.18.0.2:5000',
        'host:asleep.example.com asleep',
        'host:idle.example.com idle parked',
        'host:web.example.com web',
        'host:*.web.example.com web',
        '',
      ].join('\n'),
    );
    expect(parseBackends(text)).toEqual(backends);
  });

  test('an app served over HTTPS by the map, and one with a block of its own, are flagged on their hosts', () => {
    const backends = {
      secure: { peers: [], fallback: [], domains: ['secure.example.com'], tls: true, parked: true },
      own: { peers: [], fallback: [], domains: ['*.example.com'], block: true },
    };
    const text = renderBackends(backends);
    expect(text).toBe('host:*.example.com own block\nhost:secure.example.com secure parked tls\n');
    expect(parseBackends(text)).toEqual(backends);
  });

  test('refuses a domain that would break the map’s lines', () => {
    for (const domain of ['a.example.com web2', 'a.example.com\nevil 1.2.3.4:1', 'host:x'])
      expect(() => renderBackends({ web: { peers: [], fallback: [], domains: [domain] } })).toThrow();
  });
});

describe('the shared server’s error log, read for one app', () => {
  const about = aboutDomains(['web.example.com', '*.web.example.com']);
  const line = (host: string) =>
    `2026/12/07 05:00:00 [error] 12#12: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "http://172.18.0.2:5000/", host: "${host}"`;

  test('keeps the lines of requests for the app’s domains, its wildcards’ names and with a port', () => {
    expect(about(line('web.example.com'))).toBe(true);
    expect(about(line('WEB.example.com:8080'))).toBe(true);
    expect(about(line('a.b.web.example.com'))).toBe(true);
  });

  test('leaves out other apps’ lines and lines about no request', () => {
    expect(about(line('other.example.com'))).toBe(false);
    expect(about(line('notweb.example.com'))).toBe(false);
    expect(about('2026/12/07 05:00:00 [notice] 1#1: signal process started')).toBe(false);
  });
});
