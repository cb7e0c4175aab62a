import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { CLI, makeKey, run, SlipwayUnderTest } from '../support/slipway.js';

/**
 * `slipway …` on the host while the daemon runs: the daemon runs the command (the CLI loads
 * almost nothing), with the same output, exit codes, stdin and relative file names as when
 * the CLI runs it itself.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const host = (args: string[], options: { input?: string; cwd?: string } = {}) => run(process.execPath, [CLI, ...args], { env: slipway.env, ...options });

beforeAll(() => slipway.start());
afterAll(() => slipway.destroy());

test('commands run by the daemon answer as the CLI would, exit codes and errors included', async () => {
  expect((await host(['apps:create', 'hosted'])).code).toBe(0);
  const listed = await host(['apps:list']);
  expect([listed.code, listed.stdout]).toEqual([0, '=====> My Apps\nhosted\n']);
  const bad = await host(['apps:create', 'Not_Valid']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/^ ! {5}/m);
  const unknown = await host(['no-such-command']);
  expect(unknown.code).not.toBe(0);
});

test('stdin reaches the command, and file names are read where the CLI was run', async () => {
  const refused = await host(['apps:destroy', 'hosted'], { input: 'something else\n' });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('Confirmation did not match hosted');
  const key = await makeKey(slipway.dir, 'relative');
  const added = await host(['ssh-keys:add', 'relative', path.basename(key.publicPath)], { cwd: path.dirname(key.publicPath) });
  expect(added.code, added.output).toBe(0);
  expect((await host(['ssh-keys:list'])).stdout).toContain('relative');
  const destroyed = await host(['apps:destroy', 'hosted'], { input: 'hosted\n' });
  expect(destroyed.code, destroyed.output).toBe(0);
  expect((await host(['apps:list'])).stdout).not.toContain('hosted');
});

test('a CLI that goes away mid-command stops it there, and the daemon serves on', async () => {
  expect((await host(['apps:create', 'kept'])).code).toBe(0);
  // Waiting for the typed confirmation when the operator presses Ctrl-C.
  const waiting = spawn(process.execPath, [CLI, 'apps:destroy', 'kept'], { env: slipway.env, stdio: ['pipe', 'pipe', 'pipe'] });
  await new Promise((resolve) => waiting.stdout.once('data', resolve));
  waiting.kill('SIGINT');
  await new Promise((resolve) => waiting.once('exit', resolve));
  const listed = await host(['apps:list']);
  expect([listed.code, listed.stdout]).toEqual([0, '=====> My Apps\nkept\n']);
  expect((await host(['apps:destroy', 'kept', '--force'])).code).toBe(0);
});

test('with the daemon stopped, or killed and its socket left behind, the CLI runs the command itself', async () => {
  await slipway.stopDaemon();
  try {
    expect((await host(['apps:create', 'offline'])).code).toBe(0);
    const listed = await host(['apps:list']);
    expect([listed.code, listed.stdout]).toEqual([0, '=====> My Apps\noffline\n']);
  } finally {
    await slipway.startDaemon();
  }
  await slipway.killDaemon();
  try {
    expect(fs.existsSync(path.join(slipway.dir, 'data', 'run', 'cli.sock'))).toBe(true);
    const listed = await host(['apps:list']);
    expect([listed.code, listed.stdout]).toEqual([0, '=====> My Apps\noffline\n']);
  } finally {
    await slipway.startDaemon();
  }
});
