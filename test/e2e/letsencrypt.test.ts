import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { freePort } from '../support/ports.js';
import { pushOrThrow, sshEachOrThrow } from '../support/pushes.js';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';
import { writeSelfSigned } from '../support/tls.js';

// Debian's pebble (an ACME test server) with pebble-challtestsrv as its DNS, on loopback:
// every name resolves to 127.0.0.1, where the Slipway under test answers HTTP-01 challenges.
const settings: NodeJS.ProcessEnv = {};
const slipway = new SlipwayUnderTest(inject('redisUrl'), settings);
const servers: ChildProcess[] = [];
const ports = { acme: 0, acmeManagement: 0, dns: 0, dnsManagement: 0 };
let listenerCert: string;
const app = 'secure';

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(slipway.dir, 'pebble-'));
  const [certFile, keyFile] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  await writeSelfSigned({ cert: certFile, key: keyFile }, ['localhost', '127.0.0.1']);
  listenerCert = fs.readFileSync(certFile, 'utf8');
  // The daemon must trust pebble's HTTPS listener, as it trusts Let's Encrypt's through the system CAs.
  const bundle = path.join(dir, 'ca-bundle.pem');
  fs.writeFileSync(bundle, fs.readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8') + listenerCert);
  settings.NODE_EXTRA_CA_CERTS = bundle;
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
  await slipway.start();

  const config = path.join(dir, 'pebble.json');
  const pebbleConfig = {
    listenAddress: `127.0.0.1:${ports.acme}`,
    managementListenAddress: `127.0.0.1:${ports.acmeManagement}`,
    certificate: certFile,
    privateKey: keyFile,
    httpPort: slipway.httpPort,
    tlsPort: await freePort(),
    ocspResponderURL: '',
    externalAccountBindingRequired: false,
  };
  fs.writeFileSync(config, JSON.stringify({ pebble: pebbleConfig }));
  const quiet = { stdio: 'ignore' as const };
  servers.push(
    spawn(
      'pebble-challtestsrv',
      [
        '-dns01',
        `127.0.0.1:${ports.dns}`,
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-management',
        `127.0.0.1:${ports.dnsManagement}`,
        '-defaultIPv4',
        '127.0.0.1',
        '-defaultIPv6',
        '',
      ],
      quiet,
    ),
    spawn('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${ports.dns}`], {
      ...quiet,
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    }),
  );
  await eventually(
    () => fetchText(`https://127.0.0.1:${ports.acme}/dir`).catch(() => ''),
    (text) => text.includes('newOrder'),
    20_000,
  );
  await sshEachOrThrow(slipway, [
    ['apps:create', app],
    ['letsencrypt:set', '--global', 'server', `https://127.0.0.1:${ports.acme}/dir`],
  ]);
  await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', app));
}, 120_000);

afterAll(async () => {
  for (const server of servers) server.kill();
  await slipway.destroy();
});

function fetchText(url: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method: body ? 'POST' : 'GET', ca: listenerCert }, (response) => {
      let text = '';
      response.on('data', (d) => (text += d));
      response.on('end', () => resolve(text));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** The certificate nginx serves for the app (or another host), checked against pebble's root, and what it answers. */
const httpsGet = (root: string, host = slipway.appHost(app), urlPath = '/') =>
  slipway.overHttps(host, urlPath, { ca: root });

const pebbleRoot = () => fetchText(`https://127.0.0.1:${ports.acmeManagement}/roots/0`);

describe('letsencrypt, against pebble', () => {
  let serial: string;

  test('enable needs an email; then the app answers HTTPS with a certificate chained to the authority', async () => {
    const missing = await slipway.ssh(['letsencrypt:enable', app]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`Missing email: letsencrypt:set ${app} email <address>`);
    expect((await slipway.ssh(['letsencrypt:set', '--global', 'email', 'ops@example.com'])).code).toBe(0);

    const enabled = await slipway.ssh(['letsencrypt:enable', app]);
    expect(enabled.code, enabled.output).toBe(0);
    expect(enabled.stdout).toContain(`Ordering a certificate for ${slipway.appHost(app)}`);
    const served = await httpsGet(await pebbleRoot());
    expect(served.authorized).toBe(true);
    expect(served.body).toMatch(/^hello from version 1/);
    serial = served.serial;
    expect((await slipway.ssh(['letsencrypt:active', app])).stdout).toBe('true\n');
    expect((await slipway.ssh(['letsencrypt:list'])).stdout).toContain(app);
    expect((await slipway.get(slipway.appHost(app))).status).toBe(301);
  });

  test('a certificate due for renewal is renewed; one that is not, is left', async () => {
    expect((await slipway.ssh(['letsencrypt:auto-renew', app])).stdout).toContain('No certificate was due for renewal');
    expect((await slipway.ssh(['letsencrypt:set', app, 'graceperiod', '3153600000'])).code).toBe(0);
    const renewed = await slipway.ssh(['letsencrypt:auto-renew', app]);
    expect(renewed.code, renewed.output).toBe(0);
    expect(renewed.stdout).toContain(`Renewed ${app}`);
    const served = await httpsGet(await pebbleRoot());
    expect(served.authorized).toBe(true);
    expect(served.serial).not.toBe(serial);
    serial = served.serial;

    // The daemon renews by itself, with no command: at start, then twice a day.
    await slipway.stopDaemon();
    await slipway.startDaemon();
    const root = await pebbleRoot();
    const byDaemon = await eventually(
      () => httpsGet(root),
      (s) => s.serial !== serial,
      20_000,
    );
    expect(byDaemon.serial).not.toBe(serial);
    expect(byDaemon.authorized).toBe(true);
    serial = byDaemon.serial;
    expect((await slipway.ssh(['letsencrypt:set', app, 'graceperiod'])).code).toBe(0);
  });

  test('a domain that does not resolve to this host fails the order and changes nothing', async () => {
    await new Promise<void>((resolve, reject) => {
      const request = http.request(
        { host: '127.0.0.1', port: ports.dnsManagement, path: '/add-a', method: 'POST' },
        (response) => response.resume().on('end', resolve),
      );
      request.on('error', reject);
      request.end(JSON.stringify({ host: 'elsewhere.example.com', addresses: ['192.0.2.1'] }));
    });
    expect((await slipway.ssh(['domains:add', app, 'elsewhere.example.com'])).code).toBe(0);
    const forced = await slipway.ssh(['letsencrypt:enable', app]);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain('The certificate authority refused the order');
    expect(forced.stderr).toContain('elsewhere.example.com');
    const served = await httpsGet(await pebbleRoot());
    expect(served.serial).toBe(serial);
    expect((await slipway.ssh(['domains:remove', app, 'elsewhere.example.com'])).code).toBe(0);
  });

  test('the dashboard host gets one too: HTTPS chained to the authority, renewed with the apps’, and disabled', async () => {
    const dashboard = `slipway.${slipway.domain}`;
    const enabled = await slipway.ssh(['dashboard:letsencrypt:enable']);
    expect(enabled.code, enabled.output).toBe(0);
    expect(enabled.stdout).toContain(`Ordering a certificate for ${dashboard}`);
    const served = await httpsGet(await pebbleRoot(), dashboard, '/login');
    expect(served.authorized).toBe(true);
    expect(served.body).toContain('id="token"');
    expect(JSON.parse((await slipway.ssh(['dashboard:report', '--format', 'json'])).stdout)).toMatchObject({
      'letsencrypt-active': 'true',
      'ssl-enabled': 'true',
    });
    expect((await slipway.ssh(['dashboard:certs:remove'])).stderr).toContain(
      'dashboard:letsencrypt:disable removes it',
    );

    expect((await slipway.ssh(['letsencrypt:set', '--global', 'graceperiod', '3153600000'])).code).toBe(0);
    const renewed = await slipway.ssh(['letsencrypt:auto-renew']);
    expect(renewed.stdout).toContain('Renewed secure, the dashboard');
    expect((await httpsGet(await pebbleRoot(), dashboard, '/login')).serial).not.toBe(served.serial);
    expect((await slipway.ssh(['letsencrypt:set', '--global', 'graceperiod'])).code).toBe(0);

    expect((await slipway.ssh(['dashboard:letsencrypt:disable'])).code).toBe(0);
    expect(JSON.parse((await slipway.ssh(['dashboard:report', '--format', 'json'])).stdout)).toMatchObject({
      'letsencrypt-active': 'false',
      'ssl-enabled': 'false',
    });
  });

  test('revoke has the authority revoke it; the app serves plain HTTP again', async () => {
    const revoked = await slipway.ssh(['letsencrypt:revoke', app]);
    expect(revoked.code, revoked.output).toBe(0);
    expect((await slipway.ssh(['letsencrypt:active', app])).stdout).toBe('false\n');
    expect((await slipway.get(slipway.appHost(app))).body).toMatch(/^hello from version 1/);
    expect((await slipway.ssh(['letsencrypt:revoke', app])).stderr).toContain(
      `${app} has no Let's Encrypt certificate`,
    );
  });
});
