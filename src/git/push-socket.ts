import { timingSafeEqual } from 'node:crypto';
import type net from 'node:net';
import path from 'node:path';
import { errorMessage } from '../core/errors.js';
import { format } from '../core/output.js';
import { listenPrivately, onFirstLine } from '../core/private-socket.js';
import { pushRequestSchema, type PushReply, type PushRequest } from './push-protocol.js';

/** A push request is one short JSON line (token, app, commit, user, archive path). */
const MAX_REQUEST_BYTES = 64 * 1024;

export type PushHandler = (
  push: PushRequest,
  print: (line: string) => void,
  signal: AbortSignal,
) => Promise<{ ok: boolean; message?: string }>;

/**
 * The daemon's end of the hook conversation: a Unix socket only root can open, and a
 * per-daemon token, so nothing but our own hook can request a deploy.
 */
export function listenForPushes(options: {
  socketPath: string;
  token: string;
  buildsDir: string;
  handle: PushHandler;
}): Promise<net.Server> {
  return listenPrivately(options.socketPath, (socket) => {
    const controller = new AbortController();
    socket.on('close', () => controller.abort());
    socket.on('error', () => {});
    const send = (reply: PushReply) => {
      if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
    };
    onFirstLine(socket, MAX_REQUEST_BYTES, (line) => {
      void serve(line.toString('utf8'), send, controller.signal, options).finally(() => socket.end());
    });
  });
}

async function serve(
  message: string,
  send: (reply: PushReply) => void,
  signal: AbortSignal,
  options: { token: string; buildsDir: string; handle: PushHandler },
): Promise<void> {
  const print = (line: string) => send({ line });
  try {
    const push = pushRequestSchema.parse(JSON.parse(message));
    if (!sameSecret(push.token, options.token)) throw new Error('invalid hook token');
    if (path.dirname(path.resolve(push.tarPath)) !== path.resolve(options.buildsDir)) {
      throw new Error('archive outside the builds directory');
    }
    // The deploy log already carries any failure message: only the outcome is left to send.
    const result = await options.handle(push, print, signal);
    send({ exit: result.ok ? 0 : 1 });
  } catch (error) {
    print(format.error(`Push refused: ${errorMessage(error)}`));
    send({ exit: 1 });
  }
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
