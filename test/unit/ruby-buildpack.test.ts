import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { processTypesOf } from '../../src/builder/buildpack.js';
import { parseProcfile } from '../../src/builder/source.js';

const gemsSh = path.resolve(import.meta.dirname, '../../buildpacks/ruby/bin/gems.sh');

/** What the Ruby buildpack reads of an app's Gemfile.lock and vendor/cache (buildpacks/ruby/bin/gems.sh). */
describe('the gems an app locks, against its vendor/cache', () => {
  let app: string;
  beforeEach(() => {
    app = fs.mkdtempSync(path.join(os.tmpdir(), 'ruby-pack-'));
    fs.mkdirSync(path.join(app, 'vendor/cache'), { recursive: true });
    fs.writeFileSync(path.join(app, 'Gemfile'), 'source "https://gems.example.com"\n\ngem "rack"\n');
  });
  afterEach(() => fs.rmSync(app, { recursive: true, force: true }));

  const call = (fn: string) => execFileSync('bash', ['-c', `. "$0"; ${fn} "$1"`, gemsSh, app], { encoding: 'utf8' });
  const lock = (text: string) => fs.writeFileSync(path.join(app, 'Gemfile.lock'), text);
  const cache = (...gems: string[]) => {
    for (const gem of gems) fs.writeFileSync(path.join(app, 'vendor/cache', `${gem}.gem`), '');
  };

  const lockfile = `GIT
  remote: https://git.example.com/tool.git
  revision: 0123abcd
  specs:
    tool (0.1.0)

GEM
  remote: https://rubygems.org/
  specs:
    dotenv (2.8.1)
    nokogiri (1.13.10-x86_64-linux)
      racc (~> 1.4)
    racc (1.6.2)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  dotenv (~> 2.8)
  nokogiri
`;

  test('names the locked gems vendor/cache lacks, with their versions and platforms; not a git source’s', () => {
    lock(lockfile);
    expect(call('gems_not_cached')).toBe('dotenv 2.8.1\nnokogiri 1.13.10-x86_64-linux\nracc 1.6.2\n');
    cache('dotenv-2.8.1', 'nokogiri-1.13.10-x86_64-linux');
    expect(call('gems_not_cached')).toBe('racc 1.6.2\n');
    cache('racc-1.6.2');
    expect(call('gems_not_cached')).toBe('');
  });

  test('the gem sources: the lockfile’s, else the Gemfile’s', () => {
    expect(call('gem_sources')).toBe('https://gems.example.com\n');
    lock(lockfile);
    expect(call('gem_sources')).toBe('https://rubygems.org/\n');
    lock(lockfile.replace('  specs:\n    dotenv', '  remote: https://gems.example.com/\n  specs:\n    dotenv'));
    expect(call('gem_sources')).toBe('https://rubygems.org/, https://gems.example.com/\n');
    fs.writeFileSync(path.join(app, 'Gemfile'), 'gem "rack"\n');
    fs.rmSync(path.join(app, 'Gemfile.lock'));
    expect(call('gem_sources')).toBe('the gem source\n');
  });
});

describe('the process types of a buildpack app', () => {
  const rails = { web: 'bundle exec rails server -p ${PORT:-5000} -b 0.0.0.0' };

  test('a Procfile with only a release phase runs the buildpack’s default web, as on Heroku', () => {
    expect(processTypesOf(parseProcfile('release: bundle exec rails db:migrate\n'), rails)).toEqual({
      ...rails,
      release: 'bundle exec rails db:migrate',
    });
  });

  test('the Procfile’s own web wins; no Procfile runs the defaults', () => {
    expect(processTypesOf(parseProcfile('web: bundle exec puma\nworker: bundle exec sidekiq'), rails)).toEqual({
      web: 'bundle exec puma',
      worker: 'bundle exec sidekiq',
    });
    expect(processTypesOf(undefined, rails)).toEqual(rails);
    expect(processTypesOf(undefined, {})).toEqual({});
  });
});
