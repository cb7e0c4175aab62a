import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { FRAME, FrameReader } from '../../src/core/host-commands.js';
import { CLI, makeKey, run, SlipwayUnderTest } from '../support/slipway.js';

/**
 * `slipway …` on the host while the daemon runs: the daemon runs the command (the CLI loads
 * almost nothing), with the same output, exit codes, stdin and relative file names as when
 * the CLI runs it itself.
 */
const slipway = new SlipwayUnderTest(inject('redisUrl'));
const host = (args: string[], options: { input?: string; cwd?: string } = {}) =>
  run(process.execPath, [CLI, ...args], { env: slipway.env, ...options });

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
  const added = await host(['ssh-keys:add', 'relative', path.basename(key.publicPath)], {
    cwd: path.dirname(key.publicPath),
  });
  expect(added.code, added.output).toBe(0);
  expect((await host(['ssh-keys:list'])).stdout).toContain('relative');
  const destroyed = await host(['apps:destroy', 'hosted'], { input: 'hosted\n' });
  expect(destroyed.code, destroyed.output).toBe(0);
  expect((await host(['apps:list'])).stdout).not.toContain('hosted');
});

test('a CLI that goes away mid-command stops it there, and the daemon serves on', async () => {
  expect((await host(['apps:create', 'kept'])).code).toBe(0);
  // Waiting for the typed confirmation when the operator presses Ctrl-C.
  const waiting = spawn(process.execPath, [CLI, 'apps:destroy', 'kept'], {
    env: slipway.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
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

test('a client announcing a frame over the bound is told so and cut off, and the daemon serves on', async () => {
  expect((await host(['apps:create', 'framed'])).code).toBe(0);
  const socket = net.connect(path.join(slipway.dir, 'data', 'run', 'cli.sock'));
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => {});
  const closed = new Promise((resolve) => socket.once('close', resolve));
  // A command that waits for its stdin (the confirmation), then a 48 MiB stdin frame's header alone.
  socket.write(JSON.stringify({ argv: ['apps:destroy', 'framed'], cwd: '/' }) + '\n');
  const header = Buffer.alloc(5);
  header.writeUInt8(FRAME.stdin, 0);
  header.writeUInt32BE(48 * 1024 * 1024, 1);
  socket.write(header);
  await closed;
  const frames: [number, string][] = [];
  new FrameReader((kind, payload) => frames.push([kind, payload.toString()])).push(Buffer.concat(received));
  expect(
    frames.some(
      ([kind, text]) => kind === FRAME.stderr && /^ ! {5}a frame of 50331648 bytes is over the bound/.test(text),
    ),
  ).toBe(true);
  const listed = await host(['apps:list']);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain('framed');
});

describe('settings saved by scripts/setup', () => {
  const ROOT = path.resolve(import.meta.dirname, '../..');
  const settingsFile = () => path.join(slipway.dir, 'slipway.env');
  /** scripts/settings as scripts/setup runs it, with only `set` in the environment (no SLIPWAY_* of the harness). */
  const save = (set: Record<string, string>) =>
    run(path.join(ROOT, 'scripts', 'settings'), ['save', settingsFile()], { env: { PATH: process.env.PATH, ...set } });

  test('a later run keeps what it does not set, changes what it sets, and an empty value goes back to the default', async () => {
    const first = await save({
      SLIPWAY_DOMAIN: 'first.example',
      SLIPWAY_HTTP_PORT: '8080',
      SLIPWAY_DATA_DIR: '/srv/slipway',
    });
    expect(first.code, first.output).toBe(0);
    const upgrade = await save({ SLIPWAY_HTTP_PORT: '8081' });
    expect(upgrade.code, upgrade.output).toBe(0);
    expect(upgrade.stdout).toContain('SLIPWAY_DOMAIN=first.example (saved)');
    expect(upgrade.stdout).toContain('SLIPWAY_HTTP_PORT=8081 (set now)');
    expect(fs.readFileSync(settingsFile(), 'utf8')).toBe(
      'SLIPWAY_DATA_DIR=/srv/slipway\nSLIPWAY_DOMAIN=first.example\nSLIPWAY_HTTP_PORT=8081\n',
    );
    expect((await save({ SLIPWAY_DOMAIN: '' })).code).toBe(0);
    expect(fs.readFileSync(settingsFile(), 'utf8')).toBe('SLIPWAY_DATA_DIR=/srv/slipway\nSLIPWAY_HTTP_PORT=8081\n');
  });

  test('a value the file cannot hold is refused and the saved settings stay as they were', async () => {
    const before = fs.readFileSync(settingsFile(), 'utf8');
    const refused = await save({ SLIPWAY_DOMAIN: 'a b', SLIPWAY_HTTP_PORT: '9' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^ ! {5}SLIPWAY_DOMAIN has a character/m);
    expect(fs.readFileSync(settingsFile(), 'utf8')).toBe(before);
  });

  test('a password in a URL is saved but not printed', async () => {
    const saved = await save({ SLIPWAY_REDIS_URL: 'redis://user:s3cret@127.0.0.1:6379' });
    expect(saved.stdout).toContain('SLIPWAY_REDIS_URL=redis://user:***@127.0.0.1:6379 (set now)');
    expect(saved.stdout).not.toContain('s3cret');
  });

  test('`slipway` on the host reaches the daemon of the saved data directory without any export', async () => {
    fs.writeFileSync(settingsFile(), `SLIPWAY_DATA_DIR=${path.join(slipway.dir, 'data')}\n`);
    expect((await host(['apps:create', 'from-settings'])).code).toBe(0);
    const env = { PATH: process.env.PATH, SLIPWAY_SETTINGS_FILE: settingsFile() };
    const listed = await run(path.join(ROOT, 'bin', 'slipway'), ['apps:list'], { env });
    expect(listed.code, listed.output).toBe(0);
    expect(listed.stdout).toContain('from-settings');
    expect(listed.stdout).toBe((await host(['apps:list'])).stdout);
  });
});
