import fs from 'node:fs';
import { makeKey, type RunResult, type SlipwayUnderTest, type SshKey } from './slipway.js';

// The steps an e2e file's setup takes (pushes, SSH commands, users) that must succeed: a step that
// fails throws with what it printed, so the file's tests do not run against a half-made setup.

/** A test's setup push: `slipway.push`, which must succeed (else its output is the error). */
export async function pushOrThrow(
  slipway: SlipwayUnderTest,
  repo: string,
  options?: Parameters<SlipwayUnderTest['push']>[1],
): Promise<RunResult> {
  const pushed = await slipway.push(repo, options);
  if (pushed.code !== 0) throw new Error(pushed.output);
  return pushed;
}

/** Pushes a copy of the fixture as `app`: the repository (for later commits) and how the push went. */
export async function deployFixture(
  slipway: SlipwayUnderTest,
  fixture: string,
  app: string,
): Promise<{ repo: string; pushed: RunResult }> {
  const repo = await slipway.appRepo(fixture, app);
  const pushed = await slipway.push(repo);
  return { repo, pushed };
}

/** A command over SSH that must succeed: what it printed on stdout. */
export async function sshOrThrow(
  slipway: SlipwayUnderTest,
  command: string[],
  options: { key?: SshKey; input?: string } = {},
): Promise<string> {
  const done = await slipway.ssh(command, options);
  if (done.code !== 0) throw new Error(`${command.join(' ')}: ${done.output}`);
  return done.stdout;
}

/** A user for the test: a new SSH key, added with ssh-keys:add as `name` (which must succeed). */
export async function addUser(slipway: SlipwayUnderTest, name: string): Promise<SshKey> {
  const key = await makeKey(slipway.dir, name);
  await sshOrThrow(slipway, ['ssh-keys:add', name], { input: fs.readFileSync(key.publicPath, 'utf8') });
  return key;
}

/** A test's setup commands over SSH, one after another, each of which must succeed. */
export async function sshEachOrThrow(slipway: SlipwayUnderTest, commands: string[][]): Promise<void> {
  for (const command of commands) await sshOrThrow(slipway, command);
}

/** Creates `app`, which knows its name (config WHO) from its first deploy on, and pushes dockerfile-app to it: the repository. */
export async function deployKnowingItsName(slipway: SlipwayUnderTest, app: string): Promise<string> {
  await sshEachOrThrow(slipway, [
    ['apps:create', app],
    ['config:set', '--no-restart', app, `WHO=${app}`],
  ]);
  const repo = await slipway.appRepo('dockerfile-app', app);
  await pushOrThrow(slipway, repo);
  return repo;
}
