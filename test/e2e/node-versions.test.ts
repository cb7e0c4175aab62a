import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { deployFixture } from '../support/pushes.js';
import { run, SlipwayUnderTest } from '../support/slipway.js';

// The Node.js buildpack's versions, apart from buildpacks.test.ts so that the two long files run side by side.
const slipway = new SlipwayUnderTest(inject('redisUrl'));

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

const deploy = (fixture: string, app: string) => deployFixture(slipway, fixture, app);

describe('Node.js versions, as Heroku picks them', () => {
  test('engines.node picks the version; one that does not exist fails the push and changes nothing', async () => {
    const { repo, pushed } = await deploy('node-engines', 'engines');
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toMatch(/-----> Node\.js 22\.\d+\.\d+ \(engines\.node in package\.json\), npm \d+/);
    expect((await slipway.get(slipway.appHost('engines'))).body).toMatch(/^node v22\.\d+\.\d+, NODE_ENV production\n$/);

    const pkg = path.join(repo, 'package.json');
    fs.writeFileSync(pkg, fs.readFileSync(pkg, 'utf8').replace('"22.x"', '"99.x"'));
    await slipway.commit(repo, 'a Node.js that does not exist');
    const refused = await slipway.push(repo);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(
      / ! {5}No Node\.js version matches "99\.x" \(engines\.node in package\.json\); the nearest that can be installed: \d+/,
    );

    // heroku/node-js-sample asks for 4.0.0, published only as a package with a nested tarball.
    fs.writeFileSync(pkg, fs.readFileSync(pkg, 'utf8').replace('"99.x"', '"4.0.0"'));
    await slipway.commit(repo, 'a Node.js published in an old layout');
    const old = await slipway.push(repo);
    expect(old.code).not.toBe(0);
    expect(old.output).toMatch(
      / ! {5}Node\.js 4\.0\.0 \(engines\.node in package\.json\) is published only as an old package that Slipway cannot install \(no bin\/node in it\); the nearest that can be installed: \d+\.\d+\.\d+/,
    );
    expect(fs.existsSync(`/var/cache/slipway/toolchains/node-linux-${process.arch}/4.0.0`)).toBe(false);

    expect((await slipway.get(slipway.appHost('engines'))).body).toMatch(/^node v22\./);
    expect((await slipway.ssh(['releases', 'engines'])).stdout).not.toMatch(/^v2\b/m);
  });

  test('.nvmrc picks the version when package.json does not; no request gets the current LTS', async () => {
    const { repo, pushed } = await deploy('node-nvmrc', 'nvmrc');
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toMatch(/-----> Node\.js 20\.\d+\.\d+ \(\.nvmrc\)/);
    expect((await slipway.get(slipway.appHost('nvmrc'))).body).toMatch(/^node v20\.\d+\.\d+, NODE_ENV production\n$/);

    fs.rmSync(path.join(repo, '.nvmrc'));
    await run('git', ['add', '-A'], { cwd: repo });
    await slipway.commit(repo, 'no version asked for');
    const lts = await slipway.push(repo);
    expect(lts.code, lts.output).toBe(0);
    const chosen = /-----> Node\.js (\d+)\.\d+\.\d+ \(the current LTS\)/.exec(lts.output);
    expect(chosen, lts.output).not.toBeNull();
    expect(Number(chosen![1]) % 2).toBe(0);
    expect((await slipway.get(slipway.appHost('nvmrc'))).body).toMatch(new RegExp(`^node v${chosen![1]}\\.`));
  });

  test('a build script runs with devDependencies and the config, which are pruned from the image', async () => {
    const repo = await slipway.appRepo('node-build', 'built');
    expect((await slipway.ssh(['apps:create', 'built'])).code).toBe(0);
    expect((await slipway.ssh(['config:set', '--no-restart', 'built', 'API_URL=https://api.example'])).code).toBe(0);
    const pushed = await slipway.push(repo);
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain('-----> Installing 1 dependencies with npm');
    expect(pushed.output).toContain('-----> Running build');
    expect(pushed.output).toContain('-----> Pruning devDependencies');
    expect((await slipway.get(slipway.appHost('built'))).body).toBe(
      'built with is-number: true, API_URL https://api.example; devDependencies pruned: true\n',
    );
  });

  test('packageManager yarn installs and builds through corepack', async () => {
    const { pushed } = await deploy('node-yarn', 'yarnapp');
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toContain('yarn 1.22.22');
    expect(pushed.output).toContain('-----> Installing 1 dependencies with yarn');
    expect(pushed.output).toContain('-----> Running build');
    expect((await slipway.get(slipway.appHost('yarnapp'))).body).toBe('built by yarn, is-number true\n');
  });

  test('packageManager pnpm installs through corepack', async () => {
    const { pushed } = await deploy('node-pnpm', 'pnpmapp');
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).toMatch(
      /-----> Node\.js \d+\.\d+\.\d+ \(the current LTS\), npm \d+\.\d+\.\d+, pnpm 9\.15\.9/,
    );
    expect(pushed.output).toContain('-----> Installing 1 dependencies with pnpm');
    expect((await slipway.get(slipway.appHost('pnpmapp'))).body).toBe('pnpm app, is-number true, pnpm layout\n');
  });
});
