/** A client's terminal (an SSH pty, or the operator's own tty): its type, its size, and news of resizes. */
export interface Terminal {
  term: string;
  cols: number;
  rows: number;
  onResize(listener: (size: { cols: number; rows: number }) => void): void;
  /** Called when a process takes the terminal over (a local tty goes raw); returns the undo. */
  takeOver?(): () => void;
}

/** A client's terminal type goes into a container's environment: a plain name, else xterm. */
export function terminalType(term: string | undefined): string {
  return term !== undefined && /^[A-Za-z0-9._+-]{1,64}$/.test(term) ? term : 'xterm';
}

/** A process's standard streams, and its terminal when it has one. */
export interface ProcessIo {
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  tty?: Terminal;
}
