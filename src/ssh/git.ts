import { spawn } from 'node:child_process';
import type { ServerChannel } from 'ssh2';
import { requireAppAccess, type Caller } from '../access/index.js';
import { autocreates, createApp, type AppLifecycle } from '../apps/index.js';
import { errorMessage } from '../core/errors.js';
import { format } from '../core/output.js';
import type { GitCommand } from '../git/command.js';
import { HOOK_ENV } from '../git/push-protocol.js';
import { ensureRepo } from '../git/repos.js';
import { deployBranchOf, keepsGitDir } from '../git/settings.js';
import type { Platform } from '../platform.js';
import { finish } from './channel.js';

// git over SSH: the channel of a `git-receive-pack`/`git-upload-pack` exec, handed to system
// git once the key may use the app. The hook git runs reaches the daemon through its socket.

const gitAction = (git: GitCommand) => (git.service === 'git-upload-pack' ? 'fetch from' : 'push to');

/** Why this key may not use the app for this git command, if it may not. */
export function accessDenied(platform: Platform, caller: Caller, git: GitCommand): string | undefined {
  try {
    requireAppAccess(platform.state, caller, git.app, gitAction(git));
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

/**
 * Hands the channel to system git; a push to a new app creates it, like Dokku.
 * Resolves when git has exited, so the caller can serialize pushes.
 */
export async function serveGit(
  platform: Platform,
  channel: ServerChannel,
  git: GitCommand,
  caller: Caller,
  options: { hookToken: string; lifecycle: AppLifecycle[] },
): Promise<void> {
  const { settings, state } = platform;
  try {
    requireAppAccess(state, caller, git.app, gitAction(git));
    let app = state.apps.get(git.app);
    if (!app) {
      if (git.service === 'git-upload-pack') return finish(channel, 1, format.error(`App ${git.app} does not exist`));
      // Dokku's two lines, word for word but our CLI's name.
      if (!autocreates(platform))
        return finish(
          channel,
          1,
          [
            format.error('App auto-creation disabled.'),
            format.error(`Re-enable app auto-creation or create an app with 'slipway apps:create ${git.app}'`),
          ].join('\n'),
        );
      app = await createApp(platform, git.app, options.lifecycle);
    }
    const repo = await ensureRepo(settings.reposDir, app.name);
    const child = spawn(git.service, [repo], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        [HOOK_ENV.socket]: settings.hookSocket,
        [HOOK_ENV.token]: options.hookToken,
        [HOOK_ENV.app]: app.name,
        [HOOK_ENV.user]: caller.name,
        [HOOK_ENV.branch]: deployBranchOf(platform, app.name),
        [HOOK_ENV.buildsDir]: settings.buildsDir,
        ...(keepsGitDir(platform, app.name) ? { [HOOK_ENV.keepGitDir]: 'true' } : {}),
      },
    });
    channel.pipe(child.stdin);
    child.stdout.pipe(channel, { end: false });
    child.stderr.pipe(channel.stderr, { end: false });
    channel.on('close', () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    });
    await new Promise<void>((resolve) => {
      child.on('error', (error) => {
        finish(channel, 128, format.error(`git failed to start: ${error.message}`));
        resolve();
      });
      child.on('close', (code) => {
        finish(channel, code ?? 128);
        resolve();
      });
    });
  } catch (error) {
    finish(channel, 1, format.error(errorMessage(error)));
  }
}
