import { afterAll, expect, test } from 'vitest';
import { listCommands } from '../../src/commands/index.js';
import { runLine } from '../support/commands.js';
import { unitPlatform } from '../support/fakes.js';

// Every command of a service kind (postgres:*, redis:*, mariadb:* and its alias mysql:*) given
// no service name says so in Dokku's words, with the kind's own title, before it does anything.

const { platform, dispose } = unitPlatform({});
afterAll(() => dispose());

const TITLES: Record<string, string> = { postgres: 'Postgres', redis: 'Redis', mariadb: 'MariaDB', mysql: 'MariaDB' };
const serviceCommands = listCommands().filter(
  (c) => c.name.split(':')[0]! in TITLES && c.usage.split(' ')[0] === '<service>',
);

test('the service commands are found (each kind has its own)', () => {
  expect(new Set(serviceCommands.map((c) => c.name.split(':')[0]))).toEqual(new Set(Object.keys(TITLES)));
  expect(serviceCommands.length).toBeGreaterThan(4 * 15);
});

test.each(serviceCommands.map((c) => c.name))('%s with no service name asks for one', async (name) => {
  const done = await runLine(platform, [name]);
  expect(done.code).not.toBe(0);
  expect(done.stderr).toContain(`Please specify a name for the ${TITLES[name.split(':')[0]!]} service`);
});
