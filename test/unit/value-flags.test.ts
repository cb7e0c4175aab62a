import { expect, test } from 'vitest';
import { parseArgs, valueFlag } from '../../src/commands/args.js';
import { action } from '../../src/commands/types.js';
import { runLine } from '../support/commands.js';
import { eachTest, unitPlatform } from '../support/fakes.js';

// A declared value flag reaches its command as the string given (commands read it through
// valueFlag, with no cast), and is absent when not given.

const fixture = eachTest(() => unitPlatform({}));

test('valueFlag: the value given, in either spelling; undefined when absent or boolean', () => {
  const command = action({ name: 'x:y', summary: '', args: [], access: 'anyone', valueFlags: ['at'], run() {} });
  expect(valueFlag(parseArgs(command, ['--at', 'now']), 'at')).toBe('now');
  expect(valueFlag(parseArgs(command, ['--at=']), 'at')).toBe('');
  expect(valueFlag(parseArgs(command, []), 'at')).toBeUndefined();
  expect(valueFlag({ positional: [], flags: { quiet: true }, lists: {} }, 'quiet')).toBeUndefined();
});

test('commands get their value flags: tokens:create --expires, ssh-keys:remove --fingerprint', async () => {
  const made = await runLine(fixture.platform, ['tokens:create', 'ci', '--expires', '2h']);
  expect(made.code).toBe(0);
  expect(made.stdout).toMatch(/expires \d{4}-\d\d-\d\dT/);
  const removed = await runLine(fixture.platform, ['ssh-keys:remove', '--fingerprint', 'SHA256:none']);
  expect(removed.code).not.toBe(0);
  expect(removed.stderr).toContain('No key with fingerprint SHA256:none');
});
