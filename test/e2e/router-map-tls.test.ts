import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { expectNoReloadSince, nginxState } from '../support/nginx-reloads.js';
import { deployKnowingItsName } from '../support/pushes.js';
import { SlipwayUnderTest } from '../support/slipway.js';
import { writeSelfSigned } from '../support/tls.js';

// Apps with a certificate and nginx's default settings are routed by the shared map over HTTPS
// too: nginx picks each one's certificate by SNI from the map (ssl_certificate_by_lua), so a
// certificate, like a domain, changes the map and takes no reload. And a block's wildcard name
// does not take a Host the map has exactly: nginx's own order of names holds across both.
const slipway = new SlipwayUnderTest(inject('redisUrl'));

const deploy = (app: string) => deployKnowingItsName(slipway, app);

/** A self-signed certificate and key for these names, as certs:add takes them (one PEM text). */
async function certificate(names: [string, ...string[]]): Promise<string> {
  const dir = fs.mkdtempSync(path.join(slipway.dir, 'tls-'));
  const files = { cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
  await writeSelfSigned(files, names);
  return fs.readFileSync(files.cert, 'utf8') + fs.readFileSync(files.key, 'utf8');
}

async function addCertificate(app: string, names: [string, ...string[]]): Promise<void> {
  const added = await slipway.ssh(['certs:add', app], { input: await certificate(names) });
  expect(added.code, added.output).toBe(0);
}

/** Which app answers this Host over HTTPS, and with whose certificate. */
async function whoOverHttps(host: string): Promise<{ who: string | number; served: string }> {
  const answer = await slipway.overHttps(host, '/env/WHO');
  return { who: answer.status === 200 ? answer.body : answer.status, served: answer.subject };
}

const who = async (host: string) => {
  const answer = await slipway.get(host, '/env/WHO');
  return answer.status === 200 ? answer.body : answer.status;
};

const alpha = () => slipway.appHost('alpha');
const beta = () => slipway.appHost('beta');

beforeAll(async () => {
  await slipway.start();
  await deploy('alpha');
  await deploy('beta');
});
afterAll(() => slipway.destroy());

test('a certificate added, a second app’s and a domain are served by SNI without an nginx reload', async () => {
  const before = nginxState(slipway);
  await addCertificate('alpha', [alpha(), 'www.alpha.test']);
  expect(await whoOverHttps(alpha())).toEqual({ who: 'alpha', served: alpha() });
  const secure = await slipway.overHttps(alpha(), '/headers/x-forwarded-proto');
  expect(secure.body).toBe('https');
  expect(secure.headers['strict-transport-security']).toBe('max-age=15724800; includeSubDomains');
  // Plain HTTP only sends clients over to HTTPS, as an app's own block does.
  const plain = await slipway.getWithHeaders(alpha(), '/a?b=1');
  expect(plain.status).toBe(301);
  expect(plain.headers.location).toBe(`https://${alpha()}:${slipway.httpsPort}/a?b=1`);

  await addCertificate('beta', [beta()]);
  expect(await whoOverHttps(beta())).toEqual({ who: 'beta', served: beta() });
  expect(await whoOverHttps(alpha())).toEqual({ who: 'alpha', served: alpha() });

  expect((await slipway.ssh(['domains:add', 'alpha', 'www.alpha.test'])).code).toBe(0);
  expect(await whoOverHttps('www.alpha.test')).toEqual({ who: 'alpha', served: alpha() });
  expectNoReloadSince(slipway, before);
});

test('an SNI name no app of the map serves over HTTPS gets no handshake, never another app’s certificate', async () => {
  await expect(slipway.overHttps('nobody.slipway.test')).rejects.toThrow();
  const before = nginxState(slipway);
  const removed = await slipway.ssh(['certs:remove', 'beta']);
  expect(removed.code, removed.output).toBe(0);
  await expect(slipway.overHttps(beta())).rejects.toThrow();
  expect(await who(beta())).toBe('beta');
  expect(await whoOverHttps(alpha())).toEqual({ who: 'alpha', served: alpha() });
  expectNoReloadSince(slipway, before);
});

test('nginx started afresh serves the map’s certificates from their files', async () => {
  const pid = Number(fs.readFileSync(path.join(slipway.dir, 'data', 'nginx', 'nginx.pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  // A change that reaches nginx before the supervisor notices starts the master itself, past
  // the workers the dead one left on the ports.
  const added = await slipway.ssh(['domains:add', 'alpha', 'again.alpha.test']);
  expect(added.code, added.output).toBe(0);
  // Else the daemon's supervisor brings nginx back.
  let answer: { who: string | number; served: string } | undefined;
  for (let i = 0; i < 100 && answer?.who !== 'alpha'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    answer = await whoOverHttps(alpha()).catch(() => undefined);
  }
  expect(answer).toEqual({ who: 'alpha', served: alpha() });
});

test('a block’s wildcard name leaves to the map the Hosts it has exactly, over HTTP and HTTPS', async () => {
  // gamma has a block of its own (a setting of its own) answering *.wild.test, with a wildcard certificate.
  await deploy('gamma');
  for (const command of [
    ['nginx:set', 'gamma', 'client-max-body-size', '2m'],
    ['domains:set', 'gamma', '*.wild.test'],
  ]) {
    const result = await slipway.ssh(command);
    expect(result.code, result.output).toBe(0);
  }
  await addCertificate('gamma', ['*.wild.test']);
  expect(await whoOverHttps('b.wild.test')).toEqual({ who: 'gamma', served: '*.wild.test' });

  const before = nginxState(slipway);
  expect((await slipway.ssh(['domains:add', 'alpha', 'a.wild.test'])).code).toBe(0);
  expect((await slipway.ssh(['domains:add', 'beta', 'c.wild.test'])).code).toBe(0);
  // alpha has a certificate: its exact name gets it, over the wildcard's.
  expect(await whoOverHttps('a.wild.test')).toEqual({ who: 'alpha', served: alpha() });
  expect((await slipway.getWithHeaders('a.wild.test')).headers.location).toBe(
    `https://a.wild.test:${slipway.httpsPort}/`,
  );
  // beta has none: plain HTTP is beta's; HTTPS, where beta does not listen, stays the block's.
  expect(await who('c.wild.test')).toBe('beta');
  expect(await whoOverHttps('c.wild.test')).toEqual({ who: 'gamma', served: '*.wild.test' });
  expect(await whoOverHttps('b.wild.test')).toEqual({ who: 'gamma', served: '*.wild.test' });
  expect((await slipway.getWithHeaders('b.wild.test')).status).toBe(301);
  expectNoReloadSince(slipway, before);

  // And the map's requests keep the map's settings, not the block's.
  const answer = await slipway.overHttps('a.wild.test', '/headers/x-forwarded-proto');
  expect(answer.body).toBe('https');
  expect(answer.headers['strict-transport-security']).toBe('max-age=15724800; includeSubDomains');
});
