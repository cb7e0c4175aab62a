import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { freePort } from '../support/ports.js';
import { sshEachOrThrow } from '../support/pushes.js';
import { SlipwayUnderTest } from '../support/slipway.js';

// letsencrypt:enable against an ACME server nobody answers at: the command fails at once,
// saying which server and why, and the app is left as it was.
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'unsecured';

beforeAll(async () => {
  await slipway.start();
  await sshEachOrThrow(slipway, [
    ['apps:create', app],
    ['letsencrypt:set', '--global', 'email', 'ops@example.test'],
  ]);
}, 120_000);
afterAll(() => slipway.destroy());

test('an ACME server that cannot be reached fails letsencrypt:enable, naming it and the cause', async () => {
  const server = `https://127.0.0.1:${await freePort()}/dir`;
  expect((await slipway.ssh(['letsencrypt:set', app, 'server', server])).code).toBe(0);
  const enabled = await slipway.ssh(['letsencrypt:enable', app]);
  expect(enabled.code).not.toBe(0);
  expect(enabled.stderr).toContain(` !     Cannot reach the ACME server ${server}: connection refused`);
  expect((await slipway.ssh(['letsencrypt:active', app])).stdout.trim()).toBe('false');
});
