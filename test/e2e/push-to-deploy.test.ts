import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { setGreeting } from '../support/pushes.js';
import { eventually, makeKey, run, SlipwayUnderTest } from '../support/slipway.js';

const slipway = new SlipwayUnderTest(inject('redisUrl'));

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

describe('git push deploys a Dockerfile app', () => {
  const app = 'hello';
  let repo: string;

  test('the first push creates the app, streams the build and answers through nginx', async () => {
    repo = await slipway.appRepo('dockerfile-app', app);
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain('remote: -----> Building hello from Dockerfile');
    expect(pushed.output).toMatch(/remote: +Step 1\/\d+ : FROM slipway\/stack:bookworm/);
    expect(pushed.output).toContain('remote: -----> Releasing hello (v1)...');
    expect(pushed.output).toContain('All checks successful (web.1)');
    expect(pushed.output).toContain('remote: =====> Application deployed:');
    expect(pushed.output).toContain(`http://hello.slipway.test:${slipway.httpPort}`);

    const response = await slipway.get(slipway.appHost(app));
    expect(response).toEqual({ status: 200, body: 'hello from version 1 (v1 web.1)\n' });
  });

  test('a second push serves the new version and retires the old container', async () => {
    const before = await slipway.containers(app);
    expect(before).toHaveLength(1);
    setGreeting(repo, 'hello from version 2');
    await slipway.commit(repo, 'version 2');
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);

    expect((await slipway.get(slipway.appHost(app))).body).toBe('hello from version 2 (v2 web.1)\n');
    const after = await eventually(
      () => slipway.containers(app),
      (list) => list.length === 1,
    );
    expect(after).toHaveLength(1);
    expect(after[0]!.name).not.toBe(before[0]!.name);
  });

  test('a push whose Dockerfile fails to build is rejected and the old version keeps serving', async () => {
    fs.appendFileSync(path.join(repo, 'Dockerfile'), 'RUN exit 7\n');
    setGreeting(repo, 'broken build');
    await slipway.commit(repo, 'broken build');
    const pushed = await slipway.push(repo);

    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain('remote:  !     App build failed');
    expect(pushed.output).toContain('[remote rejected] main -> main (pre-receive hook declined)');
    expect((await slipway.get(slipway.appHost(app))).body).toBe('hello from version 2 (v2 web.1)\n');

    // The branch did not move: the server still has the last deployed commit.
    const remote = await run('git', ['ls-remote', 'deploy', 'refs/heads/main'], { cwd: repo, env: slipway.gitEnv() });
    const previous = await run('git', ['rev-parse', 'HEAD~1'], { cwd: repo });
    expect(remote.stdout.split('\t')[0]).toBe(previous.stdout.trim());
    await run('git', ['reset', '-q', '--hard', 'HEAD~1'], { cwd: repo });
  });

  test('a push whose container exits at once is rejected, shows its output, and the old version keeps serving', async () => {
    const dockerfile = path.join(repo, 'Dockerfile');
    fs.writeFileSync(
      dockerfile,
      fs
        .readFileSync(dockerfile, 'utf8')
        .replace(/^CMD .*$/m, `CMD ["node", "-e", "console.log('cannot start'); process.exit(3)"]`),
    );
    await slipway.commit(repo, 'crashes at start');
    const pushed = await slipway.push(repo);

    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain('Could not start due to 1 failed checks (web.1)');
    expect(pushed.output).toContain('cannot start');
    expect((await slipway.get(slipway.appHost(app))).body).toBe('hello from version 2 (v2 web.1)\n');
    const containers = await eventually(
      () => slipway.containers(app),
      (list) => list.length === 1,
    );
    expect(containers).toHaveLength(1);
    // what it printed stays at hand after the push
    const failed = await slipway.ssh(['logs:failed', app]);
    expect(failed.code, failed.output).toBe(0);
    expect(failed.stdout).toContain('failed: Could not start due to 1 failed checks (web.1)');
    expect(failed.stdout).toMatch(/Start of \S+ container output/);
    expect(failed.stdout).toContain('cannot start');
    await run('git', ['reset', '-q', '--hard', 'HEAD~1'], { cwd: repo });
  });

  test('a push whose new version fails its app.json healthcheck is rejected and the old version keeps serving', async () => {
    const file = path.join(repo, 'server.js');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace("process.env.HEALTHY === 'no'", 'true'));
    await slipway.commit(repo, 'unhealthy');
    const pushed = await slipway.push(repo);

    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain("Running healthcheck name='health'");
    expect(pushed.output).toContain("healthcheck 'health' failed: status 500");
    expect(pushed.output).toContain('[remote rejected] main -> main (pre-receive hook declined)');
    expect((await slipway.get(slipway.appHost(app))).body).toBe('hello from version 2 (v2 web.1)\n');
    await run('git', ['reset', '-q', '--hard', 'HEAD~1'], { cwd: repo });
  });

  test('pushing a branch other than the deploy branch stores it without deploying', async () => {
    await run('git', ['checkout', '-q', '-b', 'feature'], { cwd: repo });
    const pushed = await slipway.push(repo, { args: ['deploy', 'feature'] });
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain('deploy did not complete, you must push to main');
    await run('git', ['checkout', '-q', 'main'], { cwd: repo });
  });

  test('an unknown Host header gets a 404, never another app', async () => {
    const response = await slipway.get('unknown.slipway.test');
    expect(response.status).toBe(404);
    expect(response.body).not.toContain('hello');
  });

  test('the deployed app and its state survive a restart of the daemon', async () => {
    await slipway.stopDaemon();
    expect((await slipway.get(slipway.appHost(app))).body).toBe('hello from version 2 (v2 web.1)\n');
    await slipway.startDaemon();
    const listed = await slipway.ssh(['apps:list']);
    expect(listed.stdout).toContain('hello');
  });
});

describe('git settings', () => {
  const app = 'branchy';
  let repo: string;

  test('git:set deploy-branch makes another branch the one that deploys; each deploy puts its commit in GIT_REV', async () => {
    repo = await slipway.appRepo('dockerfile-app', app);
    expect((await slipway.push(repo)).code).toBe(0);
    const rev = (await run('git', ['rev-parse', 'HEAD'], { cwd: repo })).stdout.trim();
    expect((await slipway.ssh(['config:get', app, 'GIT_REV'])).stdout.trim()).toBe(rev);
    expect((await slipway.get(slipway.appHost(app), '/env/GIT_REV')).body).toBe(rev);

    expect((await slipway.ssh(['git:set', app, 'deploy-branch', 'production'])).code).toBe(0);
    expect((await slipway.ssh(['git:report', app, '--git-deploy-branch'])).stdout.trim()).toBe('production');
    setGreeting(repo, 'hello from main');
    await run('git', ['commit', '-qam', 'main only'], { cwd: repo, env: slipway.gitEnv() });
    const toMain = await slipway.push(repo);
    expect(toMain.code, toMain.output).toBe(0);
    expect(toMain.output).toContain('you must push to production');
    expect((await slipway.get(slipway.appHost(app))).body).not.toMatch(/^hello from main/);
    await run('git', ['checkout', '-q', '-b', 'production'], { cwd: repo });
    setGreeting(repo, 'hello from production');
    await run('git', ['commit', '-qam', 'production'], { cwd: repo, env: slipway.gitEnv() });
    const toProduction = await slipway.push(repo, { args: ['deploy', 'production'] });
    expect(toProduction.code, toProduction.output).toBe(0);
    expect((await slipway.get(slipway.appHost(app))).body).toMatch(/^hello from production/);

    // rev-env-var names the variable; '' sets none
    expect((await slipway.ssh(['git:set', app, 'rev-env-var', 'SOURCE_VERSION'])).code).toBe(0);
    expect((await slipway.ssh(['ps:rebuild', app])).code).toBe(0);
    const productionRev = (await run('git', ['rev-parse', 'HEAD'], { cwd: repo })).stdout.trim();
    expect((await slipway.get(slipway.appHost(app), '/env/SOURCE_VERSION')).body).toBe(productionRev);
    expect((await slipway.ssh(['git:set', app, 'rev-env-var', 'bad name'])).stderr).toContain('Invalid rev-env-var');
    expect((await slipway.ssh(['git:set', app, 'deploy-branch', 'a..b'])).stderr).toContain('Invalid deploy-branch');

    for (const command of [
      ['git:set', app, 'deploy-branch'],
      ['git:set', app, 'rev-env-var'],
    ])
      expect((await slipway.ssh(command)).code).toBe(0);
  });

  test('with disable-autocreation, a push to an app that does not exist is refused', async () => {
    expect((await slipway.ssh(['apps:set', '--global', 'disable-autocreation', 'true'])).code).toBe(0);
    const refused = await slipway.push(repo, { args: [slipway.remote('nothere'), 'main'] });
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(' !     App auto-creation disabled.');
    expect((await slipway.ssh(['apps:exists', 'nothere'])).code).not.toBe(0);
    expect((await slipway.ssh(['apps:report', app, '--app-global-disable-autocreation'])).stdout.trim()).toBe('true');
    expect((await slipway.ssh(['apps:set', app, 'disable-autocreation', 'true'])).stderr).toContain(
      'Property can only be specified globally',
    );
    expect((await slipway.ssh(['apps:set', '--global', 'disable-autocreation'])).code).toBe(0);
  });
});

describe('access', () => {
  test('a key that was never added is refused', async () => {
    const stranger = await makeKey(slipway.dir, 'stranger');
    const result = await slipway.ssh(['apps:list'], { key: stranger });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('Permission denied');

    const repo = await slipway.appRepo('dockerfile-app', 'intruder');
    const pushed = await slipway.push(repo, { key: stranger });
    expect(pushed.code).not.toBe(0);
    expect((await slipway.ssh(['apps:exists', 'intruder'])).code).toBe(1);
  });

  test.each(['Bad_App', 'UPPER', 'a..b', 'x-', '-x', 'app;id', 'app$(id)', 'app|cat', 'a/b'])(
    'the invalid app name %j is refused for push and apps:create',
    async (name) => {
      const created = await slipway.ssh(['apps:create', `'${name}'`]);
      expect(created.code).toBe(1);
      expect(created.stderr).toMatch(/App name must begin with lowercase alphanumeric character|Invalid/);

      const repo = await slipway.appRepo('dockerfile-app', 'valid');
      await run('git', ['remote', 'set-url', 'deploy', `ssh://git@127.0.0.1:${slipway.sshPort}/${name}`], {
        cwd: repo,
      });
      const pushed = await slipway.push(repo);
      expect(pushed.code).not.toBe(0);
      expect((await slipway.ssh(['apps:list', '--format', 'json'])).stdout).not.toContain(name);
    },
  );

  test('a non-admin key cannot manage keys, and stops working once removed', async () => {
    const dev = await makeKey(slipway.dir, 'dev');
    const added = await slipway.ssh(['ssh-keys:add', 'dev'], { input: fs.readFileSync(dev.publicPath, 'utf8') });
    expect(added.code, added.output).toBe(0);
    expect(added.stdout).toContain('Added key dev');

    const listed = await slipway.ssh(['ssh-keys:list'], { key: dev });
    expect(listed.code).toBe(1);
    expect(listed.stderr).toContain(' !     ssh-keys:list needs an admin key');

    // It logs in but has no apps until granted some (access.test.ts has the rest).
    expect((await slipway.ssh(['apps:list'], { key: dev })).stderr).toContain(
      "You haven't deployed any applications yet",
    );
    const [entry] = await slipway.sshJson<{ name: string; admin: boolean; fingerprint: string }[]>([
      'ssh-keys:list',
      'dev',
      '--format',
      'json',
    ]);
    expect(entry).toMatchObject({ name: 'dev', admin: false });
    const removed = await slipway.ssh(['ssh-keys:remove', '--fingerprint', entry!.fingerprint]);
    expect(removed.code, removed.output).toBe(0);
    expect(removed.stdout).toContain('Removed key dev');
    expect((await slipway.ssh(['apps:list'], { key: dev })).code).toBe(255);
    expect((await slipway.ssh(['ssh-keys:list', 'dev'])).stderr).toContain('No key named dev');
  });

  test('the last admin key cannot be removed', async () => {
    const result = await slipway.ssh(['ssh-keys:remove', 'admin']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('last admin key');
  });

  test('a private key is refused by ssh-keys:add', async () => {
    const result = await slipway.ssh(['ssh-keys:add', 'oops'], {
      input: fs.readFileSync(slipway.admin.privatePath, 'utf8'),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('private key');
  });
});

describe('apps commands over SSH', () => {
  test('create, list, exists and destroy', async () => {
    const created = await slipway.ssh(['apps:create', 'made-by-hand']);
    expect(created.code, created.output).toBe(0);
    expect(created.stdout).toContain('-----> Creating made-by-hand...');
    expect((await slipway.ssh(['apps:create', 'made-by-hand'])).stderr).toContain(' !     Name is already taken');
    expect(JSON.parse((await slipway.ssh(['apps:list', '--format', 'json'])).stdout)).toContain('made-by-hand');
    expect((await slipway.ssh(['apps:exists', 'made-by-hand'])).code).toBe(0);

    const destroyed = await slipway.ssh(['apps:destroy', 'made-by-hand', '--force']);
    expect(destroyed.code, destroyed.output).toBe(0);
    expect((await slipway.ssh(['apps:exists', 'made-by-hand'])).code).toBe(1);
  });

  test('destroy without --force asks for the name and refuses a wrong answer', async () => {
    await slipway.ssh(['apps:create', 'keepme']);
    const refused = await slipway.ssh(['apps:destroy', 'keepme'], { input: 'nope\n' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Confirmation did not match keepme');
    expect((await slipway.ssh(['apps:exists', 'keepme'])).code).toBe(0);
    const confirmed = await slipway.ssh(['apps:destroy', 'keepme'], { input: 'keepme\n' });
    expect(confirmed.code, confirmed.output).toBe(0);
  });

  test('destroying a deployed app stops its containers and its vhost', async () => {
    const repo = await slipway.appRepo('dockerfile-app', 'shortlived');
    expect((await slipway.push(repo)).code).toBe(0);
    expect((await slipway.get(slipway.appHost('shortlived'))).status).toBe(200);

    const destroyed = await slipway.ssh(['apps:destroy', 'shortlived', '--force']);
    expect(destroyed.code, destroyed.output).toBe(0);
    expect(await slipway.containers('shortlived')).toEqual([]);
    expect((await slipway.get(slipway.appHost('shortlived'))).status).toBe(404);
  });

  test('a missing app exits 20 and an unknown command exits 1, as in Dokku', async () => {
    const missing = await slipway.ssh(['apps:destroy', 'ghost', '--force']);
    expect(missing.code).toBe(20);
    expect(missing.stderr).toContain(' !     App ghost does not exist');

    const unknown = await slipway.ssh(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('`frobnicate` is not a slipway command.');
  });

  test('help --all lists the commands and a command explains itself with --help', async () => {
    const help = await slipway.ssh(['help', '--all']);
    expect(help.code).toBe(0);
    for (const name of ['apps:create', 'apps:destroy', 'ssh-keys:add']) expect(help.stdout).toContain(name);
    const usage = await slipway.ssh(['apps:destroy', '--help']);
    expect(usage.stdout).toContain('Usage: slipway apps:destroy <app> [--force]');
  });
});

describe('deploys to one app are serialized', () => {
  test('a second push to the same app waits its turn, says so, and both succeed in order', async () => {
    const first = await slipway.appRepo('dockerfile-app', 'queued');
    const second = await slipway.appRepo('dockerfile-app', 'queued');
    setGreeting(second, 'from the second push');
    await slipway.commit(second, 'second');

    const pushA = slipway.push(first);
    const deploying = async () => (await slipway.ssh(['builds:list', 'queued', '--format', 'json'])).stdout;
    await eventually(deploying, (listed) => listed.includes('"running"')); // the first is building
    const pushB = slipway.push(second, { args: ['--force', 'deploy', 'main'] });
    const [a, b] = await Promise.all([pushA, pushB]);
    expect(a.code, a.output).toBe(0);
    expect(b.code, b.output).toBe(0);
    expect(b.output).toContain('Waiting for the push in progress to queued to finish');
    expect(a.output).toContain('Releasing queued (v1)');
    expect(b.output).toContain('Releasing queued (v2)');
    expect((await slipway.get(slipway.appHost('queued'))).body).toBe('from the second push (v2 web.1)\n');
  });
});
