import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { SlipwayUnderTest } from '../support/slipway.js';

/**
 * A Rails app (Rails 6.1 from Debian's packaged gems, in the fixture's vendor/cache) built by
 * the Ruby buildpack: assets precompiled, RAILS_ENV production, `rails server` as the default
 * web process, and its Procfile's release phase (`rails db:migrate`) run against a linked
 * Postgres and a linked MariaDB before the release serves a page that reads the migrated table.
 */
const FIRST_BUILD_MS = 600_000;
const slipway = new SlipwayUnderTest(inject('redisUrl'));

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

describe('a Rails app', () => {
  test.each([
    { service: 'postgres', app: 'railspg', adapter: 'PostgreSQL', url: /^postgres:\/\// },
    { service: 'mariadb', app: 'railsmaria', adapter: 'Mysql2', url: /^mysql:\/\// },
  ])(
    'precompiles its assets, migrates the linked $service in the release phase, and serves the migrated table',
    async ({ service, app, adapter, url }) => {
      for (const command of [
        ['apps:create', app],
        [`${service}:create`, `${app}db`],
        [`${service}:link`, `${app}db`, app],
      ]) {
        const done = await slipway.ssh(command);
        expect(done.code, done.output).toBe(0);
      }
      expect((await slipway.ssh(['config:get', app, 'DATABASE_URL'])).stdout).toMatch(url);

      const pushed = await slipway.push(await slipway.appRepo('rails-app', app));
      expect(pushed.code, pushed.output).toBe(0);
      expect(pushed.output).toContain('remote: -----> Ruby app detected');
      expect(pushed.output).toContain('remote: -----> Installing the gems from vendor/cache');
      expect(pushed.output).toContain('remote: -----> Precompiling assets');
      expect(pushed.output).toMatch(/Writing \/app\/public\/assets\/application-[0-9a-f]{64}\.css/);
      expect(pushed.output).toContain('Default types for Ruby -> web');
      expect(pushed.output).toContain('CreateNotes: migrated');

      const page = await slipway.get(slipway.appHost(app));
      expect(page.body).toMatch(
        new RegExp(
          `^rails 6\\.1\\.7\\.10 \\(production\\) on ${adapter}: migrated; /assets/application-[0-9a-f]{64}\\.css; v1\\n$`,
        ),
      );
      // The fingerprinted stylesheet the page links to is the precompiled one, served by Rails.
      const stylesheet = /(\/assets\/\S+\.css);/.exec(page.body)![1]!;
      const served = await slipway.get(slipway.appHost(app), stylesheet);
      expect(served.status).toBe(200);
      expect(served.body).toContain('font-family: sans-serif');
    },
    FIRST_BUILD_MS,
  );

  test(
    'the next release migrates again (nothing to do), keeps its secret_key_base, and serves the new code',
    async () => {
      const before = await slipway.ssh(['run', 'railspg', 'echo $SECRET_KEY_BASE']);
      expect(before.stdout.trim()).toMatch(/^[0-9a-f]{128}$/);
      const repo = await slipway.appRepo('rails-app', 'railspg');
      await slipway.changeFile(repo, 'app/controllers/notes_controller.rb', 'VERSION = 1', 'VERSION = 2');
      const pushed = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
      expect(pushed.code, pushed.output).toBe(0);
      expect(pushed.output).toContain('-----> Restoring the bundle from the build cache (Gemfile.lock unchanged)');
      expect(pushed.output).toContain('remote: -----> Precompiling assets');
      expect(pushed.output).not.toContain('CreateNotes: migrating');
      expect((await slipway.get(slipway.appHost('railspg'))).body).toMatch(/on PostgreSQL: migrated; .*; v2\n$/);
      expect((await slipway.ssh(['run', 'railspg', 'echo $SECRET_KEY_BASE'])).stdout).toBe(before.stdout);
    },
    FIRST_BUILD_MS,
  );
});

describe('a Ruby app needing a gem that is not in vendor/cache, where RubyGems cannot be reached', () => {
  test(
    'fails the push naming the gem and the gem source, and the last release serves on',
    async () => {
      const repo = await slipway.appRepo('ruby-app', 'rubyoffline');
      const first = await slipway.push(repo);
      expect(first.code, first.output).toBe(0);
      const served = 'ruby app on 3.1.2, rack 2.2.22, production, v1\n';
      expect((await slipway.get(slipway.appHost('rubyoffline'))).body).toBe(served);

      await slipway.changeFile(repo, 'Gemfile', 'gem "rack"', 'gem "dotenv", "~> 2.8"\ngem "rack"');
      await slipway.changeFile(repo, 'Gemfile.lock', '    rack (2.2.22)', '    dotenv (2.8.1)\n    rack (2.2.22)');
      await slipway.changeFile(repo, 'Gemfile.lock', '  rack (~> 2.2)', '  dotenv (~> 2.8)\n  rack (~> 2.2)');
      const pushed = await slipway.push(repo, { args: ['--force', 'deploy', 'main'] });
      expect(pushed.code).not.toBe(0);
      expect(pushed.output).toContain(
        'remote: -----> Installing the gems from vendor/cache, and from https://rubygems.org/ those it lacks: dotenv 2.8.1',
      );
      expect(pushed.output).toContain(
        'remote:  !     bundle install failed: dotenv 2.8.1 not in vendor/cache, and not installed from https://rubygems.org/: when this host cannot reach it, vendor them (bundle cache) and commit vendor/cache',
      );
      expect((await slipway.get(slipway.appHost('rubyoffline'))).body).toBe(served);
    },
    FIRST_BUILD_MS,
  );
});
