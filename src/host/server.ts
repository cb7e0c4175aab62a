import type net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { z } from 'zod';
import { runCommand } from '../commands/index.js';
import { errorMessage } from '../core/errors.js';
import { format, streamOutput } from '../core/output.js';
import { listenPrivately, onFirstLine } from '../core/private-socket.js';
import type { Platform } from '../platform.js';
import { FRAME, frame, FrameReader, type FrameKind } from '../core/host-commands.js';

/** A command line is small; anything longer than this before the newline is not a request. */
const MAX_REQUEST_BYTES = 1024 * 1024;

const requestSchema = z.object({
  argv: z.array(z.string().max(MAX_REQUEST_BYTES)).max(10_000),
  cwd: z.string().startsWith('/'),
});

/**
 * The daemon's end of `slipway` on the host (see core/host-commands.ts): commands run here as the host's
 * root, exactly as the CLI would run them itself, with file names resolved where it was run.
 */
export function serveHostCommands(platform: Platform, socketPath: string): Promise<net.Server> {
  return listenPrivately(socketPath, (socket) => {
    socket.on('error', () => {});
    onFirstLine(socket, MAX_REQUEST_BYTES, (line, rest) => void serve(platform, socket, line, rest));
  });
}

async function serve(platform: Platform, socket: net.Socket, line: Buffer, rest: Buffer): Promise<void> {
  const send = (kind: FrameKind, payload: Buffer | string) => {
    if (!socket.destroyed) socket.write(frame(kind, payload));
  };
  const framed = (kind: FrameKind) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        send(kind, chunk);
        done();
      },
    });
  const stdout = framed(FRAME.stdout);
  const stderr = framed(FRAME.stderr);
  const stdin = new PassThrough();
  // Stdin is read as the command takes it: a client sending faster waits (the socket is paused).
  stdin.on('drain', () => socket.resume());
  const input = new FrameReader((kind, payload) => {
    if (stdin.writableEnded) return;
    if (kind === FRAME.stdin && !stdin.write(payload)) socket.pause();
    else if (kind === FRAME.stdinEnd) stdin.end();
  });
  // A client that announces a frame over the bound is told so and cut off, before its bytes are read.
  const read = (chunk: Buffer) => {
    try {
      input.push(chunk);
    } catch (error) {
      socket.off('data', read);
      send(FRAME.stderr, format.error(errorMessage(error)) + '\n');
      socket.destroySoon();
    }
  };
  socket.on('data', read);
  read(rest);
  const controller = new AbortController();
  socket.on('close', () => {
    controller.abort();
    if (!stdin.writableEnded) stdin.end();
  });
  let code = 1;
  try {
    const request = requestSchema.parse(JSON.parse(line.toString('utf8')));
    code = await runCommand(
      {
        platform,
        caller: { name: 'root', isAdmin: true, host: true },
        out: streamOutput(stdout, stderr),
        stdin,
        stdout,
        stderr,
        local: true,
        cwd: request.cwd,
        signal: controller.signal,
      },
      request.argv,
    );
  } catch (error) {
    send(FRAME.stderr, format.error(`Internal error: ${errorMessage(error)}`) + '\n');
  }
  send(FRAME.exit, String(code));
  socket.end();
}
