import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { listCommands } from '../../src/commands/index.js';
import { makeKey, SlipwayUnderTest } from '../support/slipway.js';

/**
 * Every command, tried with every kind of bad input: each must answer with a ` !     `
 * message and a non-zero exit, never an internal error, and change nothing.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const app = 'victim';
const commands = listCommands();

/** Quoted for the host's POSIX-style splitting, so each word arrives as it is. */
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** Commands that are fine with no arguments at all (stack:build would build images). */
const NEED_NO_ARGS = new Set([
  'help',
  'version',
  'apps:list',
  'ssh-keys:list',
  'postgres:list',
  'redis:list',
  'mariadb:list',
  'mysql:list',
  // Slipway's own state: no app or service to name.
  'state:backups',
  'state:backup-deauth',
  'state:backup-unschedule',
  'state:backup-unset-encryption',
  'stack:build',
  'nginx:validate-config',
  'letsencrypt:list',
  // scheduler-swarm:init would make this engine a swarm manager.
  'scheduler-swarm:init',
  'nodes:list',
  'nodes:report',
  'nodes:join-command',
  'tokens:list',
  // dashboard:certs:generate would give the dashboard a certificate.
  'dashboard:report',
  'dashboard:certs:generate',
]);

const BAD_NAMES: [string, string][] = [
  ['path traversal', '../../etc/passwd'],
  ['shell metacharacters', "a;touch /tmp/slipway-pwned;'$(id)`id`|x"],
  ['a huge value', 'x'.repeat(20_000)],
  ['a newline', 'victim\nother'],
  ['upper case and spaces', 'My App'],
];

/** Commands whose first word is free text, not a name: a path or shell characters are a fine passphrase. */
const FREE_TEXT = new Set(['state:backup-set-encryption']);
const NOT_BAD_AS_TEXT = new Set(['path traversal', 'shell metacharacters']);

const cases: [string, string[]][] = commands.flatMap(({ name, usage, rawArgs }) => [
  // Reports with no app report on every app.
  ...(NEED_NO_ARGS.has(name) || usage.startsWith('[<app>]')
    ? []
    : [[`${name} with no arguments`, [name]] as [string, string[]]]),
  ...BAD_NAMES.filter(([kind]) => !(FREE_TEXT.has(name) && NOT_BAD_AS_TEXT.has(kind))).map(
    ([kind, value]): [string, string[]] => [`${name} with ${kind}`, [name, value]],
  ),
  // Commands that pass their words on (run, enter) give flags to the app's command instead.
  ...(rawArgs ? [] : [[`${name} with an unknown flag`, [name, app, '--no-such-flag']] as [string, string[]]]),
]);

/** Backup settings checked before the service is looked up, so each is told what is wrong with it. */
const BACKUP_CASES: [string, string[], string][] = [
  [
    'a schedule with a seconds field',
    ['postgres:backup-schedule', 'db', '* * * * * *', 'team-backups'],
    'Invalid schedule',
  ],
  ['a schedule that is no cron', ['redis:backup-schedule', 'db', 'every day', 'team-backups'], 'Invalid schedule'],
  ['a bucket name S3 refuses', ['postgres:backup-schedule', 'db', '0 3 * * *', 'Bad_Bucket'], 'Invalid bucket name'],
  ['an IP address as bucket', ['redis:backup-schedule', 'db', '0 3 * * *', '10.0.0.1'], 'Invalid bucket name'],
  [
    'an endpoint with credentials in it',
    ['postgres:backup-auth', 'db', 'key', 'secret', 'us-east-1', 's3v4', 'http://user:pw@127.0.0.1:9000/'],
    'Invalid endpoint URL',
  ],
  [
    'an endpoint that is no http(s)',
    ['redis:backup-auth', 'db', 'key', 'secret', 'us-east-1', 's3v4', 'file:///etc/passwd'],
    'Invalid endpoint URL',
  ],
  [
    'a signature version the SDK lacks',
    ['postgres:backup-auth', 'db', 'key', 'secret', 'us-east-1', 's3v2'],
    'Only signature version s3v4',
  ],
  ['a region with a path in it', ['postgres:backup-auth', 'db', 'key', 'secret', '../eu'], 'Invalid region'],
];

/** What an operator can see of the state: it must read the same after every bad command. */
async function snapshot(): Promise<string> {
  const parts = await Promise.all(
    [
      ['apps:list'],
      ['config:export', app],
      ['config:export', '--global'],
      ['report', app, '--format', 'json'],
      ['releases', app, '--format', 'json'],
      ['ssh-keys:list', '--format', 'json'],
      ['tokens:list', '--format', 'json'],
      ['acl:list', app],
      ['postgres:list', '--format', 'json'],
      ['redis:list', '--format', 'json'],
      ['domains:report', '--global'],
    ].map(async (command) => (await slipway.ssh(command.map(quote))).stdout),
  );
  return parts.join('\n');
}

let before: string;

beforeAll(async () => {
  await slipway.start();
  const dev = await makeKey(slipway.dir, 'dev');
  const setup = [
    ['apps:create', app],
    ['config:set', '--no-restart', app, 'KEEP=me'],
    ['domains:add', app, 'victim.example.com'],
    ['acl:add', app, 'dev'],
  ];
  for (const [command, input] of [
    [['ssh-keys:add', 'dev'], fs.readFileSync(dev.publicPath, 'utf8')] as const,
    ...setup.map((c) => [c, ''] as const),
  ]) {
    const result = await slipway.ssh([...command], { input });
    if (result.code !== 0) throw new Error(result.output);
  }
  before = await snapshot();
}, 120_000);
afterAll(() => slipway.destroy());

describe('bad input to every command', () => {
  test('the table covers every command', () => {
    expect(commands.length).toBeGreaterThan(80);
    expect(new Set(cases.map(([, [name]]) => name)).size).toBe(commands.length);
  });

  test.concurrent.each(cases)('%s is refused', async (_, words) => {
    const result = await slipway.ssh(words.map(quote));
    expect(result.code, result.output).not.toBe(0);
    expect(result.stderr, result.output).toMatch(/^ ! {5}\S/m);
    expect(result.output).not.toContain('Internal error');
  });

  test.concurrent.each(BACKUP_CASES)('backup settings: %s is refused', async (_, words, message) => {
    const result = await slipway.ssh(words.map(quote));
    expect(result.code, result.output).not.toBe(0);
    expect(result.stderr, result.output).toMatch(new RegExp(`^ ! {5}${message}`, 'm'));
  });

  test('nothing changed, and no shell ever ran', async () => {
    expect(await snapshot()).toBe(before);
    expect(fs.existsSync('/tmp/slipway-pwned')).toBe(false);
  });
});
