import net from 'node:net';
import ssh2, { type AuthContext, type Connection, type KexAlgorithm, type ServerChannel } from 'ssh2';
import { errorMessage } from '../core/errors.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import { format, type Output } from '../core/output.js';
import { lifecycle, runCommand, tokenize, type Caller } from '../commands/index.js';
import { isGitCommand, parseGitCommand } from '../git/command.js';
import type { Platform } from '../platform.js';
import { terminalType, type Terminal } from '../model/terminal.js';
import { finish } from './channel.js';
import { accessDenied, serveGit } from './git.js';
import { loadOrCreateHostKey } from './host-key.js';
import { fingerprint } from '../access/keys.js';

const { Server, utils } = ssh2;

/**
 * Key exchanges without the costliest groups (group exchange, 4096- and 8192-bit MODP): an
 * unauthenticated client must not be able to make the daemon do seconds of modular
 * arithmetic per connection. OpenSSH picks curve25519 first.
 */
const KEX: KexAlgorithm[] = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group14-sha256',
];

/**
 * The SSH front door: public-key auth against the stored keys (the signature is verified,
 * not just the key matched), then one exec per session, either git or a Slipway command.
 * No shell, no pty. Who the key is (its name, admin or not) is read again for every
 * channel, so a key removed or demoted stops working on connections already open.
 */
export function startSshServer(platform: Platform, options: { hookToken: string }): Promise<{ close(): void }> {
  const { settings } = platform;
  const pushes = new KeyedMutex();
  const logins = new LoginGate(settings.ssh);
  const server = new Server(
    { hostKeys: [loadOrCreateHostKey(settings.hostKeyPath)], algorithms: { kex: KEX } },
    (client: Connection, peer) => {
      let keyFingerprint: string | undefined;
      // The handshake and a command are many small writes each waiting on the other side: with
      // Nagle's algorithm and delayed ACKs, each wait could add 40 ms (a command took 75-160 ms).
      (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true); // in ssh2, not in its types
      client.on('error', () => {}); // a dropped client must never take the daemon down
      client.on('authentication', (ctx) => {
        keyFingerprint = authenticate(platform, ctx) ?? keyFingerprint;
      });
      client.on('ready', () => {
        logins.authenticated(peer);
        const idle = idleTimer(client, settings.ssh.idleMs);
        client.on('session', (acceptSession) => {
          const session = acceptSession();
          let terminal: SessionTerminal | undefined;
          const open = (accept: () => ServerChannel): { channel: ServerChannel; caller: Caller | undefined } => {
            const channel = idle.track(accept());
            const caller = currentCaller(platform, keyFingerprint);
            if (!caller) finish(channel, 1, ' !     This key is no longer authorized');
            return { channel, caller };
          };
          session.on('env', (accept) => acceptIfAsked(accept));
          // A pty is only ever a size and a type: `enter` hands it to a process in a container.
          session.on('pty', (accept, _reject, info) => {
            terminal = new SessionTerminal(terminalType(info.term), info.cols, info.rows);
            acceptIfAsked(accept);
          });
          session.on('window-change', (accept, _reject, info) => {
            terminal?.resize(info.cols, info.rows);
            acceptIfAsked(accept);
          });
          session.on('shell', (accept) => {
            const { channel, caller } = open(accept);
            if (caller)
              void runAndExit(channel, () => runCommand(commandContext(platform, caller, channel, terminal), ['help']));
          });
          session.once('exec', (accept, _reject, info) => {
            const { channel, caller } = open(accept);
            if (!caller) return;
            if (isGitCommand(info.command)) {
              const git = parseGitCommand(info.command);
              if (!git) return finish(channel, 1, ` !     Invalid git command or app name: ${info.command}`);
              // Refused before it waits in the app's queue: a push to an app the key may not use
              // must not learn whether someone else is pushing to it.
              const denied = accessDenied(platform, caller, git);
              if (denied) return finish(channel, 1, ` !     ${denied}`);
              // Whole pushes to one app go one at a time: a receive-pack that started during another
              // push would advertise stale refs and fail its ref update after its deploy went live.
              void pushes.run(
                git.app,
                () => serveGit(platform, channel, git, caller, { hookToken: options.hookToken, lifecycle }),
                () =>
                  channel.stderr.write(
                    format.step(`Waiting for the push in progress to ${git.app} to finish...`) + '\n',
                  ),
              );
            } else {
              void runAndExit(channel, async () =>
                runCommand(commandContext(platform, caller, channel, terminal), tokenize(info.command)),
              );
            }
          });
        });
      });
    },
  );
  // Connections reach the SSH server through this gate: it sees them from the first byte,
  // before the SSH server would (which waits for the client's version line).
  const front = net.createServer((socket) => (logins.admit(socket) ? server.injectSocket(socket) : socket.destroy()));
  return new Promise((resolve, reject) => {
    front.once('error', reject);
    front.listen(settings.sshPort, settings.sshHost, () => resolve({ close: () => (front.close(), server.close()) }));
  });
}

/**
 * Connections that have not authenticated yet: each gets `loginMs` to do so, and beyond
 * `maxUnauthenticated` of them new ones are closed at once, so idle or slow clients cannot
 * use up the daemon's sockets and key exchanges.
 */
class LoginGate {
  private readonly pending = new Map<string, () => void>();

  constructor(private readonly limits: { loginMs: number; maxUnauthenticated: number }) {}

  admit(socket: net.Socket): boolean {
    if (this.pending.size >= this.limits.maxUnauthenticated) return false;
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const timer = setTimeout(() => socket.destroy(), this.limits.loginMs);
    const settle = () => {
      clearTimeout(timer);
      this.pending.delete(key);
    };
    this.pending.set(key, settle);
    socket.once('close', settle);
    return true;
  }

  authenticated(info: { ip: string; port: number }): void {
    this.pending.get(`${info.ip}:${info.port}`)?.();
  }
}

/** Who a key is now: undefined once it was removed. */
function currentCaller(platform: Platform, keyFingerprint: string | undefined): Caller | undefined {
  const record = keyFingerprint === undefined ? undefined : platform.state.keys.byFingerprint(keyFingerprint);
  return record && { name: record.name, isAdmin: record.isAdmin };
}

/** Closes a connection that has had no channel open for `idleMs`. */
function idleTimer(client: Connection, idleMs: number) {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = open === 0 ? setTimeout(() => client.end(), idleMs) : undefined;
  };
  client.once('close', () => clearTimeout(timer));
  arm();
  return {
    track(channel: ServerChannel): ServerChannel {
      open++;
      arm();
      channel.once('close', () => {
        open--;
        arm();
      });
      return channel;
    },
  };
}

/** Two-phase publickey auth: a query gets PK_OK, a signed request must verify. Returns the key's fingerprint once verified. */
function authenticate(platform: Platform, ctx: AuthContext): string | undefined {
  if (ctx.method !== 'publickey') return void ctx.reject(['publickey']);
  const keyFingerprint = fingerprint(ctx.key.data);
  const record = platform.state.keys.byFingerprint(keyFingerprint);
  const stored = record && utils.parseKey(record.publicKey);
  if (!record || !stored || stored instanceof Error || Array.isArray(stored) || stored.type !== ctx.key.algo) {
    return void ctx.reject(['publickey']);
  }
  if (!ctx.signature) return void ctx.accept();
  if (ctx.blob && stored.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) {
    ctx.accept();
    return keyFingerprint;
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

/**
 * Lines to the client; a client with a pty put its terminal in raw mode and needs \r\n.
 * Lines printed together go in one write, once the code printing them yields (a write is an
 * SSH packet, encrypted on its own: a report of every app prints tens of thousands of lines);
 * an error line sends the lines before it first, so the order stays.
 */
function channelOutput(channel: ServerChannel, terminal: Terminal | undefined): Output {
  const end = terminal ? '\r\n' : '\n';
  let pending = '';
  const flush = () => {
    if (pending === '') return;
    channel.write(pending);
    pending = '';
  };
  return {
    out: (line) => {
      if (pending === '') queueMicrotask(flush);
      pending += line + end;
    },
    err: (line) => {
      flush();
      channel.stderr.write(line + end);
    },
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

/**
 * ssh2 hands a request no accept function when the client asked for no reply (its types say
 * there always is one): accepting then would throw.
 */
function acceptIfAsked(accept: (() => void) | undefined): void {
  accept?.();
}
