/**
 * `slipway` on the host hands its command to the running daemon over a Unix socket only root
 * can open, instead of loading every command module itself (most of a command's time went
 * to that). Dependency-free: the client side loads this and nothing else.
 *
 * The client sends one JSON line (what to run, and where it was run from for relative file
 * names), then its stdin as frames (a kind byte, a 4-byte big-endian length, the payload),
 * `stdinEnd` when it has no more. The daemon answers with frames too; `exit` carries the code
 * and is last. The end of the connection from the client means it went away (Ctrl-C on
 * `slipway logs -t`): the command is stopped. A frame carries at most MAX_FRAME_BYTES.
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

/**
 * The most one frame carries. Larger payloads go as several frames: a reader then never holds
 * more than this of one frame, and a peer that announces more is cut off at its header.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** The frames that carry `payload`: one, or several of at most MAX_FRAME_BYTES each. */
export function frame(kind: FrameKind, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const frames: Buffer[] = [];
  for (let at = 0; at === 0 || at < body.length; at += MAX_FRAME_BYTES) {
    const piece = body.subarray(at, at + MAX_FRAME_BYTES);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(kind, 0);
    header.writeUInt32BE(piece.length, 1);
    frames.push(header, piece);
  }
  return Buffer.concat(frames);
}

export class FrameTooLargeError extends Error {
  constructor(length: number) {
    super(`a frame of ${length} bytes is over the bound of ${MAX_FRAME_BYTES}`);
  }
}

/**
 * Cuts a byte stream into frames, however the chunks fall. Chunks are kept as they came and
 * each byte is copied at most once (joining every chunk onto what was pending copied a large
 * frame again for each of its chunks). Throws FrameTooLargeError from push() at the header of
 * a frame over the bound.
 */
export class FrameReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private header: { kind: number; length: number } | undefined;

  constructor(private readonly onFrame: (kind: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    for (;;) {
      if (!this.header) {
        if (this.buffered < HEADER_BYTES) return;
        const header = this.take(HEADER_BYTES);
        this.header = { kind: header.readUInt8(0), length: header.readUInt32BE(1) };
        if (this.header.length > MAX_FRAME_BYTES) throw new FrameTooLargeError(this.header.length);
      }
      if (this.buffered < this.header.length) return;
      const { kind, length } = this.header;
      this.header = undefined;
      this.onFrame(kind, this.take(length));
    }
  }

  /** The next `count` buffered bytes: a view into one chunk, or one copy across several. */
  private take(count: number): Buffer {
    if (count === 0) return Buffer.alloc(0);
    this.buffered -= count;
    const first = this.chunks[0]!;
    if (first.length >= count) {
      this.consume(count);
      return first.subarray(0, count);
    }
    const taken = Buffer.alloc(count);
    let filled = 0;
    let index = 0;
    while (filled < count) {
      const next = this.chunks[index++]!;
      filled += next.copy(taken, filled, 0, Math.min(next.length, count - filled));
    }
    this.consume(count);
    return taken;
  }

  /** Drops `count` bytes from the front: whole chunks in one splice (shifting them one by one would copy the list each time). */
  private consume(count: number): void {
    let whole = 0;
    while (count > 0 && this.chunks[whole]!.length <= count) count -= this.chunks[whole++]!.length;
    this.chunks.splice(0, whole);
    if (count > 0) this.chunks[0] = this.chunks[0]!.subarray(count);
  }
}
