import type { Terminal } from '../../model/terminal.js';

/**
 * Wires a client's terminal to a process's tty stream: output goes back raw, input goes in
 * with no end (a terminal has none, and Docker would hang the process up at one), the size
 * follows the client's, and `hangUp` runs when the client goes away. Returns the undo of
 * taking the terminal over (a local tty goes back to cooked mode).
 */
export function wireTerminal(
  stream: NodeJS.ReadWriteStream,
  io: { stdin?: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; tty: Terminal },
  control: { resize(size: { h: number; w: number }): Promise<unknown>; hangUp: () => void },
): () => void {
  stream.pipe(io.stdout, { end: false });
  io.stdin?.pipe(stream, { end: false });
  io.stdin?.once('close', control.hangUp);
  const release = io.tty.takeOver?.();
  const resize = (size: { cols: number; rows: number }) =>
    void control.resize({ h: size.rows, w: size.cols }).catch(() => {});
  resize(io.tty);
  io.tty.onResize(resize);
  return () => release?.();
}
