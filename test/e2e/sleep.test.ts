import http from 'node:http';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { AppJson, ProcessesJson } from '../../src/model/api.js';
import type { Report } from '../support/json.js';
import { pushOrThrow } from '../support/pushes.js';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';

// Sleep and wake through the real thing: nginx's counts say the app is idle, the daemon puts
// it to sleep, nginx holds the next requests while the daemon wakes it.
const slipway = new SlipwayUnderTest(inject('redisUrl'), { SLIPWAY_SLEEP_CHECK_SECONDS: '0.5' });
const app = 'nap';
let repo: string;
let token: string;

beforeAll(async () => {
  await slipway.start();
  repo = await slipway.appRepo('dockerfile-app', app);
  await pushOrThrow(slipway, repo);
  token = (await slipway.ssh(['tokens:create', 'sleep-api'])).stdout.trim().split('\n').at(-1)!;
});
afterAll(() => slipway.destroy());

const report = () => slipway.sshJson<Report>(['ps:report', app, '--format', 'json']);

/** What the HTTP API (and so the dashboard) answers of the app and its processes. */
async function apiState(): Promise<{ state: AppJson['state']; sleeping: boolean }> {
  const get = async <T>(urlPath: string) => {
    const response = await fetch(`http://127.0.0.1:${slipway.apiPort}/api/v1/apps/${app}${urlPath}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return (await response.json()) as T;
  };
  return { state: (await get<AppJson>('')).state, sleeping: (await get<ProcessesJson>('/processes')).sleeping };
}

/** Waits until the app is asleep with no container left. */
async function asleep(): Promise<void> {
  const seen = await eventually(report, (r) => r.sleeping === 'true' && r.processes === '0', 60_000);
  expect(seen).toMatchObject({ sleeping: 'true', running: 'sleeping', processes: '0' });
  expect(await slipway.containers(app)).toEqual([]);
  expect(await apiState()).toEqual({ state: 'sleeping', sleeping: true });
}

const wakes = () => slipway.log.match(/woken by a request: v\d+ answers after \d+ ms/g)?.length ?? 0;

/** The wake's log line comes after its deploy's watch, once the requests were answered. */
const wakesBecome = (count: number) =>
  eventually(
    async () => wakes(),
    (n) => n >= count,
    10_000,
  );

/** GET with its own connection, so requests sent together really are at once. */
const get = (urlPath = '/') => slipway.get(slipway.appHost(app), urlPath);

test('an idle app goes to sleep, and its first request is held and answered by the woken app', async () => {
  expect(await report()).toMatchObject({ 'sleep-after': 'off', sleeping: 'false', running: 'true' });
  const set = await slipway.ssh(['ps:set', app, 'sleep-after', '3s']);
  expect(set.code, set.output).toBe(0);
  expect(set.stdout).toContain('Setting sleep-after to 3s');
  expect((await report())['sleep-after']).toBe('3s');
  await asleep();
  expect((await slipway.ssh(['ps:report', app])).stdout).toMatch(/^ {7}Running: {23}sleeping$/m);

  const first = await get();
  expect(first).toEqual({ status: 200, body: 'hello from version 1 (v1 web.1)\n' });
  expect(await report()).toMatchObject({ sleeping: 'false', running: 'true', processes: '1' });
  expect(await apiState()).toEqual({ state: 'running', sleeping: false });
  expect(await wakesBecome(1)).toBe(1);
});

test('50 requests at once on a sleeping app are all answered, by one wake', async () => {
  await asleep();
  const wakesBefore = wakes();
  const answers = await Promise.all(Array.from({ length: 50 }, () => get()));
  expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
  expect(await slipway.containers(app)).toHaveLength(1);
  expect(await wakesBecome(wakesBefore + 1)).toBe(wakesBefore + 1);
});

test('a request that comes while the app is being put to sleep is served, and the app stays awake', async () => {
  // The put-to-sleep drains for wait-to-retire: long enough to send a request in the middle.
  expect((await slipway.ssh(['checks:set', app, 'wait-to-retire', '5'])).code).toBe(0);
  try {
    await get(); // awake, if the test before left it asleep
    const [before] = await slipway.containers(app);
    const draining = await eventually(
      async () => ({ report: await report(), containers: await slipway.containers(app) }),
      (s) => s.report.sleeping === 'true' && s.containers.length === 1,
      60_000,
    );
    expect(draining.report.sleeping).toBe('true');
    expect(await get()).toEqual({ status: 200, body: 'hello from version 1 (v1 web.1)\n' });
    // served by the same container, which stays
    expect(await report()).toMatchObject({ sleeping: 'false', running: 'true' });
    expect((await slipway.containers(app)).map((c) => c.name)).toEqual([before!.name]);
    expect(slipway.log).toContain('stays awake: a request came while it was being put to sleep');
  } finally {
    expect((await slipway.ssh(['checks:set', app, 'wait-to-retire'])).code).toBe(0);
  }
});

test('ps:stop of a sleeping app stops it: its domains answer 502 and wake nothing, until ps:start', async () => {
  await asleep();
  const stopped = await slipway.ssh(['ps:stop', app]);
  expect(stopped.code, stopped.output).toBe(0);
  expect(await report()).toMatchObject({ stopped: 'true', sleeping: 'false', running: 'false' });
  expect((await get()).status).toBe(502);
  expect(await slipway.containers(app)).toEqual([]);
  const started = await slipway.ssh(['ps:start', app]);
  expect(started.code, started.output).toBe(0);
  expect((await get()).status).toBe(200);
});

test('after a daemon restart a sleeping app is still asleep, and a request still wakes it', async () => {
  await asleep();
  await slipway.stopDaemon();
  await slipway.startDaemon();
  expect(await report()).toMatchObject({ sleeping: 'true', processes: '0' });
  expect(await get()).toEqual({ status: 200, body: 'hello from version 1 (v1 web.1)\n' });
});

test('a push to a sleeping app deploys it, and it is awake', async () => {
  await asleep();
  // long enough that it is not put to sleep again while this test looks
  expect((await slipway.ssh(['ps:set', app, 'sleep-after', '1h'])).code).toBe(0);
  await slipway.changeFile(repo, 'server.js', 'hello from version 1', 'hello from version 2');
  const pushed = await slipway.push(repo);
  expect(pushed.code, pushed.output).toBe(0);
  expect(await report()).toMatchObject({ sleeping: 'false', running: 'true' });
  expect(await get()).toEqual({ status: 200, body: 'hello from version 2 (v2 web.1)\n' });
});

test('sleep-after: validated, set globally, unset, and off keeps one app awake under a global one', async () => {
  for (const bad of ['5x', '0s', '1.5h', '30', '31d', '-5m']) {
    const refused = await slipway.ssh(['ps:set', app, 'sleep-after', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Invalid sleep-after ${bad}`);
  }
  expect((await slipway.ssh(['ps:set', '--global', 'sleep-after', '2h'])).code).toBe(0);
  expect((await slipway.ssh(['ps:set', app, 'sleep-after'])).code).toBe(0);
  expect((await report())['sleep-after']).toBe('2h (global)');
  expect((await slipway.ssh(['ps:set', app, 'sleep-after', 'off'])).code).toBe(0);
  expect((await report())['sleep-after']).toBe('off');
  expect((await slipway.ssh(['ps:set', '--global', 'restart-policy', 'no'])).stderr).toContain(
    'restart-policy is set per app',
  );
  expect((await slipway.ssh(['ps:set', '--global', 'sleep-after'])).code).toBe(0);
});

test('the wake socket answers only nginx', async () => {
  const socketPath = `/var/cache/slipway-nginx/${slipway.instance}/wake.sock`;
  const status = await new Promise<number>((resolve, reject) =>
    http
      .request({ socketPath, method: 'POST', path: `/wake/${app}`, headers: { 'x-slipway-wake': 'guess' } }, (r) =>
        resolve(r.statusCode ?? 0),
      )
      .on('error', reject)
      .end(),
  );
  expect(status).toBe(403);
});
