import http from 'node:http';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import * as reloads from '../support/nginx-reloads.js';
import { deployKnowingItsName } from '../support/pushes.js';
import { SlipwayUnderTest } from '../support/slipway.js';

// Apps with plain HTTP and nginx's default settings are routed by Host from the balancer's
// shared map: a new app, a domain or a deploy changes the map, never nginx's config, so nginx
// is not reloaded (its workers stay the same processes, its config generation the same).
const slipway = new SlipwayUnderTest(inject('redisUrl'));

const nginxState = () => reloads.nginxState(slipway);
const expectNoReloadSince = (before: reloads.NginxState) => reloads.expectNoReloadSince(slipway, before);

const deploy = (app: string) => deployKnowingItsName(slipway, app);

/** Which app answers this Host (its WHO), or the status when none does. */
const who = async (host: string) => {
  const answer = await slipway.get(host, '/env/WHO');
  return answer.status === 200 ? answer.body : answer.status;
};

/** POST a body of this many bytes; the status. */
const post = (host: string, bytes: number) =>
  new Promise<number>((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: slipway.httpPort, method: 'POST', path: '/', headers: { host }, agent: false },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(Buffer.alloc(bytes, 'x'));
  });

let alphaRepo: string;
beforeAll(async () => {
  await slipway.start();
  alphaRepo = await deploy('alpha');
});
afterAll(() => slipway.destroy());

test('a new app, a domain and a deploy route by Host without an nginx reload', async () => {
  expect(await who(slipway.appHost('alpha'))).toBe('alpha');
  const before = nginxState();
  expect(before.workers.length).toBeGreaterThan(0);

  await deploy('beta');
  expect(await who(slipway.appHost('beta'))).toBe('beta');
  expect(await who(slipway.appHost('alpha'))).toBe('alpha');

  const added = await slipway.ssh(['domains:add', 'alpha', 'www.alpha.test', '*.wild.test']);
  expect(added.code, added.output).toBe(0);
  expect(await who('www.alpha.test')).toBe('alpha');
  expect(await who('a.b.wild.test')).toBe('alpha');
  // A Host nobody owns gets nginx's 404, as before there was a map.
  expect(await who('nobody.slipway.test')).toBe(404);
  expect(await who('wild.test')).toBe(404);

  await slipway.changeFile(alphaRepo, 'server.js', 'hello from version 1', 'hello from version 2');
  const pushed = await slipway.push(alphaRepo);
  expect(pushed.code, pushed.output).toBe(0);
  expect((await slipway.get('www.alpha.test')).body).toMatch(/^hello from version 2 \(v\d+ web\.1\)\n$/);

  const removed = await slipway.ssh(['domains:remove', 'alpha', 'www.alpha.test']);
  expect(removed.code, removed.output).toBe(0);
  expect(await who('www.alpha.test')).toBe(404);
  expectNoReloadSince(before);
});

test('the map keeps what a server block gave: X-Forwarded-*, the app’s access log, 502 while stopped', async () => {
  const before = nginxState();
  const host = slipway.appHost('beta');
  expect((await slipway.get(host, '/headers/x-forwarded-for')).body).toBe('127.0.0.1');
  expect((await slipway.get(host, '/headers/x-forwarded-proto')).body).toBe('http');
  expect((await slipway.get(host, '/headers/x-forwarded-port')).body).toBe(String(slipway.httpPort));
  expect((await slipway.get(host, '/headers/host')).body).toBe(host);

  await slipway.get(host, '/logged-by-the-map');
  const logged = async () => (await slipway.ssh(['nginx:access-logs', 'beta'])).stdout;
  let log = await logged();
  for (let i = 0; i < 20 && !log.includes('/logged-by-the-map'); i++) {
    await new Promise((r) => setTimeout(r, 250));
    log = await logged();
  }
  expect(log).toMatch(/"GET \/logged-by-the-map HTTP\/1.1" 200/);
  expect((await slipway.ssh(['nginx:access-logs', 'alpha'])).stdout).not.toContain('/logged-by-the-map');
  expect((await slipway.ssh(['nginx:error-logs', 'beta'])).code).toBe(0);

  expect((await slipway.ssh(['ps:stop', 'beta'])).code).toBe(0);
  expect(await who(host)).toBe(502);
  expect((await slipway.ssh(['ps:start', 'beta'])).code).toBe(0);
  expect(await who(host)).toBe('beta');
  expectNoReloadSince(before);
});

test('an nginx:set property gives the app a block of its own; unset, it goes back to the map', async () => {
  const host = slipway.appHost('alpha');
  expect(await post(host, 2048)).not.toBe(413);
  const before = nginxState();
  const set = await slipway.ssh(['nginx:set', 'alpha', 'client-max-body-size', '1k']);
  expect(set.code, set.output).toBe(0);
  expect(nginxState().generation).not.toBe(before.generation);
  expect(await post(host, 2048)).toBe(413);
  expect(await post(slipway.appHost('beta'), 2048)).not.toBe(413);
  expect(await who(host)).toBe('alpha');

  const unset = await slipway.ssh(['nginx:set', 'alpha', 'client-max-body-size']);
  expect(unset.code, unset.output).toBe(0);
  expect(await post(host, 2048)).not.toBe(413);
  expect(await who(host)).toBe('alpha');
  const back = nginxState();
  // Back in the map: a new domain takes no reload again.
  expect((await slipway.ssh(['domains:add', 'alpha', 'again.alpha.test'])).code).toBe(0);
  expect(await who('again.alpha.test')).toBe('alpha');
  expectNoReloadSince(back);
});
