import { spawn } from 'node:child_process';
import ssh2, { type AuthContext, type Connection, type ServerChannel } from 'ssh2';
import { createApp } from '../apps/index.js';
import { errorMessage } from '../core/errors.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import { format, type Output } from '../core/output.js';
import { runCommand, tokenize, type Caller } from '../commands/index.js';
import { isGitCommand, parseGitCommand, type GitCommand } from '../git/command.js';
import { HOOK_ENV } from '../git/push-protocol.js';
import { ensureRepo } from '../git/repos.js';
import type { Platform } from '../platform.js';
import { terminalType, type Terminal } from '../model/terminal.js';
import { loadOrCreateHostKey } from './host-key.js';
import { requireAppAccess } from '../access/index.js';
import { fingerprint } from '../access/keys.js';

const { Server, utils } = ssh2;

/**
 * The SSH front door: public-key auth against the stored keys (the signature is verified,
 * not just the key matched), then one exec per session, either git or a Slipway command.
 * No shell, no pty.
 */
export function startSshServer(platform: Platform, options: { hookToken: string }): Promise<InstanceType<typeof Server>> {
  const { settings } = platform;
  const pushes = new KeyedMutex();
  const server = new Server({ hostKeys: [loadOrCreateHostKey(settings.hostKeyPath)] }, (client: Connection) => {
    let caller: Caller | undefined;
    client.on('error', () => {}); // a dropped client must never take the daemon down
    client.on('authentication', (ctx) => {
      caller = authenticate(platform, ctx) ?? caller;
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        let terminal: SessionTerminal | undefined;
        session.on('env', (accept) => accept?.());
        // A pty is only ever a size and a type: `enter` hands it to a process in a container.
        session.on('pty', (accept, _reject, info) => {
          terminal = new SessionTerminal(terminalType(info.term), info.cols, info.rows);
          accept?.();
        });
        session.on('window-change', (accept, _reject, info) => {
          terminal?.resize(info.cols, info.rows);
          accept?.();
        });
        session.on('shell', (accept) => {
          const channel = accept();
          void runAndExit(channel, () => runCommand(commandContext(platform, caller!, channel, terminal), ['help']));
        });
        session.once('exec', (accept, _reject, info) => {
          const channel = accept();
          if (isGitCommand(info.command)) {
            const git = parseGitCommand(info.command);
            if (!git) return finish(channel, 1, ` !     Invalid git command or app name: ${info.command}`);
            // Whole pushes to one app go one at a time: a receive-pack that started during another
            // push would advertise stale refs and fail its ref update after its deploy went live.
            void pushes.run(
              git.app,
              () => serveGit(platform, channel, git, caller!, options.hookToken),
              () => channel.stderr.write(format.step(`Waiting for the push in progress to ${git.app} to finish...`) + '\n'),
            );
          } else {
            void runAndExit(channel, async () => runCommand(commandContext(platform, caller!, channel, terminal), tokenize(info.command)));
          }
        });
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.sshPort, settings.sshHost, () => resolve(server));
  });
}

/** Two-phase publickey auth: a query gets PK_OK, a signed request must verify. */
function authenticate(platform: Platform, ctx: AuthContext): Caller | undefined {
  if (ctx.method !== 'publickey') return void ctx.reject(['publickey']);
  const record = platform.state.keys.byFingerprint(fingerprint(ctx.key.data));
  const stored = record && utils.parseKey(record.publicKey);
  if (!record || !stored || stored instanceof Error || Array.isArray(stored) || stored.type !== ctx.key.algo) {
    return void ctx.reject(['publickey']);
  }
  if (!ctx.signature) return void ctx.accept();
  if (ctx.blob && stored.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) {
    ctx.accept();
    return { name: record.name, isAdmin: record.isAdmin };
  }
  ctx.reject(['publickey']);
  return undefined;
}

/**
 * The client's pty: its size follows window-change requests. A client that is not at a
 * terminal itself (ssh -tt in a script) says 0x0, which makes programs such as psql page
 * every line: that reads as 80x24.
 */
class SessionTerminal implements Terminal {
  private readonly listeners: ((size: { cols: number; rows: number }) => void)[] = [];
  cols = 80;
  rows = 24;
  constructor(
    readonly term: string,
    cols: number,
    rows: number,
  ) {
    this.setSize(cols, rows);
  }
  onResize(listener: (size: { cols: number; rows: number }) => void): void {
    this.listeners.push(listener);
  }
  resize(cols: number, rows: number): void {
    this.setSize(cols, rows);
    this.listeners.forEach((listener) => listener({ cols: this.cols, rows: this.rows }));
  }
  private setSize(cols: number, rows: number): void {
    this.cols = cols || 80;
    this.rows = rows || 24;
  }
}

/** Lines to the client; a client with a pty put its terminal in raw mode and needs \r\n. */
function channelOutput(channel: ServerChannel, terminal: Terminal | undefined): Output {
  const end = terminal ? '\r\n' : '\n';
  return {
    out: (line) => void channel.write(line + end),
    err: (line) => void channel.stderr.write(line + end),
  };
}

function commandContext(platform: Platform, caller: Caller, channel: ServerChannel, terminal: Terminal | undefined) {
  const controller = new AbortController();
  channel.once('close', () => controller.abort());
  return {
    platform,
    caller,
    terminal,
    out: channelOutput(channel, terminal),
    stdin: channel,
    stdout: channel,
    stderr: channel.stderr,
    local: false,
    signal: controller.signal,
  };
}

async function runAndExit(channel: ServerChannel, run: () => Promise<number>): Promise<void> {
  let code = 1;
  try {
    code = await run();
  } catch (error) {
    channel.stderr.write(format.error(`Internal error: ${errorMessage(error)}`) + '\n');
  }
  finish(channel, code);
}

/** exit-status must go before end(): end() closes the channel and a later status is dropped. */
function finish(channel: ServerChannel, code: number, message?: string): void {
  if (message) channel.stderr.write(message + '\n');
  channel.exit(code);
  channel.end();
}

/**
 * Hands the channel to system git; a push to a new app creates it, like Dokku.
 * Resolves when git has exited, so the caller can serialize pushes.
 */
async function serveGit(
  platform: Platform,
  channel: ServerChannel,
  git: GitCommand,
  caller: Caller,
  hookToken: string,
): Promise<void> {
  const { settings, state } = platform;
  try {
    requireAppAccess(state, caller, git.app, git.service === 'git-upload-pack' ? 'fetch from' : 'push to');
    let app = state.apps.get(git.app);
    if (!app) {
      if (git.service === 'git-upload-pack') return finish(channel, 1, format.error(`App ${git.app} does not exist`));
      app = await createApp(platform, git.app);
    }
    const repo = await ensureRepo(settings.reposDir, app.name);
    const child = spawn(git.service, [repo], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        [HOOK_ENV.socket]: settings.hookSocket,
        [HOOK_ENV.token]: hookToken,
        [HOOK_ENV.app]: app.name,
        [HOOK_ENV.user]: caller.name,
        [HOOK_ENV.branch]: app.deployBranch,
        [HOOK_ENV.buildsDir]: settings.buildsDir,
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
