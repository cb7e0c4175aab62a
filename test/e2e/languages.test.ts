import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { run, SlipwayUnderTest } from '../support/slipway.js';

// Languages with images of their own (Go, Ruby): the images are made from the stack's the
// first time an app needs them (a few minutes), then shared by every app and test run.
const FIRST_BUILD_MS = 600_000;
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

describe('Go', () => {
  test(
    'a Go module with a vendored dependency builds into bin/ and serves from an image without Go',
    async () => {
      const repo = await slipway.appRepo('go-app', 'goapp');
      const pushed = await slipway.push(repo);
      expect(pushed.code, pushed.output).toBe(0);
      expect(pushed.output).toContain('remote: -----> Go app detected');
      expect(pushed.output).toContain('remote: -----> Using Go 1.19.8 (go.mod asks for go 1.19)');
      expect(pushed.output).toContain('remote: -----> Using the vendored modules (vendor/)');
      expect(pushed.output).toContain('Default types for Go -> web');
      expect((await slipway.get(slipway.appHost('goapp'))).body).toBe(
        'hello go app (vendored greeting) from go1.19.8, v1\n',
      );

      const inside = await slipway.ssh(['run', 'goapp', 'ls bin; command -v go || echo no go here']);
      expect(inside.code, inside.output).toBe(0);
      expect(inside.stdout).toBe('goapp\nno go here\n');
    },
    FIRST_BUILD_MS,
  );

  test('a go directive newer than this host’s Go fails the push, naming both, and the last release serves on', async () => {
    const repo = await slipway.appRepo('go-app', 'goapp');
    await slipway.changeFile(repo, 'go.mod', 'go 1.19', 'go 1.22');
    const pushed = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain(
      'remote:  !     This app needs Go 1.22 or newer (go.mod), and this host has Go 1.19.8',
    );
    expect((await slipway.get(slipway.appHost('goapp'))).body).toBe(
      'hello go app (vendored greeting) from go1.19.8, v1\n',
    );
  });

  test('modules that cannot be downloaded (no vendor/, no proxy reachable) fail the push, saying what to do', async () => {
    const repo = await slipway.appRepo('go-app', 'goapp');
    await run('git', ['rm', '-rq', 'vendor'], { cwd: repo });
    await slipway.commit(repo, 'no vendor/');
    const pushed = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain('-----> Downloading modules (https://proxy.golang.org,direct)');
    expect(pushed.output).toContain(
      'remote:  !     The modules could not be downloaded: vendor them (go mod vendor) or set GOPROXY to a proxy this host reaches',
    );
    expect((await slipway.get(slipway.appHost('goapp'))).body).toBe(
      'hello go app (vendored greeting) from go1.19.8, v1\n',
    );
  });
});

describe('Ruby', () => {
  test(
    'a Rack app installs its gems from vendor/cache, runs rackup in production, and the next push reuses the bundle',
    async () => {
      const repo = await slipway.appRepo('ruby-app', 'rubyapp');
      const pushed = await slipway.push(repo);
      expect(pushed.code, pushed.output).toBe(0);
      expect(pushed.output).toContain('remote: -----> Ruby app detected');
      expect(pushed.output).toContain('remote: -----> Using Ruby 3.1.2 (Gemfile asks for ~> 3.1.0)');
      expect(pushed.output).toContain('remote: -----> Installing the gems from vendor/cache');
      expect(pushed.output).toContain('Default types for Ruby -> web');
      expect((await slipway.get(slipway.appHost('rubyapp'))).body).toBe(
        'ruby app on 3.1.2, rack 2.2.22, production, v1\n',
      );

      await slipway.changeFile(repo, 'config.ru', 'VERSION = 1', 'VERSION = 2');
      const again = await slipway.push(repo);
      expect(again.code, again.output).toBe(0);
      expect(again.output).toContain("-----> Reusing the bundle from the last build's image (Gemfile.lock unchanged)");
      expect((await slipway.get(slipway.appHost('rubyapp'))).body).toBe(
        'ruby app on 3.1.2, rack 2.2.22, production, v2\n',
      );

      // No compilers where the app runs.
      const inside = await slipway.ssh(['run', 'rubyapp', 'command -v cc gcc make || echo no compiler here']);
      expect(inside.stdout).toBe('no compiler here\n');
    },
    FIRST_BUILD_MS,
  );

  test('a Gemfile asking for a Ruby this host does not have fails the push, naming both', async () => {
    const repo = await slipway.appRepo('ruby-app', 'rubyapp');
    await slipway.changeFile(repo, 'Gemfile', 'ruby "~> 3.1.0"', 'ruby "3.3.0"');
    const pushed = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain('remote:  !     This app needs Ruby 3.3.0 (Gemfile), and this host has Ruby 3.1.2');
    expect((await slipway.get(slipway.appHost('rubyapp'))).body).toBe(
      'ruby app on 3.1.2, rack 2.2.22, production, v2\n',
    );
  });
});

describe('a host that never builds a language', () => {
  // A stack of its own (tags of the shared stack's images), so that no other test's builds count.
  const tag = `bookworm-${slipway.instance}`;
  const fresh = new SlipwayUnderTest(inject('redisUrl'), { SLIPWAY_STACK_IMAGE: `slipway/stack:${tag}` });
  const ours = async () =>
    (await docker.listImages({ filters: { reference: [`slipway/stack:${tag}*`] } })).flatMap((i) => i.RepoTags ?? []);

  beforeAll(async () => {
    for (const kind of ['', '-build', '-run'])
      await docker.getImage(`slipway/stack:bookworm${kind}`).tag({ repo: 'slipway/stack', tag: `${tag}${kind}` });
    await fresh.start();
  });
  afterAll(async () => {
    await fresh.destroy();
    for (const image of await ours()) await docker.getImage(image).remove();
  });

  test('makes none of its images: a Node app builds without Go or Ruby', async () => {
    const pushed = await fresh.push(await fresh.appRepo('node-app', 'nodeapp'));
    expect(pushed.code, pushed.output).toBe(0);
    expect(pushed.output).not.toContain('Preparing');
    const made = await ours();
    expect(made.filter((image) => /-(go|ruby)$/.test(image))).toEqual([]);
    expect(made).toContain(`slipway/stack:${tag}-build`);
  });
});
