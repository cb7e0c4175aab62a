import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { pushOrThrow } from '../support/pushes.js';
import { SlipwayUnderTest } from '../support/slipway.js';

// nginx gets every app's backends and domains in one body (templates/nginx/lua/backends.lua):
// with many apps or domains it is larger than nginx's default request buffer (8k), which a
// host of a hundred apps passes.
const slipway = new SlipwayUnderTest(inject('redisUrl'));
/** About 40 bytes each in the body: 600 make it about 24k. */
const DOMAINS = Array.from({ length: 600 }, (_, i) => `d${i}.many.example.com`);

beforeAll(async () => {
  await slipway.start();
  await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', 'many'));
});
afterAll(() => slipway.destroy());

test('an app keeps answering on every one of its domains once the shared map is larger than nginx’s default buffer', async () => {
  const added = await slipway.ssh(['domains:add', 'many', ...DOMAINS]);
  expect(added.code, added.output).toBe(0);
  for (const host of [slipway.appHost('many'), DOMAINS[0]!, DOMAINS.at(-1)!])
    expect((await slipway.get(host, '/health')).status, host).toBe(200);
  // A deploy sends the whole map again, its new container's address in it.
  expect((await slipway.ssh(['ps:restart', 'many'])).code).toBe(0);
  expect((await slipway.get(DOMAINS.at(-1)!, '/health')).status).toBe(200);
});
