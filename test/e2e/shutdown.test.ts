import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { DeployJson } from '../../src/model/api.js';
import { parseJson } from '../support/json.js';
import { ownRedis } from '../support/redis.js';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';

// How a daemon ends on SIGTERM (`systemctl stop`, a supervisor's restart): it lets running
// deploys finish, and it exits even when its Redis is gone, saying so in its exit code.

// A Redis of this file's own, so a test can take it away.
const redis = await ownRedis();
const slipway = new SlipwayUnderTest(redis.url);
/** Not a timing target: a daemon still running this long after SIGTERM is one that hangs. */
const HANGS_MS = 60_000;

async function builds(app: string): Promise<DeployJson[]> {
  const listed = await slipway.ssh(['builds:list', app, '--format', 'json']);
  if (listed.code !== 0) throw new Error(listed.output);
  return parseJson<DeployJson[]>(listed.stdout);
}

beforeAll(async () => {
  await redis.start();
  await slipway.start();
});
afterAll(async () => {
  try {
    await slipway.destroy();
  } finally {
    await redis.stop();
  }
});

test('with Redis there, an idle daemon exits 0 on SIGTERM', async () => {
  await new Promise((resolve) => setTimeout(resolve, 3000)); // idle: its periodic work has started
  expect(await slipway.terminateDaemon(HANGS_MS), slipway.log).toBe(0);
  expect(slipway.log).toContain('SIGTERM received');
  expect(slipway.log).not.toContain('gave up');
  await slipway.startDaemon();
});

test('with its Redis gone, an idle daemon still exits on SIGTERM, non-zero, saying what it gave up', async () => {
  await redis.stop();
  try {
    const from = slipway.log.length;
    expect(await slipway.terminateDaemon(HANGS_MS), slipway.log.slice(from)).toBe(1);
    expect(slipway.log.slice(from)).toContain('releasing the daemon seat');
  } finally {
    await redis.start();
  }
  await slipway.startDaemon(); // its seat went with Redis's data: it starts at once
});

test('a deploy running when the daemon is stopped with its Redis gone is over at the next start, and the app takes the next push', async () => {
  const slow = await slipway.appRepo('dockerfile-app', 'slowstop');
  fs.appendFileSync(path.join(slow, 'Dockerfile'), 'RUN sleep 5\n');
  await slipway.commit(slow, 'slow build');
  const push = slipway.push(slow);
  const running = await eventually(
    () => builds('slowstop').catch(() => []),
    (list) => list[0]?.status === 'running',
    60_000,
  );
  await redis.stop();
  try {
    // The deploy may take the daemon's grace for running deploys (60 s) before it gives up on Redis.
    expect(await slipway.terminateDaemon(HANGS_MS * 2), slipway.log).not.toBe('running');
    await push;
  } finally {
    await redis.start();
  }
  await slipway.startDaemon();
  // It finished while the daemon waited for it, or the start closed it as interrupted.
  const after = (await builds('slowstop')).find((b) => b.id === running[0]!.id);
  expect(['succeeded', 'failed']).toContain(after?.status);
  const again = await slipway.push(slow);
  expect(again.code, again.output).toBe(0);
});
