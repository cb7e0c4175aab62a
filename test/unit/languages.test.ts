import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  BUILDPACKS,
  checkLanguageVersion,
  detectBuildpack,
  languageNamed,
  LANGUAGES,
  satisfiesGemRequirement,
} from '../../src/builder/languages.js';

const buildpacksDir = path.resolve(import.meta.dirname, '../../buildpacks');

describe('the buildpack table', () => {
  test('is the order slipway-build tries, and each bin/detect passes on its markers and only on them', () => {
    const script = fs.readFileSync(path.join(buildpacksDir, 'bin/slipway-build'), 'utf8');
    expect(/^order=\(([^)]*)\)$/m.exec(script)?.[1]?.split(' ')).toEqual(BUILDPACKS.map((pack) => pack.name));
    const allMarkers = BUILDPACKS.flatMap((pack) => pack.markers);
    for (const pack of BUILDPACKS) {
      for (const marker of allMarkers) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'detect-'));
        fs.writeFileSync(path.join(dir, marker), '');
        const detect = spawnSync(path.join(buildpacksDir, pack.name, 'bin/detect'), [dir], { encoding: 'utf8' });
        fs.rmSync(dir, { recursive: true });
        const ours = (pack.markers as readonly string[]).includes(marker);
        expect({ pack: pack.name, marker, passes: detect.status === 0 }).toEqual({
          pack: pack.name,
          marker,
          passes: ours,
        });
        if (ours) expect(detect.stdout.trim()).toBe(pack.title);
      }
    }
  });

  test('picks the named buildpack, else the first whose marker is at the top (Ruby before Node.js, as Heroku)', () => {
    expect(detectBuildpack(undefined, ['package.json', 'Gemfile'])?.name).toBe('ruby');
    expect(detectBuildpack(undefined, ['index.html', 'go.mod'])?.name).toBe('go');
    expect(detectBuildpack(undefined, ['package.json'])?.name).toBe('nodejs');
    expect(detectBuildpack('static', ['go.mod', 'index.html'])?.name).toBe('static');
    expect(detectBuildpack(undefined, ['README.md'])).toBeUndefined();
  });

  test('only Go, Java, PHP and Ruby have images of their own, and their run images get no compilers or headers', () => {
    expect(LANGUAGES.map((l) => l.name)).toEqual(['ruby', 'java', 'php', 'go']);
    for (const language of LANGUAGES) {
      expect(
        language.images.run.filter((name) => /-dev$|-jdk|^(gcc|g\+\+|make|build-essential|golang|maven)/.test(name)),
      ).toEqual([]);
    }
    expect(() => languageNamed('cobol')).toThrow(
      'Unknown language cobol: the languages with images of their own are ruby, java, php, go',
    );
  });

  test('the buildpack scripts are valid bash', () => {
    for (const pack of BUILDPACKS) {
      for (const script of ['detect', 'compile', 'release'])
        execFileSync('bash', ['-n', path.join(buildpacksDir, pack.name, 'bin', script)]);
    }
  });
});

describe('version checks against the stack’s Go and Ruby', () => {
  const go = languageNamed('go');
  const ruby = languageNamed('ruby');

  test('go.mod’s go directive is the oldest Go the module builds with', () => {
    expect(checkLanguageVersion(go, { 'go.mod': 'module example.com/a\n\ngo 1.18\n' })).toBe(
      'Go 1.19.8 (go.mod asks for go 1.18)',
    );
    expect(checkLanguageVersion(go, { 'go.mod': 'module a\ngo 1.19.8 // pinned\n' })).toBe(
      'Go 1.19.8 (go.mod asks for go 1.19.8)',
    );
    expect(checkLanguageVersion(go, { 'go.mod': 'module a\n' })).toBe('Go 1.19.8 (go.mod names no go version)');
    expect(() => checkLanguageVersion(go, { 'go.mod': 'module a\ngo 1.21.0\ntoolchain go1.22.1\n' })).toThrow(
      "This app needs Go 1.21.0 or newer (go.mod), and this host has Go 1.19.8 (Debian's)",
    );
    expect(() => checkLanguageVersion(go, { 'go.mod': 'go 1.20rc1\n' })).toThrow(
      'Invalid go directive in go.mod: 1.20rc1',
    );
  });

  test('the Gemfile’s ruby line is a requirement; .ruby-version must match the minor version', () => {
    expect(checkLanguageVersion(ruby, {})).toBe('Ruby 3.1.2');
    expect(checkLanguageVersion(ruby, { Gemfile: 'source "https://rubygems.org"\nruby "~> 3.1.0"\n' })).toBe(
      'Ruby 3.1.2 (Gemfile asks for ~> 3.1.0)',
    );
    expect(checkLanguageVersion(ruby, { Gemfile: "ruby('>= 2.7', '< 4')\n" })).toBe(
      'Ruby 3.1.2 (Gemfile asks for >= 2.7, < 4)',
    );
    expect(() => checkLanguageVersion(ruby, { Gemfile: "ruby '3.3.0'\n", '.ruby-version': '3.1.2' })).toThrow(
      "This app needs Ruby 3.3.0 (Gemfile), and this host has Ruby 3.1.2 (Debian's)",
    );
    expect(checkLanguageVersion(ruby, { '.ruby-version': 'ruby-3.1.4\n' })).toBe(
      'Ruby 3.1.2 (.ruby-version asks for 3.1.4)',
    );
    expect(() => checkLanguageVersion(ruby, { '.ruby-version': '3.2.2\n' })).toThrow(
      "This app needs Ruby 3.2.2 (.ruby-version), and this host has Ruby 3.1.2 (Debian's)",
    );
    expect(() => checkLanguageVersion(ruby, { '.ruby-version': 'jruby-9.4\n' })).toThrow(
      '.ruby-version names jruby-9.4: this host has only Ruby 3.1.2',
    );
  });

  test('RubyGems requirement operators', () => {
    const cases: [string, boolean][] = [
      ['3.1.2', true],
      ['= 3.1', false],
      ['~> 3.1', true],
      ['~> 3.1.0', true],
      ['~> 3.1.3', false],
      ['~> 3', true],
      ['~> 3.2', false],
      ['>= 3.0', true],
      ['> 3.1.2', false],
      ['< 3.2', true],
      ['<= 3.1.1', false],
      ['!= 3.1.2', false],
    ];
    expect(cases.map(([requirement]) => [requirement, satisfiesGemRequirement('3.1.2', requirement)])).toEqual(cases);
    expect(() => satisfiesGemRequirement('3.1.2', '~> three')).toThrow('Invalid Ruby version requirement: ~> three');
  });
});
