import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';

const slipway = new SlipwayUnderTest(inject('redisUrl'));

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

// Seconds fields keep the test short; minute schedules work the same way.
const TASKS = [
  { command: 'echo "tick $GREETING from $DYNO"', schedule: '*/2 * * * * *' },
  { command: 'sleep 30', schedule: '* * * * * *' },
  { command: 'echo "daily work done"', schedule: '@daily' },
];

async function appWithCron(app: string, cron: unknown) {
  const repo = await slipway.appRepo('dockerfile-app', app);
  const appJson = path.join(repo, 'app.json');
  fs.writeFileSync(appJson, JSON.stringify({ ...JSON.parse(fs.readFileSync(appJson, 'utf8')), cron }));
  await slipway.commit(repo, 'cron tasks');
  return repo;
}

type Listed = { id: string; schedule: string; command: string; suspended: boolean; next_run: string | null; concurrency_policy: string };

async function listed(app: string): Promise<Listed[]> {
  const result = await slipway.ssh(['cron:list', app, '--format', 'json']);
  expect(result.code, result.output).toBe(0);
  return JSON.parse(result.stdout);
}

/** The task's kept run containers. */
async function runsOf(app: string, id: string) {
  return (await slipway.containers(app)).filter((c) => c.name.includes(`.cron.${id}.`));
}

/** Runs of the task that are not among `known`. */
const newRuns = async (app: string, id: string, known: Set<string>) => (await runsOf(app, id)).filter((r) => !known.has(r.name));

describe('cron tasks from app.json', () => {
  let ids: { tick: string; slow: string; daily: string };

  test('cron:list shows each task with a stable ID and its next run', async () => {
    expect((await slipway.ssh(['apps:create', 'clock'])).code).toBe(0);
    expect((await slipway.ssh(['config:set', '--no-restart', 'clock', 'GREETING=hello'])).code).toBe(0);
    const pushed = await slipway.push(await appWithCron('clock', TASKS));
    expect(pushed.code, pushed.output).toBe(0);
    const tasks = await listed('clock');
    expect(tasks.map((t) => [t.schedule, t.command, t.suspended, t.concurrency_policy])).toEqual(TASKS.map((t) => [t.schedule, t.command, false, 'forbid']));
    expect(new Date(tasks[2]!.next_run!).getUTCHours()).toBe(0);
    ids = { tick: tasks[0]!.id, slow: tasks[1]!.id, daily: tasks[2]!.id };
    const text = await slipway.ssh(['cron:list', 'clock']);
    expect(text.stdout).toContain('=====> clock cron tasks');
    expect(text.stdout).toMatch(new RegExp(`^${ids.daily} +@daily +false +\\S+ +echo "daily work done"$`, 'm'));
  });

  test('tasks run on schedule in one-offs of the current release with the app config; cron:logs shows them', async () => {
    const logs = await eventually(() => slipway.ssh(['cron:logs', 'clock', ids.tick]), (r) => r.stdout.includes('tick hello'), 20_000);
    expect(logs.stdout).toContain(`tick hello from cron.${ids.tick}`);
    // Only the last few runs are kept.
    expect((await eventually(() => runsOf('clock', ids.tick), (runs) => runs.length >= 3, 20_000)).length).toBeGreaterThanOrEqual(3);
    expect((await runsOf('clock', ids.tick)).length).toBeLessThanOrEqual(5);
    const ps = await slipway.ssh(['run:list', 'clock']);
    expect(ps.stdout).not.toContain('.cron.');
  });

  test('a task still running is not started again', async () => {
    expect((await eventually(() => runsOf('clock', ids.slow), (runs) => runs.length > 0, 15_000)).length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const runs = await runsOf('clock', ids.slow);
    expect(runs.map((r) => r.state)).toEqual(['running']);
    const again = await slipway.ssh(['cron:run', 'clock', ids.slow, '--detach']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Cron task ${ids.slow} was not started: its last run`);
  });

  test('cron:run runs a task now, attached or detached; a bad ID is refused', async () => {
    const now = await slipway.ssh(['cron:run', 'clock', ids.daily]);
    expect(now.code, now.output).toBe(0);
    expect(now.stdout).toContain('daily work done');
    const detached = await slipway.ssh(['cron:run', 'clock', ids.daily, '--detach']);
    expect(detached.code, detached.output).toBe(0);
    expect(detached.stdout).toContain(`-----> Running cron task ${ids.daily} in the background`);
    const logs = await eventually(() => slipway.ssh(['cron:logs', 'clock', ids.daily]), (r) => r.stdout.includes('daily work done'));
    expect(logs.stdout).toContain('daily work done');
    const bad = await slipway.ssh(['cron:run', 'clock', 'nosuchid']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid cron task ID nosuchid for clock');
  });

  test('cron:suspend stops a task (or the whole app) until cron:resume; the schedule survives a daemon restart', async () => {
    expect((await slipway.ssh(['cron:suspend', 'clock', ids.tick])).stdout).toContain(`Suspended cron task ${ids.tick}`);
    expect((await listed('clock')).find((t) => t.id === ids.tick)).toMatchObject({ suspended: true, next_run: null });
    // Within the clock's refresh, no new run starts.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const known = new Set((await runsOf('clock', ids.tick)).map((r) => r.name));
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await newRuns('clock', ids.tick, known)).toEqual([]);

    expect((await slipway.ssh(['cron:resume', 'clock', ids.tick])).code).toBe(0);
    expect((await slipway.ssh(['cron:suspend', 'clock'])).stdout).toContain('Suspended every cron task of clock');
    expect((await slipway.ssh(['cron:report', 'clock'])).stdout).toMatch(/Cron suspended: +true/);
    expect((await listed('clock')).every((t) => t.suspended)).toBe(true);
    expect((await slipway.ssh(['cron:resume', 'clock'])).code).toBe(0);

    await slipway.stopDaemon();
    await slipway.startDaemon();
    const after = await eventually(() => newRuns('clock', ids.tick, known), (runs) => runs.length > 0, 20_000);
    expect(after.length).toBeGreaterThan(0);
    expect((await slipway.ssh(['cron:report', 'clock'])).stdout).toMatch(/Cron task count: +3/);
  });

  test('a bad schedule fails the push and keeps the tasks that were', async () => {
    const repo = await appWithCron('clock', [{ command: 'true', schedule: '61 * * * *' }]);
    const pushed = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain('Invalid app.json');
    expect(pushed.output).toContain('invalid schedule "61 * * * *"');
    expect((await listed('clock')).length).toBe(3);
  });
});
