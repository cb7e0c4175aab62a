import type Docker from 'dockerode';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { DeployJson } from '../../src/model/api.js';
import type { Report } from '../support/json.js';
import { pushOrThrow } from '../support/pushes.js';
import { eventually, run, SlipwayUnderTest } from '../support/slipway.js';

const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'life';
let repo: string;

beforeAll(async () => {
  await slipway.start();
  repo = await slipway.appRepo('dockerfile-app', app);
  await pushOrThrow(slipway, repo);
});
afterAll(() => slipway.destroy());

/** `docker inspect` of the app's one web container. */
async function inspectWeb(name: string) {
  const [container] = await slipway.containers(name);
  const inspected = await run('docker', ['inspect', container!.name]);
  return (JSON.parse(inspected.stdout) as Docker.ContainerInspectInfo[])[0]!;
}

async function redeploy(name: string) {
  const restarted = await slipway.ssh(['ps:restart', name]);
  expect(restarted.code, restarted.output).toBe(0);
}

describe('deploy logs', () => {
  test('logs:deploy shows a deploy’s build log, and it survives later deploys', async () => {
    expect((await slipway.ssh(['config:set', app, 'A=1'])).code).toBe(0);
    const latest = await slipway.ssh(['logs:deploy', app]);
    expect(latest.stdout).toMatch(/^=====> life config deploy v2 by admin at \S+: succeeded$/m);
    const first = await slipway.ssh(['logs:deploy', app, 'v1']);
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toMatch(/^=====> life git deploy v1 by admin/m);
    expect(first.stdout).toContain('Releasing life (v1)');
    expect((await slipway.ssh(['logs:deploy', app, 'v99'])).stderr).toContain('No deploy v99 of life');

    // builds:list names each deploy; its id (or the start of it) shows that one.
    const builds = await slipway.sshJson<DeployJson[]>(['builds:list', app, '--format', 'json']);
    expect(builds.map((b) => [b.kind, b.release])).toEqual([
      ['config', 2],
      ['git', 1],
    ]);
    const byId = await slipway.ssh(['builds:output', app, builds[1]!.id.slice(0, 8)]);
    expect(byId.stdout).toMatch(/^=====> life git deploy v1 by admin/m);
    expect((await slipway.ssh(['builds:list', app])).stdout).toContain(`${builds[0]!.id.slice(0, 8)}  v2`);
  });
});

describe('locking', () => {
  test('a locked app refuses pushes and rebuilds but keeps serving and takes config', async () => {
    expect((await slipway.ssh(['apps:lock', app])).code).toBe(0);
    expect((await slipway.ssh(['apps:locked', app])).code).toBe(0);
    fs.appendFileSync(path.join(repo, 'server.js'), '\n// change\n');
    await slipway.commit(repo, 'change');
    const refused = await slipway.push(repo);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "life currently has a deploy lock in place. Exiting... Run 'apps:unlock life' to release the existing deploy lock",
    );
    expect((await slipway.ssh(['ps:rebuild', app])).code).toBe(1);
    expect((await slipway.ssh(['config:set', app, 'B=2'])).code).toBe(0);
    expect((await slipway.get(slipway.appHost(app))).status).toBe(200);

    expect((await slipway.ssh(['apps:unlock', app])).code).toBe(0);
    expect((await slipway.ssh(['apps:locked', app])).code).toBe(1);
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);
  });
});

describe('processes', () => {
  test('ps:stop takes the app down, ps:start brings it back, ps:report tells which', async () => {
    expect((await slipway.ssh(['ps:stop', app])).code).toBe(0);
    // its hostname stays its own: 502, as Dokku answers, not the 404 of a host nobody owns
    expect((await slipway.get(slipway.appHost(app))).status).toBe(502);
    expect(await slipway.containers(app)).toEqual([]);
    const stopped = await slipway.sshJson<Report>(['ps:report', app, '--format', 'json']);
    expect(stopped).toMatchObject({
      deployed: 'true',
      running: 'false',
      processes: '0',
      'restart-policy': 'unless-stopped',
    });

    const started = await slipway.ssh(['ps:start', app]);
    expect(started.code, started.output).toBe(0);
    expect((await slipway.get(slipway.appHost(app))).status).toBe(200);
    expect((await slipway.ssh(['ps:report', app])).stdout).toMatch(/^ {7}Running: {23}true$/m);
  });

  test('an app not deployed yet answers its domains with 502, and a failed first push leaves it so', async () => {
    expect((await slipway.ssh(['apps:create', 'unborn'])).code).toBe(0);
    expect((await slipway.get(slipway.appHost('unborn'))).status).toBe(502);
    const repo = await slipway.appRepo('dockerfile-app', 'unborn');
    fs.appendFileSync(path.join(repo, 'Dockerfile'), 'RUN exit 3\n');
    await run('git', ['commit', '-qam', 'broken'], { cwd: repo, env: slipway.gitEnv() });
    expect((await slipway.push(repo)).code).not.toBe(0);
    expect((await slipway.get(slipway.appHost('unborn'))).status).toBe(502);
    expect((await slipway.ssh(['apps:destroy', 'unborn', '--force'])).code).toBe(0);
    expect((await slipway.get(slipway.appHost('unborn'))).status).toBe(404);
  });

  test('restart policy and resource limits reach the containers on the next restart', async () => {
    expect((await slipway.ssh(['ps:set', app, 'restart-policy', 'on-failure:5'])).code).toBe(0);
    expect((await slipway.ssh(['resource:limit', app, '--memory', '256m', '--cpu', '0.5'])).code).toBe(0);
    await redeploy(app);
    const { HostConfig } = await inspectWeb(app);
    expect(HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 5 });
    expect(HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(HostConfig.NanoCpus).toBe(500_000_000);
    const report = await slipway.sshJson<Report>(['resource:report', app, '--format', 'json']);
    expect(report).toEqual({ 'all-processes-memory': '256m', 'all-processes-cpu': '0.5' });

    expect((await slipway.ssh(['resource:limit-clear', app])).code).toBe(0);
    expect((await slipway.ssh(['ps:set', app, 'restart-policy'])).code).toBe(0);
    await redeploy(app);
    expect((await inspectWeb(app)).HostConfig).toMatchObject({
      Memory: 0,
      NanoCpus: 0,
      RestartPolicy: { Name: 'unless-stopped' },
    });
  });

  test('checks:set wait-to-retire sets how long old containers keep serving', async () => {
    expect((await slipway.ssh(['checks:set', app, 'wait-to-retire', '0'])).code).toBe(0);
    expect((await slipway.sshJson<Report>(['checks:report', app, '--format', 'json']))['wait-to-retire']).toBe('0');
    const restarted = await slipway.ssh(['ps:restart', app]);
    expect(restarted.stdout).toContain('Shutting down old containers in 0 seconds');
    expect((await slipway.ssh(['checks:set', app, 'wait-to-retire'])).code).toBe(0);
    expect((await slipway.ssh(['ps:restart', app])).stdout).toContain('Shutting down old containers in 1 seconds'); // the host's
  });

  test.each([
    [['ps:set', app, 'restart-policy', 'sometimes'], 'Invalid restart-policy specified (sometimes)'],
    [['ps:set', app, 'color', 'blue'], 'Invalid property: color'],
    [['resource:limit', app, '--memory', 'lots'], 'Invalid memory limit lots'],
    [['resource:limit', app, '--cpu', '-1'], 'Invalid cpu limit -1'],
    [['resource:limit', app], 'Give --memory and/or --cpu'],
    [['checks:set', app, 'wait-to-retire', '-5'], 'Invalid wait-to-retire -5'],
  ])('%j is refused', async (command, message) => {
    const result = await slipway.ssh(command);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });
});

describe('storage', () => {
  test('a mounted storage directory is shared by the app’s containers and one-off runs', async () => {
    const hostDir = path.join(slipway.dir, 'data', 'storage', 'life-data');
    const mounted = await slipway.ssh(['storage:mount', app, `${hostDir}:/data`]);
    expect(mounted.code, mounted.output).toBe(0);
    expect((await slipway.ssh(['storage:list', app])).stdout).toContain(`${hostDir}:/data`);
    await redeploy(app);
    expect((await inspectWeb(app)).HostConfig.Binds).toEqual([`${hostDir}:/data`]);
    expect((await slipway.ssh(['run', app, "'echo kept > /data/note'"])).code).toBe(0);
    expect(fs.readFileSync(path.join(hostDir, 'note'), 'utf8')).toBe('kept\n');

    expect((await slipway.ssh(['storage:unmount', app, `${hostDir}:/data`])).code).toBe(0);
    expect((await slipway.ssh(['storage:list', app, '--format', 'json'])).stdout.trim()).toBe('[]');
    expect(fs.existsSync(path.join(hostDir, 'note'))).toBe(true); // the data stays
  });

  test.each([
    '/etc:/data',
    'STORAGE/../../etc:/data',
    'STORAGE/x:relative',
    'STORAGE/x:/data:rw',
    'STORAGE/a b:/data',
    'STORAGE/x;id:/data',
  ])('the mount %s is refused', async (spec) => {
    const storage = path.join(slipway.dir, 'data', 'storage');
    const result = await slipway.ssh(['storage:mount', app, `'${spec.replace('STORAGE', storage)}'`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ ! {5}/m);
    expect((await slipway.ssh(['storage:list', app, '--format', 'json'])).stdout.trim()).toBe('[]');
  });

  test('a symlink planted in storage cannot lead a mount outside it', async () => {
    const storage = path.join(slipway.dir, 'data', 'storage');
    fs.mkdirSync(storage, { recursive: true });
    fs.symlinkSync('/etc', path.join(storage, 'escape'));
    const result = await slipway.ssh(['storage:mount', app, `${storage}/escape:/data`]);
    expect(result.stderr).toContain('leads outside');
    const below = await slipway.ssh(['storage:mount', app, `${storage}/escape/slipway-made-this:/data`]);
    expect(below.stderr).toContain('leads outside');
    expect(fs.existsSync('/etc/slipway-made-this')).toBe(false);
  });
});

describe('rename and clone', () => {
  test('apps:rename moves the app, its history and config, and serves it under the new name', async () => {
    const renamed = await slipway.ssh(['apps:rename', app, 'renamed']);
    expect(renamed.code, renamed.output).toBe(0);
    expect((await slipway.get(slipway.appHost('renamed'))).status).toBe(200);
    expect((await slipway.get(slipway.appHost(app))).status).toBe(404);
    expect((await slipway.ssh(['apps:exists', app])).code).toBe(1);
    expect((await slipway.ssh(['config:get', 'renamed', 'A'])).stdout.trim()).toBe('1');
    expect((await slipway.ssh(['logs:deploy', 'renamed', 'v1'])).stdout).toContain('Releasing life (v1)');
    const rollback = await slipway.ssh(['releases:rollback', 'renamed', 'v1']);
    expect(rollback.code, rollback.output).toBe(0); // old release images moved with it
    expect(await slipway.containers(app)).toEqual([]);

    expect((await slipway.ssh(['config:set', '--no-restart', 'renamed', 'C=3'])).code).toBe(0);
    const pushed = await slipway.push(repo, { args: [slipway.remote('renamed'), 'main'] });
    expect(pushed.code, pushed.output).toBe(0);
    expect((await slipway.ssh(['apps:rename', 'renamed', 'renamed'])).stderr).toContain('already taken');
    expect((await slipway.ssh(['apps:rename', 'renamed', 'Bad_Name'])).stderr).toContain('App name must begin');
  });

  test('apps:clone makes a second app from the same code and config', async () => {
    const cloned = await slipway.ssh(['apps:clone', 'renamed', 'copy']);
    expect(cloned.code, cloned.output).toBe(0);
    expect((await slipway.get(slipway.appHost('copy'))).body).toMatch(/^hello from version 1/);
    expect((await slipway.get(slipway.appHost('renamed'))).status).toBe(200);
    // The same config, but for the commit each one's own deploy put in GIT_REV
    const config = async (name: string) =>
      (await slipway.ssh(['config:export', name])).stdout.replace(/^export GIT_REV=.*\n/m, '');
    expect(await config('copy')).toBe(await config('renamed'));
    expect(await config('copy')).toContain('C=');
  });

  test('report shows every report of an app', async () => {
    const all = await slipway.sshJson<Record<string, Report>>(['report', 'copy', '--format', 'json']);
    expect(Object.keys(all)).toEqual([
      'apps',
      'builder',
      'certs',
      'checks',
      'cron',
      'domains',
      'drains',
      'git',
      'letsencrypt',
      'nginx',
      'ports',
      'proxy',
      'ps',
      'registry',
      'resource',
      'run',
      'storage',
    ]);
    expect(all.apps?.['app-locked']).toBe('false');
    expect(all.domains?.['app-vhosts']).toBe(slipway.appHost('copy'));
    const text = await slipway.ssh(['report', 'copy']);
    expect(text.stdout).toContain('=====> copy ps information');
    expect(text.stdout).toContain('=====> copy apps information');
    // One row's bare value, by its flag, as Dokku's reports give it to scripts.
    expect((await slipway.ssh(['ps:report', 'copy', '--running'])).stdout).toBe('true\n');
    expect((await slipway.ssh(['apps:report', 'copy', '--app-locked'])).stdout).toBe('false\n');
    expect((await slipway.ssh(['ps:report', 'copy', '--ps-restart-policy'])).stdout).toBe('unless-stopped\n');
    // With no app, every app's report.
    const everyApp = await slipway.sshJson<Record<string, Report>>(['ps:report', '--format', 'json']);
    expect(Object.keys(everyApp).sort()).toEqual(['copy', 'renamed']);
    expect(everyApp.copy?.running).toBe('true');
    // One listing for every app: each app's part is its own report.
    expect(everyApp.copy).toEqual(await slipway.sshJson<Report>(['ps:report', 'copy', '--format', 'json']));
    expect((await slipway.ssh(['report'])).stdout).toContain('=====> renamed storage information');
    const unknown = await slipway.ssh(['ps:report', 'copy', '--colour']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Invalid flag passed: --colour');
  });

  test('apps:destroy right after a deploy, while the old containers drain, removes everything', async () => {
    expect((await slipway.ssh(['config:set', 'copy', 'DRAIN=1'])).code).toBe(0);
    const destroyed = await slipway.ssh(['apps:destroy', 'copy', '--force']);
    expect(destroyed.code, destroyed.output).toBe(0);
    expect(
      await eventually(
        () => slipway.containers('copy'),
        (c) => c.length === 0,
      ),
    ).toEqual([]);
    expect((await slipway.get(slipway.appHost('copy'))).status).toBe(404);
  });
});
