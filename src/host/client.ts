import net from 'node:net';
import { FRAME, frame, FrameReader, hostCommandSocket, type HostCommandRequest } from '../core/host-commands.js';

/**
 * Commands that take over the caller's terminal (a shell in a container, psql) run in the CLI
 * process itself when it has one: the socket carries bytes, not a terminal.
 * See src/commands/run (run, enter) and the services' `:connect`.
 */
function needsTerminal(argv: string[]): boolean {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return false;
  return argv.some((word) => word === 'run' || word === 'enter' || word.endsWith(':connect'));
}

/**
 * Runs the command in the daemon when one is running; its exit code, or undefined when there
 * is no daemon to ask (or the command needs the terminal), for the caller to run it itself.
 */
export function runInDaemon(argv: string[]): Promise<number | undefined> {
  if (needsTerminal(argv)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = net.connect(hostCommandSocket(process.env));
    let connected = false;
    let code: number | undefined;
    const reader = new FrameReader((kind, payload) => {
      if (kind === FRAME.stdout) process.stdout.write(payload);
      else if (kind === FRAME.stderr) process.stderr.write(payload);
      else if (kind === FRAME.exit) code = Number(payload.toString());
    });
    socket.on('connect', () => {
      connected = true;
      const request: HostCommandRequest = { argv, cwd: process.cwd() };
      socket.write(JSON.stringify(request) + '\n');
      process.stdin.on('data', (chunk: Buffer) => socket.write(frame(FRAME.stdin, chunk)));
      process.stdin.on('end', () => socket.write(frame(FRAME.stdinEnd, '')));
    });
    socket.on('data', (chunk) => {
      try {
        reader.push(chunk);
      } catch (error) {
        process.stderr.write(` !     The Slipway daemon's answer could not be read: ${(error as Error).message}\n`);
        socket.destroy();
      }
    });
    socket.on('error', () => {
      if (!connected) resolve(undefined);
    });
    socket.on('close', () => {
      process.stdin.destroy(); // a terminal or pipe it still reads would keep us running
      if (!connected) return;
      if (code === undefined) process.stderr.write(' !     The Slipway daemon went away before the command ended\n');
      resolve(code ?? 1);
    });
  });
}
