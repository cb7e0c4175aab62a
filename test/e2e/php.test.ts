import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { run, SlipwayUnderTest } from '../support/slipway.js';

// The PHP images are made from the stack's the first time an app needs them (a few
// minutes), then shared by every app and test run; a new app's first pushes install its
// dependencies (or, offline, try to).
const FIRST_BUILD_MS = 600_000;
const slipway = new SlipwayUnderTest(inject('redisUrl'));

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

/** What test/fixtures/php-app answers: mbstring's upper case, through php-fpm, its library from vendor/. */
const phpAppBody = (version: number) =>
  new RegExp(`^GRÜSSE AUS PHP on PHP 8\\.2\\.\\d+ \\(fpm-fcgi\\), slipway/greeting 1\\.0\\.0, v${version}\\n$`);

describe('PHP', () => {
  test(
    'composer installs the app’s dependencies, nginx and php-fpm serve its document root, and a warm push reuses vendor/',
    async () => {
      const repo = await slipway.appRepo('php-app', 'phpapp');
      const pushed = await slipway.push(repo);
      expect(pushed.code, pushed.output).toBe(0);
      expect(pushed.output).toContain('remote: -----> PHP app detected');
      expect(pushed.output).toMatch(/remote: -----> Using PHP 8\.2 \(composer\.json asks for \^8\.1\): php 8\.2\.\d+/);
      expect(pushed.output).toContain(
        'remote: -----> Document root: public/ (composer.json extra.heroku.document-root)',
      );
      expect(pushed.output).toMatch(/remote: -----> Installing the dependencies\s*\n/);
      expect(pushed.output).toContain('Default types for PHP -> web');
      expect((await slipway.get(slipway.appHost('phpapp'))).body).toMatch(phpAppBody(1));
      // Only the document root is served: a path to another of the app's files goes to index.php.
      expect((await slipway.get(slipway.appHost('phpapp'), '/composer.json')).body).toMatch(phpAppBody(1));

      await slipway.changeFile(repo, 'public/index.php', "const VERSION = '1';", "const VERSION = '2';");
      const again = await slipway.push(repo);
      expect(again.code, again.output).toBe(0);
      expect(again.output).toContain('-----> Restoring vendor/ from the build cache (composer.lock unchanged)');
      expect(again.output).toContain('Nothing to install, update or remove');
      expect((await slipway.get(slipway.appHost('phpapp'))).body).toMatch(phpAppBody(2));

      // Composer builds; only PHP, php-fpm and nginx run the app.
      const inside = await slipway.ssh(['run', 'phpapp', 'command -v composer || echo no composer here; php -m']);
      expect(inside.code, inside.output).toBe(0);
      expect(inside.stdout).toMatch(/^no composer here\n/);
      expect(inside.stdout).toContain('\nmbstring\n');
    },
    FIRST_BUILD_MS,
  );

  test.each([
    {
      what: 'a php requirement newer than this host’s PHP',
      change: ['"php": "^8.1"', '"php": "^8.3"'],
      error: "This app needs PHP ^8.3 (composer.json), and this host has PHP 8.2 (Debian's php8.2)",
    },
    {
      what: 'an extension this host’s PHP does not have',
      change: ['"ext-mbstring": "*"', '"ext-mbstring": "*", "ext-oci8": "*"'],
      error: "This app needs ext-oci8 (composer.json), which this host's PHP 8.2 does not have",
    },
  ])('$what fails the push, saying so, and the last release serves on', async ({ change, error }) => {
    const repo = await slipway.appRepo('php-app', 'phpapp');
    await slipway.changeFile(repo, 'composer.json', change[0]!, change[1]!);
    const pushed = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
    expect(pushed.code).not.toBe(0);
    expect(pushed.output).toContain(`remote:  !     ${error}`);
    expect((await slipway.get(slipway.appHost('phpapp'))).body).toMatch(phpAppBody(2));
  });

  test(
    'a committed vendor/ installs with no registry; without it, a Packagist that cannot be reached fails the push and the last release serves on',
    async () => {
      const repo = await slipway.appRepo('php-packagist', 'phppackagist');
      const pushed = await slipway.push(repo);
      expect(pushed.code, pushed.output).toBe(0);
      expect(pushed.output).toContain('remote: -----> Installing the dependencies into the committed vendor/');
      const served = 'info: packagist app (psr/log 1.1.4)\n';
      expect((await slipway.get(slipway.appHost('phppackagist'))).body).toBe(served);

      await run('git', ['rm', '-rq', 'vendor'], { cwd: repo });
      await slipway.commit(repo, 'no vendor/');
      const offline = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
      expect(offline.code).not.toBe(0);
      expect(offline.output).toMatch(/remote: -----> Installing the dependencies\s*\n/);
      expect(offline.output).toContain(
        'remote:  !     composer install failed: when this host cannot reach the package repository, commit vendor/',
      );
      expect((await slipway.get(slipway.appHost('phppackagist'))).body).toBe(served);
    },
    FIRST_BUILD_MS,
  );
});
