import fs from 'node:fs';
import path from 'node:path';
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

/**
 * Changes the greeting of a fixture app's server.js (dockerfile-app and its kin: `const
 * GREETING = '…'`), so that a push builds one changed layer and serves the new words.
 */
export function setGreeting(repo: string, greeting: string): void {
  const file = path.join(repo, 'server.js');
  fs.writeFileSync(
    file,
    fs.readFileSync(file, 'utf8').replace(/const GREETING = '.*';/, `const GREETING = '${greeting}';`),
  );
}

/** setGreeting, committed with the greeting as its message. */
export async function commitGreeting(slipway: SlipwayUnderTest, repo: string, greeting: string): Promise<void> {
  setGreeting(repo, greeting);
  await slipway.commit(repo, greeting);
}

/**
 * Pushes (`args` as for `slipway.push`), which must succeed, and waits until the app's
 * hostname serves `marker`; the seconds from the push's start (a bench's figure).
 */
export async function pushUntilServed(
  slipway: SlipwayUnderTest,
  repo: string,
  app: string,
  marker: string,
  args?: string[],
): Promise<number> {
  const started = performance.now();
  await pushOrThrow(slipway, repo, args ? { args } : undefined);
  while (!(await slipway.get(slipway.appHost(app)).catch(() => ({ body: '' }))).body.includes(marker))
    await new Promise((resolve) => setTimeout(resolve, 5));
  return (performance.now() - started) / 1000;
}
