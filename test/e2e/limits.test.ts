import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { pushOrThrow } from '../support/pushes.js';
import { run, SlipwayUnderTest } from '../support/slipway.js';

// The bounds a host keeps whatever an app does, at their smallest settings so a test sees them.
const slipway = new SlipwayUnderTest(inject('redisUrl'), { SLIPWAY_BUILD_TIMEOUT_SECONDS: '10' });
const app = 'bounded';

beforeAll(async () => {
  await slipway.start();
  await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', app));
});
afterAll(() => slipway.destroy());

test('a build that runs past SLIPWAY_BUILD_TIMEOUT_SECONDS fails the push and the running release keeps serving', async () => {
  const repo = await slipway.appRepo('dockerfile-app', app);
  fs.appendFileSync(path.join(repo, 'Dockerfile'), 'RUN sleep 120\n');
  await run('git', ['commit', '-qam', 'endless build'], { cwd: repo, env: slipway.gitEnv() });
  const pushed = await slipway.push(repo, { args: ['--force', slipway.remote(app), 'main'] });
  expect(pushed.code).not.toBe(0);
  expect(pushed.output).toContain('The build did not finish within 10 s');
  const served = await slipway.get(slipway.appHost(app));
  expect(served).toEqual({ status: 200, body: 'hello from version 1 (v1 web.1)\n' });
});
