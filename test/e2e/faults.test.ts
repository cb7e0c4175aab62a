import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DeployJson } from '../../src/model/api.js';
import { deployWithPostgres, instanceContainers as containersOf } from '../support/faults.js';
import { parseJson, type Report } from '../support/json.js';
import { pushOrThrow } from '../support/pushes.js';
import { ownRedis } from '../support/redis.js';
import { childrenOf, killAll, CLI, eventually, run, SlipwayUnderTest } from '../support/slipway.js';

// Faults a host can throw at a running Slipway, each injected into a real daemon: what a
// user sees afterwards, and that it converges without anyone running a command. A restart of
// dockerd is in dockerd-restart.test.ts (it runs alone).

// A Redis of this file's own, so a test can take it away and bring it back.
const redis = await ownRedis();
const startRedis = redis.start;
const stopRedis = redis.stop;

const settings: NodeJS.ProcessEnv = {};
const slipway = new SlipwayUnderTest(redis.url, settings);
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const app = 'steady';
const db = 'faultsdb';
const page = (urlPath = '/') => slipway.get(slipway.appHost(app), urlPath);
async function builds(name: string): Promise<DeployJson[]> {
  const listed = await slipway.ssh(['builds:list', name, '--format', 'json']);
  if (listed.code !== 0) throw new Error(listed.output);
  return parseJson<DeployJson[]>(listed.stdout);
}

const instanceContainers = (labels: string[], all = true) => containersOf(slipway, labels, all);

beforeAll(async () => {
  await startRedis();
  await slipway.start();
  await deployWithPostgres(slipway, app, db);
});
afterAll(async () => {
  await slipway.destroy();
  await stopRedis();
});

describe('a daemon killed in the middle of a build', () => {
  test('closes the interrupted deploy at restart: failed, its log ended, its archive gone, and the next push does not wait', async () => {
    const slow = await slipway.appRepo('dockerfile-app', 'slowbuild');
    fs.appendFileSync(path.join(slow, 'Dockerfile'), 'RUN sleep 25\n');
    await run('git', ['commit', '-qam', 'slow build'], { cwd: slow, env: slipway.gitEnv() });
    const push = slipway.push(slow);
    await eventually(
      () => builds('slowbuild').catch(() => []),
      (list) => list[0]?.status === 'running',
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500)); // into the build itself
    await slipway.killDaemon();
    expect((await push).code).not.toBe(0);

    await slipway.startDaemon();
    const [interrupted] = await builds('slowbuild');
    expect(interrupted!.status).toBe('failed');
    const shown = await slipway.ssh(['logs:deploy', 'slowbuild', interrupted!.id.slice(0, 8)]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Interrupted: the Slipway process running this deploy stopped');
    expect(fs.readdirSync(path.join(slipway.dir, 'data', 'builds')).filter((f) => f.endsWith('.tar'))).toEqual([]);

    // The dead daemon's lock on the app is gone: a push goes straight in.
    fs.writeFileSync(
      path.join(slow, 'Dockerfile'),
      fs.readFileSync(path.join(slow, 'Dockerfile'), 'utf8').replace('RUN sleep 25\n', ''),
    );
    await run('git', ['commit', '-qam', 'fast again'], { cwd: slow, env: slipway.gitEnv() });
    const next = await slipway.push(slow);
    expect(next.code, next.output).toBe(0);
    expect(next.output).not.toContain('Waiting for the deploy in progress');
    expect((await slipway.get(slipway.appHost('slowbuild'))).status).toBe(200);
  });

  test('a buildpack compile it left running is removed at restart, and the next push builds', async () => {
    const slow = await slipway.appRepo('node-app', 'slowcompile');
    const manifest = path.join(slow, 'package.json');
    const withBuild = (script: string) =>
      JSON.stringify({ name: 'node-app', private: true, scripts: { build: script, start: 'node server.js' } });
    fs.writeFileSync(manifest, withBuild('sleep 300'));
    await run('git', ['commit', '-qam', 'slow compile'], { cwd: slow, env: slipway.gitEnv() });
    const buildContainers = () => instanceContainers(['slipway.app=slowcompile', 'slipway.process=build']);
    const push = slipway.push(slow);
    await eventually(buildContainers, (found) => found.some((c) => c.State === 'running'), 120_000);
    await slipway.killDaemon();
    expect((await push).code).not.toBe(0);
    // Nothing is left to the compile's time limit: the restarted daemon removes its container.
    await slipway.startDaemon();
    expect(await buildContainers()).toEqual([]);

    fs.writeFileSync(manifest, withBuild('true'));
    await run('git', ['commit', '-qam', 'quick compile'], { cwd: slow, env: slipway.gitEnv() });
    const next = await slipway.push(slow);
    expect(next.code, next.output).toBe(0);
    expect((await slipway.get(slipway.appHost('slowcompile'))).status).toBe(200);
  });
});

describe('containers that stop', () => {
  test('a killed web container is replaced without a command, and ps:report says what was found', async () => {
    const [web] = await instanceContainers([`slipway.app=${app}`, 'slipway.process=web'], false);
    await docker.getContainer(web!.Id).kill();
    const back = await eventually(
      () => page('/read'),
      (r) => r.status === 200 && r.body.includes('before-faults'),
      60_000,
    );
    expect(back.body).toContain('before-faults');
    const [replacement] = await instanceContainers([`slipway.app=${app}`, 'slipway.process=web'], false);
    expect(replacement!.Id).not.toBe(web!.Id);
    const report = await slipway.sshJson<Report>(['ps:report', app, '--format', 'json']);
    expect(report.drift).toMatch(/missing web\.1/);
    // The replacement came from a restart deploy the reconciler asked for, kept in the history.
    const history = await eventually(
      () => builds(app),
      (list) => list.some((b) => b.requested_by === 'slipway' && b.status === 'succeeded'),
    );
    expect(history.some((b) => b.requested_by === 'slipway' && b.status === 'succeeded')).toBe(true);
  });

  test('after every container stopped and a daemon restart, the apps and Postgres come back with their data', async () => {
    await slipway.stopDaemon();
    const running = await instanceContainers([], false);
    await Promise.all(running.map((c) => docker.getContainer(c.Id).stop({ t: 1 })));
    await slipway.startDaemon();
    const back = await eventually(
      () => page('/read'),
      (r) => r.status === 200,
      90_000,
    );
    expect(back.body).toContain('before-faults');
    const [postgres] = await instanceContainers([`slipway.service=postgres.${db}`]);
    expect(postgres!.State).toBe('running');
  });

  test('a stopped app stays stopped: the reconciler keeps it so', async () => {
    expect((await slipway.ssh(['ps:stop', app])).code).toBe(0);
    await slipway.stopDaemon();
    await slipway.startDaemon();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await instanceContainers([`slipway.app=${app}`])).toEqual([]);
    expect((await slipway.sshJson<Report>(['ps:report', app, '--format', 'json'])).stopped).toBe('true');
    expect((await slipway.ssh(['ps:start', app])).code).toBe(0);
    expect((await page('/read')).body).toContain('before-faults');
  });
});

describe('Redis away', () => {
  test('commands and pushes that need the queue fail within seconds and say why; apps keep serving; nothing runs later', async () => {
    const repo = await slipway.appRepo('dockerfile-app', 'awaypush');
    expect((await slipway.push(repo)).code).toBe(0);
    fs.appendFileSync(path.join(repo, 'server.js'), '// a change\n');
    await run('git', ['commit', '-qam', 'change'], { cwd: repo, env: slipway.gitEnv() });

    await stopRedis();
    try {
      const started = Date.now();
      const set = await slipway.ssh(['config:set', app, 'WHILE_AWAY=1']);
      expect(set.code).not.toBe(0);
      expect(set.stderr).toContain(' !     The job queue (Redis at');
      const pushed = await slipway.push(repo);
      expect(pushed.code).not.toBe(0);
      expect(pushed.output).toContain('cannot be reached');
      expect(Date.now() - started).toBeLessThan(30_000);
      expect((await page('/read')).body).toContain('before-faults');
    } finally {
      await startRedis();
    }
    // Neither ghost runs once Redis is back: the value waits for the next restart, the push for the next push.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect((await page('/env/WHILE_AWAY')).status).toBe(404);
    expect((await builds('awaypush')).filter((b) => b.status === 'succeeded')).toHaveLength(1);
    const again = await slipway.push(repo);
    expect(again.code, again.output).toBe(0);
  });
});

describe('nginx', () => {
  const masterPid = () => Number(fs.readFileSync(path.join(slipway.dir, 'data', 'nginx', 'nginx.pid'), 'utf8'));

  test('a killed master is noticed and started again with the routes; its orphaned workers are cleared', async () => {
    const master = masterPid();
    const workers = childrenOf(master);
    process.kill(master, 'SIGKILL');
    await eventually(
      async () => masterPid() !== master && workers.every((w) => !fs.existsSync(`/proc/${w}`)),
      Boolean,
      15_000,
    );
    expect(masterPid()).not.toBe(master);
    expect((await page('/read')).body).toContain('before-faults');
    // It routes what comes next: a domain change reloads it, a deploy swaps its backends.
    const added = await slipway.ssh(['domains:add', app, `more.${slipway.domain}`]);
    expect(added.code, added.output).toBe(0);
    expect((await slipway.ssh(['ps:restart', app])).code).toBe(0);
    expect((await slipway.get(`more.${slipway.domain}`, '/read')).body).toContain('before-faults');
  });

  test('master and workers killed together: nginx is back within seconds', async () => {
    const master = masterPid();
    killAll([master, ...childrenOf(master)]);
    const back = await eventually(
      () => page('/read').catch(() => ({ status: 0, body: '' })),
      (r) => r.status === 200,
      15_000,
    );
    expect(back.body).toContain('before-faults');
  });
});

describe('a daemon that cannot start', () => {
  test('a second daemon for the same instance on the same Redis refuses to start and says why', async () => {
    const second = await run(process.execPath, [CLI, 'serve'], { env: slipway.env });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`another Slipway daemon already serves instance ${slipway.instance}`);
    expect((await page('/read')).status).toBe(200);
  });

  test('a daemon whose SSH port is taken exits non-zero instead of living on without SSH', async () => {
    await slipway.stopDaemon();
    const taken = await run(process.execPath, [CLI, 'serve'], {
      env: { ...slipway.env, SLIPWAY_SSH_PORT: String(slipway.httpPort) },
    });
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain('EADDRINUSE');
    await slipway.startDaemon();
  });

  test('every volume and image Slipway made carries its instance label', async () => {
    const { Volumes } = await docker.listVolumes({ filters: { label: [`slipway.instance=${slipway.instance}`] } });
    expect(Volumes.map((v) => v.Name)).toContain(`${slipway.instance}-postgres-${db}`);
    const images = await docker.listImages({ filters: { label: [`slipway.instance=${slipway.instance}`] } });
    const tags = images.flatMap((i) => i.RepoTags ?? []);
    expect(tags.some((t) => t.startsWith(`${slipway.instance}/app-${app}:`))).toBe(true);
  });
});

describe('a release that fails after the swap', () => {
  // Only these tests need the watch after a swap to outlast the crash: Slipway's default of
  // 5 s. The rest of the file keeps the harness's 1 s (every deploy waits out the watch), and
  // these come last, so the daemon restarts once for them.
  const crashy = 'crashy';
  beforeAll(async () => {
    settings.SLIPWAY_WATCH_SECONDS = '5';
    await slipway.stopDaemon();
    await slipway.startDaemon();
    await pushOrThrow(slipway, await slipway.appRepo('dockerfile-app', crashy));
  });

  /** Asks the app for a page every 10 ms (a new connection each) until stopped; the answers that were not 200. */
  function keepAsking(host: string) {
    let asking = true;
    const failures: string[] = [];
    let sent = 0;
    const done = (async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set to false by the function returned below
      while (asking) {
        sent++;
        const answer = await slipway.get(host).catch((error: Error) => ({ status: 0, body: error.message }));
        if (answer.status !== 200) failures.push(`${answer.status} ${answer.body.slice(0, 80)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    return async () => {
      asking = false;
      await done;
      return { sent, failures };
    };
  }

  test.each([
    ['1 s', 1000],
    ['3 s', 3000],
  ])(
    'an app that crashes %s after passing its checks: traffic goes back at once, no request fails, the deploy fails, the old release stays current',
    async (_, crashAfterMs) => {
      // Both crash the same app: each failed release leaves its first one serving and current.
      const stop = keepAsking(slipway.appHost(crashy));
      const changed = await slipway.ssh(['config:set', crashy, `CRASH_AFTER_MS=${crashAfterMs}`]);
      const { sent, failures } = await stop();
      expect(changed.code).not.toBe(0);
      expect(changed.output).toContain('did not stay up after the swap; traffic is back on the previous release');
      expect(sent).toBeGreaterThan(20);
      expect(failures).toEqual([]);
      expect((await slipway.get(slipway.appHost(crashy))).body).toBe('hello from version 1 (v1 web.1)\n');
      const releases = JSON.parse((await slipway.ssh(['releases', crashy, '--format', 'json'])).stdout) as {
        version: number;
        current: boolean;
        status: string;
      }[];
      expect(releases.find((r) => r.current)!.version).toBe(1);
      const newest = releases.reduce((a, b) => (b.version > a.version ? b : a));
      expect(newest.version).toBeGreaterThan(1);
      expect(newest.status).toBe('failed');
    },
    120_000,
  );
});
