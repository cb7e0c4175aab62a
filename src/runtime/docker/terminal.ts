import type { Terminal } from '../../model/terminal.js';

/**
 * Wires a client's terminal to a process's tty stream: output goes back raw, input goes in
 * with no end (a terminal has none, and Docker would hang the process up at one), the size
 * follows the client's, and `hangUp` runs when the client goes away. Returns the undo of
 * taking the terminal over (a local tty goes back to cooked mode).
 *
 * Input waits until the first resize has answered (the engine answers an exec's once its
 * process runs): the process starts on a 0x0 terminal, and one reading input typed ahead
 * would act on it at that size (psql pages a one-row answer, and its pager eats the `\q`).
 */
export function wireTerminal(
  stream: NodeJS.ReadWriteStream,
  io: { stdin?: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; tty: Terminal },
  control: { resize(size: { h: number; w: number }): Promise<unknown>; hangUp: () => void },
): () => void {
  stream.pipe(io.stdout, { end: false });
  io.stdin?.once('close', control.hangUp);
  const release = io.tty.takeOver?.();
  const resize = (size: { cols: number; rows: number }) =>
    control.resize({ h: size.rows, w: size.cols }).catch(() => {});
  void resize(io.tty).then(() => io.stdin?.pipe(stream, { end: false }));
  io.tty.onResize((size) => void resize(size));
  return () => release?.();
}
