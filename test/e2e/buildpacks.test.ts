import Docker from 'dockerode';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { parseJson } from '../support/json.js';
import { deployFixture } from '../support/pushes.js';
import { eventually, run, SlipwayUnderTest } from '../support/slipway.js';

// How Node.js versions are picked (engines, .nvmrc, yarn, pnpm) is in node-versions.test.ts, which runs beside this file.
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

const deploy = (fixture: string, app: string) => deployFixture(slipway, fixture, app);

describe('buildpack builds (no Dockerfile)', () => {
  test('a Node app with no dependencies runs as a non-root user', async () => {
    const { pushed } = await deploy('node-app', 'nodeapp');
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain('remote: -----> Building nodeapp from herokuish');
    expect(pushed.output).toContain('remote: -----> Node.js app detected');
    expect(pushed.output).toContain('remote: -----> No dependencies to install');
    expect(pushed.output).toContain('Default types for Node.js -> web');
    expect((await slipway.get(slipway.appHost('nodeapp'))).body).toBe('node app, uid 1000, NODE_ENV production\n');
  });

  test('a Node app with a vendored dependency installs it, and the next push reuses the cache', async () => {
    const { repo, pushed } = await deploy('node-deps', 'nodedeps');
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain('-----> Installing 1 dependencies');
    expect((await slipway.get(slipway.appHost('nodedeps'))).body).toBe('hello node-deps from a vendored module v1\n');

    const file = path.join(repo, 'server.js');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('const VERSION = 1;', 'const VERSION = 2;'));
    await slipway.commit(repo, 'code only');
    const again = await slipway.push(repo);
    expect(again.code, again.output).toBe(0);
    // node_modules is not even copied in: the image gets the last build's dependencies layer.
    expect(again.output).toContain("-----> Reusing node_modules from the last build's image (dependencies unchanged)");
    expect(again.output).not.toContain('Installing 1 dependencies');
    expect((await slipway.get(slipway.appHost('nodedeps'))).body).toBe('hello node-deps from a vendored module v2\n');

    const purged = await slipway.ssh(['repo:purge-cache', 'nodedeps']);
    expect(purged.code, purged.output).toBe(0);
    const rebuilt = await slipway.ssh(['ps:rebuild', 'nodedeps']);
    expect(rebuilt.code, rebuilt.output).toBe(0);
    expect(rebuilt.stdout).toContain('-----> Installing 1 dependencies');
  });

  test('a Python app using only the standard library runs from its virtualenv', async () => {
    const { repo, pushed } = await deploy('python-app', 'pyapp');
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain('-----> Python app detected');
    expect(pushed.output).toContain('No requirements to install (standard library only)');
    expect((await slipway.get(slipway.appHost('pyapp'))).body).toMatch(
      /^python app on 3\.\d+\.\d+, venv \/app\/\.venv\n$/,
    );

    // The next push reuses the virtualenv's layer; after a daemon restart (which forgets it)
    // the virtualenv is restored from the build cache again.
    const push = async (note: string) => {
      fs.writeFileSync(path.join(repo, 'NOTES'), note);
      await run('git', ['add', 'NOTES'], { cwd: repo });
      await slipway.commit(repo, note);
      const again = await slipway.push(repo);
      expect(again.code, again.output).toBe(0);
      expect((await slipway.get(slipway.appHost('pyapp'))).body).toMatch(/venv \/app\/\.venv\n$/);
      return again.output;
    };
    expect(await push('second')).toContain(
      "-----> Reusing the virtualenv from the last build's image (requirements unchanged)",
    );
    await slipway.stopDaemon();
    await slipway.startDaemon();
    expect(await push('third')).toContain(
      '-----> Restoring the virtualenv from the build cache (requirements unchanged)',
    );
  });

  describe('a static site', () => {
    // One push serves both tests: the first only reads the site, the second is last (it pushes
    // again and destroys the app).
    let site: Awaited<ReturnType<typeof deploy>>;
    beforeAll(async () => {
      site = await deploy('static-site', 'site');
    });

    test('is served by a small static server', async () => {
      const { pushed } = site;
      expect(pushed.code, pushed.output).toBe(0);
      expect(pushed.output).toContain('-----> Static site app detected');
      expect((await slipway.get(slipway.appHost('site'))).body).toContain('<h1>static site fixture</h1>');
      expect((await slipway.get(slipway.appHost('site'), '/style.css')).body).toContain('color: teal');
      expect((await slipway.get(slipway.appHost('site'), '/.release')).status).toBe(404);
    });

    test('has the next compile’s container waiting ready; one that is gone is made anew, and it goes with the app', async () => {
      const buildContainers = async () =>
        (
          await docker.listContainers({
            all: true,
            filters: { label: [`slipway.instance=${slipway.instance}`, 'slipway.app=site', 'slipway.process=build'] },
          })
        ).map((c) => c.Id);
      const { repo, pushed } = site;
      expect(pushed.code, pushed.output).toBe(0);
      const [waiting] = await eventually(buildContainers, (ids) => ids.length === 1);
      expect(waiting).toBeDefined();

      // Removed behind Slipway's back: the push still builds, in a container of its own.
      await docker.getContainer(waiting!).remove({ force: true });
      fs.appendFileSync(path.join(repo, 'index.html'), '\n<!-- again -->\n');
      await slipway.commit(repo, 'again');
      const again = await slipway.push(repo);
      expect(again.code, again.output).toBe(0);
      expect((await slipway.get(slipway.appHost('site'))).body).toContain('<!-- again -->');

      // The one made for the next push goes with the app, and so does the cache it mounts.
      expect(await eventually(buildContainers, (ids) => ids.length === 1)).toHaveLength(1);
      const destroyed = await slipway.ssh(['apps:destroy', 'site', '--force']);
      expect(destroyed.code, destroyed.output).toBe(0);
      expect(await buildContainers()).toEqual([]);
      expect((await docker.listVolumes()).Volumes.map((v) => v.Name)).not.toContain(`${slipway.instance}-cache-site`);
    });
  });

  test('a Procfile app runs web and worker, and its release command before the swap', async () => {
    const { pushed } = await deploy('procfile-app', 'procs');
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain('-----> Procfile app detected');
    expect(pushed.output).toContain(
      'Executing release task from Procfile in ephemeral container: echo "release phase ran for $SLIPWAY_RELEASE"',
    );
    expect(pushed.output).toContain('release phase ran for v1');
    expect(pushed.output).toContain('-----> Deploying worker (count=1)');
    expect((await slipway.get(slipway.appHost('procs'))).body).toBe('procfile web web.1\n');

    const containers = await slipway.containers('procs');
    const worker = containers.find((c) => c.name.includes('.worker.1.'));
    expect(worker?.state).toBe('running');
    const [found] = await docker.listContainers({ filters: { name: [worker!.name] } });
    const logs = await eventually(
      async () => (await docker.getContainer(found!.Id).logs({ stdout: true, stderr: true })).toString(),
      (text) => text.includes('worker started'),
      10_000,
    );
    expect(logs).toContain("worker started as worker.1 with PORT=''");

    // app.json's formation holds the counts, as in Dokku: ps:scale is refused.
    const scaled = await slipway.ssh(['ps:scale', 'procs', 'worker=2']);
    expect(scaled.code).toBe(1);
    expect(scaled.stderr).toContain(
      'App procs contains an app.json file with a formations key and cannot be manually scaled',
    );
    expect((await slipway.ssh(['ps:scale', 'procs'])).stdout).toMatch(/^worker: +1$/m);
  });

  test('a failing compile fails the push and leaves the previous release serving', async () => {
    const repo = await slipway.appRepo('node-app', 'nodeapp');
    const pkg = path.join(repo, 'package.json');
    const json = parseJson<{ scripts: Record<string, string> }>(fs.readFileSync(pkg, 'utf8'));
    json.scripts.build = 'node -e "process.exit(3)"';
    fs.writeFileSync(pkg, JSON.stringify(json));
    await slipway.commit(repo, 'a build step that fails');
    const pushed = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain('-----> Running build');
    expect(pushed.output).toContain('Buildpack compile failed');
    expect(pushed.output).toContain('remote:  !     App build failed');
    expect((await slipway.get(slipway.appHost('nodeapp'))).body).toBe('node app, uid 1000, NODE_ENV production\n');
  });
});

describe('builder selection', () => {
  test('a Dockerfile wins unless the app selects herokuish', async () => {
    const repo = await slipway.appRepo('dockerfile-app', 'both');
    fs.writeFileSync(
      path.join(repo, 'package.json'),
      JSON.stringify({ name: 'both', scripts: { start: 'node server.js' } }),
    );
    await run('git', ['add', '-A'], { cwd: repo });
    await slipway.commit(repo, 'package.json too');
    const first = await slipway.push(repo);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain('-----> Building both from Dockerfile');

    expect((await slipway.ssh(['builder:set', 'both', 'selected', 'herokuish'])).code).toBe(0);
    const rebuilt = await slipway.ssh(['ps:rebuild', 'both']);
    expect(rebuilt.code, rebuilt.output).toBe(0);
    expect(rebuilt.stdout).toContain('-----> Building both from herokuish');
    expect((await slipway.get(slipway.appHost('both'))).body).toMatch(/^hello from version 1 \(v2 web\.1\)/);
    expect((await slipway.ssh(['builder:set', 'both', 'selected', 'pack'])).stderr).toContain('Invalid builder: pack');
  });

  test('BUILDPACK_URL picks a shipped buildpack over detection; an unknown one is refused', async () => {
    const repo = await slipway.appRepo('static-site', 'chosen');
    fs.writeFileSync(
      path.join(repo, 'package.json'),
      JSON.stringify({ name: 'chosen', scripts: { start: 'node nope.js' } }),
    );
    await run('git', ['add', '-A'], { cwd: repo });
    await slipway.commit(repo, 'looks like node');
    expect((await slipway.ssh(['apps:create', 'chosen'])).code).toBe(0);
    await slipway.ssh([
      'config:set',
      '--no-restart',
      'chosen',
      'BUILDPACK_URL=https://github.com/heroku/heroku-buildpack-static.git',
    ]);
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain('-----> Static site app detected');
    expect((await slipway.get(slipway.appHost('chosen'))).body).toContain('static site fixture');

    await slipway.ssh([
      'config:set',
      '--no-restart',
      'chosen',
      'BUILDPACK_URL=https://example.com/some-other-pack.tgz',
    ]);
    const refused = await slipway.ssh(['ps:rebuild', 'chosen']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      'Unknown buildpack https://example.com/some-other-pack.tgz: Slipway ships ruby, nodejs, python, java, php, go, static, procfile',
    );
  });

  test('git:from-image deploys an image already on the host', async () => {
    const [image] = (await docker.listImages({ filters: { reference: [`${slipway.instance}/app-nodeapp`] } })).flatMap(
      (i) => i.RepoTags ?? [],
    );
    expect(image).toBeDefined();
    expect((await slipway.ssh(['apps:create', 'fromimage'])).code).toBe(0);
    const deployed = await slipway.ssh(['git:from-image', 'fromimage', image!]);
    expect(deployed.code, deployed.output).toBe(0);
    expect(deployed.stdout).toContain(`-----> Deploying fromimage from image ${image}`);
    expect((await slipway.get(slipway.appHost('fromimage'))).body).toBe('node app, uid 1000, NODE_ENV production\n');
    expect((await slipway.ssh(['git:from-image', 'fromimage', 'no/such:image'])).stdout).toContain(
      'Image no/such:image is not on this host',
    );
  });
});
