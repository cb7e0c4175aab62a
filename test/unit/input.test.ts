import { describe, expect, test } from 'vitest';
import { bindArgs, parseArgs, usageOf } from '../../src/commands/args.js';
import { tokenize } from '../../src/commands/tokenize.js';
import type { Command } from '../../src/commands/types.js';
import { isValidAppName, isValidDomain } from '../../src/core/names.js';
import { parseGitCommand } from '../../src/git/command.js';

describe('tokenize', () => {
  test.each([
    ['apps:create myapp', ['apps:create', 'myapp']],
    ['  config:set app  A=1\tB=2 ', ['config:set', 'app', 'A=1', 'B=2']],
    [`config:set app "K=with spaces"`, ['config:set', 'app', 'K=with spaces']],
    [`config:set app 'K=it"s'`, ['config:set', 'app', 'K=it"s']],
    ['config:set app K=a\\ b', ['config:set', 'app', 'K=a b']],
    [`x "a\\"b"`, ['x', 'a"b']],
    [`x "\\$HOME \\\`id\\\`"`, ['x', '$HOME `id`']],
    [`x "a\\nb"`, ['x', 'a\\nb']],
    [`x ''`, ['x', '']],
    ['apps:create $(reboot);id|cat', ['apps:create', '$(reboot);id|cat']],
  ])('%j', (line, words) => {
    expect(tokenize(line)).toEqual(words);
  });

  test('an unterminated quote is an error', () => {
    expect(() => tokenize(`apps:create "oops`)).toThrow('Unterminated quote');
  });
});

describe('app names', () => {
  test.each(['myapp', '1994testapp', 'my-app', 'my.app', 'a', 'a--b', 'x'.repeat(63)])('%j is valid', (name) => {
    expect(isValidAppName(name)).toBe(true);
  });
  test.each([
    '',
    'MyApp',
    'my_app',
    'my app',
    '-app',
    'app-',
    'app.',
    '.app',
    'a..b',
    'a.-b',
    'test:latest',
    'test/app',
    'test;id',
    'test$cmd',
    'x'.repeat(64),
    'app\n',
  ])('%j is invalid', (name) => {
    expect(isValidAppName(name)).toBe(false);
  });
});

describe('domains', () => {
  test.each(['myapp.example.com', 'localhost', '10.0.0.1.sslip.io', 'a-b.c'])('%j is valid', (domain) => {
    expect(isValidDomain(domain)).toBe(true);
  });
  test.each(['', 'a;b.com', 'a b.com', 'x.com\nserver {', '-a.com', 'a..com', 'A.COM', '*.com', 'a.com;'])(
    '%j is invalid',
    (domain) => {
      expect(isValidDomain(domain)).toBe(false);
    },
  );
});

describe('parseGitCommand', () => {
  test.each([
    [`git-receive-pack 'myapp'`, { service: 'git-receive-pack', app: 'myapp' }],
    [`git-receive-pack '/myapp'`, { service: 'git-receive-pack', app: 'myapp' }],
    [`git-receive-pack 'myapp.git'`, { service: 'git-receive-pack', app: 'myapp' }],
    [`git receive-pack '/my.app.git'`, { service: 'git-receive-pack', app: 'my.app' }],
    [`git-upload-pack '/myapp'`, { service: 'git-upload-pack', app: 'myapp' }],
  ])('%s', (command, expected) => {
    expect(parseGitCommand(command)).toEqual(expected);
  });

  test.each([
    `git-receive-pack '../etc'`,
    `git-receive-pack 'My_App'`,
    `git-receive-pack 'a'; rm -rf /`,
    `git-receive-pack myapp`,
    `git-receive-pack '/a/b'`,
  ])('refuses %s', (command) => {
    expect(parseGitCommand(command)).toBeUndefined();
  });
});

describe('parseArgs', () => {
  const command: Command = {
    name: 'x',
    summary: '',
    args: [],
    access: 'anyone',
    valueFlags: ['format'],
    booleanFlags: ['force'],
    run: async () => {},
  };

  test('splits positionals, value flags and boolean flags', () => {
    expect(parseArgs(command, ['app', '--force', '--format', 'json', 'more'])).toEqual({
      positional: ['app', 'more'],
      flags: { force: true, format: 'json' },
      lists: {},
    });
    expect(parseArgs(command, ['--format=json', '--', '--force'])).toEqual({
      positional: ['--force'],
      flags: { format: 'json' },
      lists: {},
    });
  });

  test('a raw command takes its own flags up to the app, and passes every word after it', () => {
    const raw: Command = { ...command, rawArgs: true, repeatableFlags: ['env'], shortFlags: { e: 'env' } };
    expect(parseArgs(raw, ['-e', 'A=1', '--env=B=2', '--force', 'app', 'ls', '--force', '-e', 'x'])).toEqual({
      positional: ['app', 'ls', '--force', '-e', 'x'],
      flags: { force: true },
      lists: { env: ['A=1', 'B=2'] },
    });
  });

  test.each([[['--nope']], [['--format']], [['--force=yes']]])('refuses %j', (words) => {
    expect(() => parseArgs(command, words)).toThrow();
  });
});

describe('declared arguments', () => {
  const rename: Command = {
    name: 'x:rename',
    summary: '',
    args: ['app', '<new-app>'],
    access: 'app',
    booleanFlags: ['force'],
    run: async () => {},
  };
  const scoped: Command = {
    name: 'x:get',
    summary: '',
    args: ['app', '<KEY>', '[more…]'],
    appOr: '--global',
    access: 'app',
    booleanFlags: ['global'],
    missing: { KEY: 'Give a key' },
    run: async () => {},
  };
  const noApps = { platform: { state: { apps: { get: () => undefined } } } } as never;

  test('usage text follows from the declaration', () => {
    expect(usageOf(rename)).toBe('<app> <new-app> [--force]');
    expect(usageOf(scoped)).toBe('<app>|--global <KEY> [more…]');
  });

  test('too many words, and a missing word, are errors naming it; --global stands in for the app', () => {
    const bind = (command: Command, words: string[]) => bindArgs(noApps, command, parseArgs(command, words));
    expect(() => bind(scoped, ['--global'])).toThrow('Give a key');
    expect(bind(scoped, ['--global', 'K', 'a', 'b'])).toMatchObject({
      app: undefined,
      named: { KEY: 'K', more: 'a b' },
      rest: ['a', 'b'],
    });
    expect(() => bind({ ...rename, args: [] }, ['extra'])).toThrow('Unexpected argument: extra');
    // The app is looked up: a name that is not there reads as Dokku's "does not exist".
    expect(() => bind(rename, ['ghost', 'new'])).toThrow('App ghost does not exist');
  });
});
