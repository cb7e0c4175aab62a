import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkLanguageVersion, detectBuildpack, languageNamed } from '../../src/builder/languages.js';
import { satisfiesComposerConstraint } from '../../src/builder/php.js';

const php = languageNamed('php');
const composerJson = (require: Record<string, string>) => JSON.stringify({ name: 'a/b', require });

describe('PHP apps', () => {
  test('are detected by composer.json or index.php, before the static buildpack’s index.html and after Node.js', () => {
    expect(detectBuildpack(undefined, ['composer.json'])?.name).toBe('php');
    expect(detectBuildpack(undefined, ['index.html', 'index.php'])?.name).toBe('php');
    expect(detectBuildpack(undefined, ['composer.json', 'go.mod'])?.name).toBe('php');
    expect(detectBuildpack(undefined, ['composer.json', 'package.json'])?.name).toBe('nodejs');
  });

  test('build with composer and run with nginx and php-fpm, and the run image has no composer', () => {
    expect(php.images.build).toEqual(expect.arrayContaining(['php8.2-cli', 'composer', 'php8.2-mbstring']));
    expect(php.images.run).toEqual(expect.arrayContaining(['php8.2-fpm', 'nginx', 'php8.2-mbstring']));
    expect(php.images.run).not.toContain('composer');
    execFileSync('bash', ['-n', path.resolve(import.meta.dirname, '../../buildpacks/php/bin/heroku-php-nginx')]);
  });
});

describe('composer.json’s requirements against the stack’s PHP 8.2', () => {
  test('the php constraint must allow a PHP 8.2 release', () => {
    expect(checkLanguageVersion(php, {})).toBe('PHP 8.2 (no composer.json)');
    expect(checkLanguageVersion(php, { 'composer.json': '{"name": "a/b"}' })).toBe(
      'PHP 8.2 (composer.json names no php version)',
    );
    expect(checkLanguageVersion(php, { 'composer.json': composerJson({ php: '^8.1' }) })).toBe(
      'PHP 8.2 (composer.json asks for ^8.1)',
    );
    expect(checkLanguageVersion(php, { 'composer.json': composerJson({ php: '^7.4 || ^8.0' }) })).toBe(
      'PHP 8.2 (composer.json asks for ^7.4 || ^8.0)',
    );
    expect(() => checkLanguageVersion(php, { 'composer.json': composerJson({ php: '^8.3' }) })).toThrow(
      "This app needs PHP ^8.3 (composer.json), and this host has PHP 8.2 (Debian's php8.2): change composer.json's php requirement or build from a Dockerfile",
    );
    expect(() => checkLanguageVersion(php, { 'composer.json': composerJson({ php: '~7.4.0' }) })).toThrow(
      'This app needs PHP ~7.4.0 (composer.json), and this host has PHP 8.2',
    );
  });

  test('every ext-* must be an extension this host’s PHP has', () => {
    expect(
      checkLanguageVersion(php, {
        'composer.json': composerJson({ php: '>=8.0', 'ext-mbstring': '*', 'ext-PDO_pgsql': '*', 'ext-json': '*' }),
      }),
    ).toBe('PHP 8.2 (composer.json asks for >=8.0)');
    expect(() =>
      checkLanguageVersion(php, { 'composer.json': composerJson({ 'ext-mbstring': '*', 'ext-oci8': '*' }) }),
    ).toThrow(
      /^This app needs ext-oci8 \(composer\.json\), which this host's PHP 8.2 does not have: it has .*mbstring/,
    );
  });

  test('a composer.json that is not JSON, or a constraint that is not Composer’s, is a clear error', () => {
    expect(() => checkLanguageVersion(php, { 'composer.json': '{"require": ' })).toThrow('Invalid composer.json');
    expect(() => checkLanguageVersion(php, { 'composer.json': composerJson({ php: 'eight' }) })).toThrow(
      'Invalid PHP version constraint in composer.json: eight',
    );
  });

  test('Composer’s constraint syntax', () => {
    const cases: [string, boolean][] = [
      ['*', true],
      ['8.2.7', true],
      ['8.2', false], // exactly 8.2.0
      ['8.2.*', true],
      ['8.*', true],
      ['7.*', false],
      ['^8.1', true],
      ['^8.2.8', false],
      ['^7.4', false],
      ['~8.1', true],
      ['~8.1.0', false],
      ['~8.2.0', true],
      ['>=8.1 <8.3', true],
      ['>=8.1,<8.2', false],
      ['>= 8.0, < 9.0', true],
      ['^7.3|^8.0', true],
      ['^7.3 || ^8.3', false],
      ['8.0 - 8.2', true],
      ['8.0 - 8.1.99', false],
      ['!=8.2.7', false],
      ['^8.0@stable', true],
      ['v8.2.7', true],
    ];
    expect(cases.map(([constraint]) => [constraint, satisfiesComposerConstraint('8.2.7', constraint)])).toEqual(cases);
  });
});
