import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { appLockName, Locks, type HeldLock } from '../../src/queue/locks.js';
import { SlipwayUnderTest } from '../support/slipway.js';

const redisUrl = inject('redisUrl');
const slipway = new SlipwayUnderTest(redisUrl);
const redis = new Redis(redisUrl);
const apps = ['held', 'free'];
let held: HeldLock | undefined;

beforeAll(async () => {
  await slipway.start();
  for (const app of apps) {
    const created = await slipway.ssh(['apps:create', app]);
    expect(created.code, created.output).toBe(0);
  }
});
afterAll(async () => {
  await held?.release();
  redis.disconnect();
  await slipway.destroy();
});

test('a restarted daemon answers over SSH while it is still routing its apps again, and says when it is done', async () => {
  await slipway.stopDaemon();
  // As a deploy of the app would: the restore of its route waits for the app's lock.
  held = await new Locks(redis, slipway.instance).tryAcquire(appLockName('held'));
  expect(held).toBeDefined();
  const from = slipway.log.length;
  await slipway.startDaemon();

  const listed = await slipway.ssh(['apps:list']);
  expect(listed.code, listed.output).toBe(0);
  expect(listed.stdout).toContain('held');
  expect(slipway.log.slice(from)).not.toContain('routes restored');

  await held!.release();
  held = undefined;
  await slipway.routesRestored();
});
