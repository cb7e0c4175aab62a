import type { Output } from '../core/output.js';
import type { Platform } from '../platform.js';
import type { Terminal } from '../runtime/docker.js';
import type { Caller } from '../ssh/access.js';

export type { Caller } from '../ssh/access.js';

export interface CommandContext {
  platform: Platform;
  caller: Caller;
  out: Output;
  stdin: NodeJS.ReadableStream;
  /** The same output as bytes, for commands that stream binary data (database dumps). */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The client's terminal, when it asked for a pty (`ssh -t`). */
  terminal?: Terminal;
  /** True when run by `slipway` on the host itself, where file paths name host files. */
  local: boolean;
  /** Aborts when the client goes away (a deploy it started goes on in the background). */
  signal: AbortSignal;
}

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | true>;
  /** Values of repeatable flags, in order (`run -e A=1 -e B=2`). */
  lists: Record<string, string[]>;
}

export interface Command {
  name: string;
  /** One line for `help`. */
  summary: string;
  /** Arguments after the command name, for `<command> --help`. */
  usage: string;
  /** Flags taking a value; any other `--flag` is a boolean. */
  valueFlags?: string[];
  /** Value flags that may be given more than once. */
  repeatableFlags?: string[];
  booleanFlags?: string[];
  /** Any other `--flag` is taken as a boolean too, for the command to check (report row flags). */
  openFlags?: boolean;
  /** Short spellings, as Dokku has them: `{ t: 'tail', n: 'num' }` makes `-t` mean `--tail`. */
  shortFlags?: Record<string, string>;
  /**
   * Who may run it: admin keys only; keys granted the app named by the first argument
   * (`--global` and `--all` need an admin); or anyone with a key (what it shows is then its own business).
   */
  access: 'admin' | 'app' | 'anyone';
  /** Words after the app are passed as they are (`run -e K=V app cmd --its-own-flags`). */
  rawArgs?: boolean;
  run(ctx: CommandContext, args: ParsedArgs): Promise<number | void>;
}
