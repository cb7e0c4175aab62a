import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { parseJson } from '../support/json.js';
import { eventually, SlipwayUnderTest } from '../support/slipway.js';

const slipway = new SlipwayUnderTest(inject('redisUrl'));

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

// Runs are started with cron:run: no test waits for a minute to come (the clock's own
// decisions are tested in test/unit/cron-clock.test.ts). The long task is due only yearly, so
// the clock never starts it behind a test's back (a test counts its runs).
const TASKS = [
  { command: 'echo "tick $GREETING from $DYNO"', schedule: '*/2 * * * *', concurrency_policy: 'allow' },
  { command: 'sleep 300', schedule: '@yearly' },
  { command: 'echo "daily work done"', schedule: '@daily' },
];

async function appWithCron(app: string, cron: unknown) {
  const repo = await slipway.appRepo('dockerfile-app', app);
  const appJson = path.join(repo, 'app.json');
  fs.writeFileSync(appJson, JSON.stringify({ ...JSON.parse(fs.readFileSync(appJson, 'utf8')), cron }));
  await slipway.commit(repo, 'cron tasks');
  return repo;
}

type Listed = {
  id: string;
  schedule: string;
  command: string;
  suspended: boolean;
  next_run: string | null;
  concurrency_policy: string;
};

async function listed(app: string): Promise<Listed[]> {
  const result = await slipway.ssh(['cron:list', app, '--format', 'json']);
  expect(result.code, result.output).toBe(0);
  return parseJson<Listed[]>(result.stdout);
}

/** The task's kept run containers. */
async function runsOf(app: string, id: string) {
  return (await slipway.containers(app)).filter((c) => c.name.includes(`.cron.${id}.`));
}

const runningRunsOf = async (app: string, id: string) => (await runsOf(app, id)).filter((r) => r.state === 'running');

describe('cron tasks from app.json', () => {
  let ids: { tick: string; slow: string; daily: string };

  test('cron:list shows each task with a stable ID and its next run', async () => {
    expect((await slipway.ssh(['apps:create', 'clock'])).code).toBe(0);
    expect((await slipway.ssh(['config:set', '--no-restart', 'clock', 'GREETING=hello'])).code).toBe(0);
    const pushed = await slipway.push(await appWithCron('clock', TASKS));
    expect(pushed.code, pushed.output).toBe(0);
    const tasks = await listed('clock');
    expect(tasks.map((t) => [t.schedule, t.command, t.suspended, t.concurrency_policy])).toEqual(
      TASKS.map((t) => [t.schedule, t.command, false, t.concurrency_policy ?? 'forbid']),
    );
    expect(new Date(tasks[2]!.next_run!).getUTCHours()).toBe(0);
    expect(new Date(tasks[1]!.next_run!).getUTCSeconds()).toBe(0);
    ids = { tick: tasks[0]!.id, slow: tasks[1]!.id, daily: tasks[2]!.id };
    const text = await slipway.ssh(['cron:list', 'clock']);
    expect(text.stdout).toContain('=====> clock cron tasks');
    expect(text.stdout).toMatch(new RegExp(`^${ids.daily} +@daily +false +\\S+ +echo "daily work done"$`, 'm'));
  });

  test('runs are one-offs of the current release with the app config; cron:logs shows them and only the last few are kept', async () => {
    // Each run ends before the next starts: a start prunes the runs finished by then (one still
    // running on a loaded machine is kept, and nothing prunes it once it ends).
    for (let n = 0; n < 7; n++) {
      const started = await slipway.ssh(['cron:run', 'clock', ids.tick, '--detach']);
      expect(started.code, started.output).toBe(0);
      await eventually(
        () => runningRunsOf('clock', ids.tick),
        (running) => running.length === 0,
        20_000,
      );
    }
    const logs = await eventually(
      () => slipway.ssh(['cron:logs', 'clock', ids.tick]),
      (r) => r.stdout.includes('tick hello'),
      20_000,
    );
    expect(logs.stdout).toContain(`tick hello from cron.${ids.tick}`);
    expect((await runsOf('clock', ids.tick)).length).toBeLessThanOrEqual(5);
    const ps = await slipway.ssh(['run:list', 'clock']);
    expect(ps.stdout).not.toContain('.cron.');
  });

  test('a task still running is not started again', async () => {
    const first = await slipway.ssh(['cron:run', 'clock', ids.slow, '--detach']);
    expect(first.code, first.output).toBe(0);
    const again = await slipway.ssh(['cron:run', 'clock', ids.slow, '--detach']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Cron task ${ids.slow} was not started: its last run`);
    expect((await runningRunsOf('clock', ids.slow)).length).toBe(1);
  });

  test('cron:run runs a task now, attached or detached; a bad ID is refused', async () => {
    const now = await slipway.ssh(['cron:run', 'clock', ids.daily]);
    expect(now.code, now.output).toBe(0);
    expect(now.stdout).toContain('daily work done');
    const detached = await slipway.ssh(['cron:run', 'clock', ids.daily, '--detach']);
    expect(detached.code, detached.output).toBe(0);
    expect(detached.stdout).toContain(`-----> Running cron task ${ids.daily} in the background`);
    const logs = await eventually(
      () => slipway.ssh(['cron:logs', 'clock', ids.daily]),
      (r) => r.stdout.includes('daily work done'),
    );
    expect(logs.stdout).toContain('daily work done');
    const bad = await slipway.ssh(['cron:run', 'clock', 'nosuchid']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid cron task ID nosuchid for clock');
  });

  test('cron:suspend stops a task (or the whole app) until cron:resume', async () => {
    expect((await slipway.ssh(['cron:suspend', 'clock', ids.tick])).stdout).toContain(
      `Suspended cron task ${ids.tick}`,
    );
    expect((await listed('clock')).find((t) => t.id === ids.tick)).toMatchObject({ suspended: true, next_run: null });
    expect((await slipway.ssh(['cron:resume', 'clock', ids.tick])).code).toBe(0);
    expect((await slipway.ssh(['cron:suspend', 'clock'])).stdout).toContain('Suspended every cron task of clock');
    expect((await slipway.ssh(['cron:report', 'clock'])).stdout).toMatch(/Cron suspended: +true/);
    expect((await listed('clock')).every((t) => t.suspended)).toBe(true);
    expect((await slipway.ssh(['cron:resume', 'clock'])).code).toBe(0);
    expect((await slipway.ssh(['cron:report', 'clock'])).stdout).toMatch(/Cron task count: +3/);
  });

  test('an app runs at most max-one-offs one-off containers at once: cron runs and runs alike', async () => {
    expect((await slipway.ssh(['run:report', 'clock'])).stdout).toMatch(/Run max one-offs: +4/);
    expect((await slipway.ssh(['run:set', 'clock', 'max-one-offs', '2'])).stdout).toContain(
      'Setting max-one-offs to 2',
    );
    // The slow task's run is one; a detached run makes two.
    const second = await slipway.ssh(['run:detached', 'clock', 'sleep', '300']);
    expect(second.code, second.output).toBe(0);
    const over = ' !     clock runs 2 one-off containers and may run at most 2 at once';
    const third = await slipway.ssh(['run:detached', 'clock', 'sleep', '300']);
    expect(third.code).toBe(1);
    expect(third.stderr).toContain(over);
    const attached = await slipway.ssh(['run', 'clock', 'echo', 'never']);
    expect(attached.code).toBe(1);
    expect(attached.stdout).not.toContain('never');
    expect(attached.stderr).toContain(over);
    const cron = await slipway.ssh(['cron:run', 'clock', ids.daily, '--detach']);
    expect(cron.code).toBe(1);
    expect(cron.stderr).toContain(`Cron task ${ids.daily} was not started: clock runs 2 one-off containers`);
    expect((await slipway.ssh(['run:set', 'clock', 'max-one-offs', 'lots'])).stderr).toContain(
      'Invalid max-one-offs: give a number from 0 to 100',
    );
    expect((await slipway.ssh(['run:set', 'clock', 'max-one-offs'])).code).toBe(0);
    expect((await slipway.ssh(['run:report', 'clock'])).stdout).toMatch(/Run max one-offs: +4/);
  });

  test('ps:stop stops the app’s cron runs and no cron runs until ps:start; a run by hand still works', async () => {
    expect((await runningRunsOf('clock', ids.slow)).length).toBe(1);
    const stopped = await slipway.ssh(['ps:stop', 'clock']);
    expect(stopped.code, stopped.output).toBe(0);
    expect(await runningRunsOf('clock', ids.slow)).toEqual([]);
    const refused = await slipway.ssh(['cron:run', 'clock', ids.slow, '--detach']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `Cron task ${ids.slow} was not started: clock is stopped (ps:start starts it again)`,
    );
    // A migration may run while the app is stopped, as in Dokku.
    const migrated = await slipway.ssh(['run', 'clock', 'echo', 'migrated']);
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout).toContain('migrated');
    expect((await slipway.ssh(['ps:start', 'clock'])).code).toBe(0);
    const again = await slipway.ssh(['cron:run', 'clock', ids.slow, '--detach']);
    expect(again.code, again.output).toBe(0);
  });

  test('a schedule that would run more often than once a minute fails the push, naming the task; the tasks that were stay', async () => {
    for (const schedule of ['* * * * * *', '61 * * * *']) {
      const repo = await appWithCron('clock', [{ command: 'echo fast', schedule }]);
      const pushed = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
      expect(pushed.code).not.toBe(0);
      expect(pushed.output).toContain(' !     Invalid app.json');
      expect(pushed.output).toContain(`invalid schedule "${schedule}" of task "echo fast"`);
    }
    expect((await listed('clock')).length).toBe(3);
  });

  test('apps:destroy stops the clock and removes every container and network of the app, while runs keep being started', async () => {
    expect((await runningRunsOf('clock', ids.slow)).length).toBe(1);
    expect((await slipway.ssh(['run:detached', 'clock', 'sleep', '300'])).code).toBe(0);
    // Starts arrive all through the destroy, as the clock's and a tenant's would.
    let destroying = true;
    let started = 0;
    const keepStarting = async () => {
      while (destroying) if ((await slipway.ssh(['run:detached', 'clock', 'sleep', '300'])).code === 0) started++;
    };
    const starting = [keepStarting(), keepStarting()];
    await eventually(
      () => Promise.resolve(started),
      (count) => count >= 2,
    ); // both are starting runs
    const destroyed = await slipway.ssh(['apps:destroy', 'clock', '--force']);
    destroying = false;
    await Promise.all(starting);
    expect(destroyed.code, destroyed.output).toBe(0);
    expect(await slipway.containers('clock')).toEqual([]);
    expect(await slipway.networks('clock')).toEqual([]);
    expect((await slipway.ssh(['apps:exists', 'clock'])).code).toBe(1);
    const late = await slipway.ssh(['run:detached', 'clock', 'sleep', '300']);
    expect(late.code).not.toBe(0);
    expect(late.stderr).toContain('App clock does not exist');
  });
});
