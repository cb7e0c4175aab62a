import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { restartDockerd } from '../support/dockerd.js';
import { deployWithPostgres, instanceContainers } from '../support/faults.js';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';

// The Docker engine restarted under a running Slipway (a fault of faults.test.ts): it stops
// every container on the machine, so this file runs alone, after the others (vitest.config.ts):
// each of its seconds is a second of the suite, so it deploys no more than it needs.
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'steady';
const apps = [app, 'alpha', 'beta'];
const page = (urlPath = '/') => slipway.get(slipway.appHost(app), urlPath);

/** Each app knows its name (WHO) from its first deploy on: no restart deploy to set it. */
async function createKnowingItsName(name: string): Promise<void> {
  for (const command of [
    ['apps:create', name],
    ['config:set', '--no-restart', name, `WHO=${name}`],
  ]) {
    const done = await slipway.ssh(command);
    if (done.code !== 0) throw new Error(done.output);
  }
}

beforeAll(async () => {
  await slipway.start();
  for (const name of apps) await createKnowingItsName(name);
  await deployWithPostgres(slipway, app, 'faultsdb');
});
afterAll(() => slipway.destroy());

test('dockerd restarted with several apps and a linked Postgres running: each hostname serves its own app again, never another, and the data is intact', async () => {
  for (const other of ['alpha', 'beta']) {
    const pushed = await slipway.push(await slipway.appRepo('dockerfile-app', other));
    expect(pushed.code, pushed.output).toBe(0);
  }
  const who = (name: string) => slipway.get(slipway.appHost(name), '/env/WHO').catch(() => ({ status: 0, body: '' }));
  const addressOf = (c: Docker.ContainerInfo) => Object.values(c.NetworkSettings.Networks)[0]?.IPAddress;
  for (const name of apps) expect((await who(name)).body).toBe(name);
  const before = new Map((await instanceContainers(slipway, [], false)).map((c) => [c.Id, addressOf(c)]));

  // Ask each hostname who it is all through the restart: any answer of 200 must be its own.
  const strangers: string[] = [];
  const sampling = new AbortController();
  const sampler = (async () => {
    while (!sampling.signal.aborted) {
      for (const name of apps) {
        const answer = await who(name);
        if (answer.status === 200 && answer.body !== name) strangers.push(`${name} answered ${answer.body}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    await restartDockerd();
    for (const name of apps)
      await eventually(
        () => who(name),
        (r) => r.status === 200 && r.body === name,
        60_000,
      );
  } finally {
    sampling.abort();
    await sampler;
  }
  expect(strangers).toEqual([]);
  // Docker gave the containers new addresses (or Slipway started new ones); nginx followed.
  expect((await instanceContainers(slipway, [], false)).some((c) => before.get(c.Id) !== addressOf(c))).toBe(true);
  // Postgres came back with its data (Docker restarts it, or the reconciler does).
  const read = await eventually(
    () => page('/read'),
    (r) => r.status === 200,
    60_000,
  );
  expect(read.body).toContain('before-faults');
  expect((await page('/write/after-dockerd')).body).toBe('written\n');
});
