/**
 * `slipway` on the host hands its command to the running daemon over a Unix socket only root
 * can open, instead of loading every command module itself (most of a command's time went
 * to that). Dependency-free: the client side loads this and nothing else.
 *
 * The client sends one JSON line (what to run, and where it was run from for relative file
 * names), then its stdin as frames (a kind byte, a 4-byte big-endian length, the payload),
 * `stdinEnd` when it has no more. The daemon answers with frames too; `exit` carries the code
 * and is last. The end of the connection from the client means it went away (Ctrl-C on
 * `slipway logs -t`): the command is stopped.
 */
import path from 'node:path';

export const FRAME = { stdout: 1, stderr: 2, exit: 3, stdin: 4, stdinEnd: 5 } as const;
export type FrameKind = (typeof FRAME)[keyof typeof FRAME];
const HEADER_BYTES = 5;

export interface HostCommandRequest {
  argv: string[];
  cwd: string;
}

/** Where the daemon listens, from the same setting the daemon reads (SLIPWAY_DATA_DIR). */
export function hostCommandSocket(env: NodeJS.ProcessEnv): string {
  return path.join(path.resolve(env.SLIPWAY_DATA_DIR || '/var/lib/slipway'), 'run', 'cli.sock');
}

export function frame(kind: FrameKind, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(kind, 0);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

/** Cuts a byte stream into frames, however the chunks fall. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (kind: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= HEADER_BYTES) {
      const length = this.pending.readUInt32BE(1);
      if (this.pending.length < HEADER_BYTES + length) return;
      this.onFrame(this.pending.readUInt8(0), this.pending.subarray(HEADER_BYTES, HEADER_BYTES + length));
      this.pending = this.pending.subarray(HEADER_BYTES + length);
    }
  }
}
