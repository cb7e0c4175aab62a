import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Platform } from '../../src/platform.js';
import { setProxyEnabled } from '../../src/proxy/enabled.js';
import type { Instance } from '../../src/runtime/scheduler.js';
import { runLine } from '../support/commands.js';
import {
  deployingPlatform,
  fakeLogs,
  FakeQueue,
  FakeRouter,
  FakeScheduler,
  imagesAllHere,
  MemoryLocks,
  unitPlatform,
} from '../support/fakes.js';
import type { DeployQueue } from '../../src/queue/deploy-queue.js';

// A report of every app asks each scheduler what runs once, not once per app: with a thousand
// apps that was a thousand engine calls. Each app's part of it is what its own report says.

const APPS = 40;

const web = (id: string, running: boolean, hostPort?: number): Instance => ({
  id: `${id}0123456789abcdef`,
  name: `app.web.${id}`,
  process: 'web',
  index: 1,
  release: 1,
  running,
  restarting: false,
  endpoint: undefined,
  hostPort,
});

let platform: Platform;
let scheduler: FakeScheduler;
let dispose: () => void;
const slipway = (...words: string[]) => runLine(platform, words);

/** Every app's report, one app's at a time: what the report of every app must print. */
async function oneByOne(words: string[]): Promise<{ text: string; json: Record<string, unknown> }> {
  const text: string[] = [];
  const json: Record<string, unknown> = {};
  for (const app of platform.state.apps.list().map((a) => a.name)) {
    text.push((await slipway(...words, app)).stdout);
    json[app] = JSON.parse((await slipway(...words, app, '--format', 'json')).stdout);
  }
  return { text: text.join('\n'), json };
}

describe('a report of every app lists what runs once', () => {
  beforeEach(async () => {
    ({ platform, scheduler, dispose } = deployingPlatform());
    for (let n = 2; n <= APPS; n++) platform.state.apps.create(`app${n}`);
    scheduler.running.push(web('a', true, 32768), web('b', false));
    for (const app of ['shop', 'app3']) setProxyEnabled(platform.state, app, false); // host ports shown
  });
  afterEach(() => dispose());

  test.each([['ps:report'], ['proxy:report'], ['report']])(
    '%s: one listing, each app as its own report says',
    async (command) => {
      const expected = await oneByOne([command]);
      scheduler.listings = 0;
      const text = await slipway(command);
      const json = await slipway(command, '--format', 'json');
      expect(text.code).toBe(0);
      expect(scheduler.listings).toBe(2); // one for each of the two commands
      expect(text.stdout).toBe(expected.text);
      expect(JSON.parse(json.stdout)).toEqual(expected.json);
    },
  );

  test('one app’s report lists what runs for that app alone', async () => {
    scheduler.listings = 0;
    expect((await slipway('ps:report', 'app7')).code).toBe(0);
    expect(scheduler.listings).toBe(1);
  });
});

describe('apps on two schedulers: one listing on each, each app shown what its own runs', () => {
  let swarm: FakeScheduler;
  beforeEach(async () => {
    scheduler = new FakeScheduler();
    swarm = Object.defineProperty(new FakeScheduler(), 'name', { value: 'swarm' });
    ({ platform, dispose } = unitPlatform({
      engine: imagesAllHere,
      schedulers: [scheduler, swarm],
      router: new FakeRouter(scheduler.events),
      logs: fakeLogs,
      locks: new MemoryLocks(),
      queue: new FakeQueue() as unknown as DeployQueue,
    }));
    for (let n = 1; n <= APPS; n++) platform.state.apps.create(`app${n}`);
    for (let n = 1; n <= APPS; n += 3)
      expect((await slipway('scheduler:set', `app${n}`, 'selected', 'swarm')).code).toBe(0);
    scheduler.running.push(web('local', true));
    swarm.running.push(web('swarm', true));
  });
  afterEach(() => dispose());

  test('ps:report', async () => {
    const expected = await oneByOne(['ps:report']);
    scheduler.listings = swarm.listings = 0;
    const json = await slipway('ps:report', '--format', 'json');
    expect([scheduler.listings, swarm.listings]).toEqual([1, 1]);
    expect(JSON.parse(json.stdout)).toEqual(expected.json);
    expect(JSON.parse(json.stdout)).toMatchObject({
      app1: { 'status-web.1': 'running (CID: swarm012345)' },
      app2: { 'status-web.1': 'running (CID: local012345)' },
    });
  });
});
