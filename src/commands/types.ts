import type { UserError } from '../core/errors.js';
import type { Output } from '../core/output.js';
import type { AppLifecycle } from '../apps/index.js';
import type { Caller } from '../access/index.js';
import type { Terminal } from '../model/terminal.js';
import type { Platform } from '../platform.js';
import type { Instance } from '../runtime/scheduler.js';
import type { AppRecord } from '../state/index.js';

export type { Caller } from '../access/index.js';

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
  /** Where `slipway` was run, for relative file names (the daemon runs host commands elsewhere). */
  cwd?: string;
  /** Aborts when the client goes away (a deploy it started goes on in the background). */
  signal: AbortSignal;
  /** Told the UserError a command failed with, before its ` !     ` line is printed (the API's status comes from its kind). */
  failed?: (error: UserError) => void;
  /** Every namespace's app lifecycle hooks, in registration order (destroy, rename, clone). */
  lifecycle: AppLifecycle[];
}

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | true>;
  /** Values of repeatable flags, in order (`run -e A=1 -e B=2`). */
  lists: Record<string, string[]>;
}

/** The arguments as the declaration binds them: the app looked up, the other words by name. */
export interface CommandArgs extends ParsedArgs {
  /** The app named where the declaration says `app`; undefined under --global/--all or when optional and absent. */
  app: AppRecord | undefined;
  /** Every other declared word by its name; a `…` argument's words joined by spaces are in `rest`. */
  named: Record<string, string | undefined>;
  /** The words of the last argument when it is declared `<name…>` or `[name…]`. */
  rest: string[];
}

/**
 * How a command's positional arguments are declared, in order:
 * - `app`: an app the caller may use, looked up before the command runs (`[app]`: optional);
 * - `<word>` / `[word]`: a required / optional word;
 * - `<word…>` / `[word…]` (last only): the rest of the words, at least one / any number.
 */
export type ArgDeclaration = string;

/** What may stand in for the app: `--global` (config, domains) or `--all` (ps). */
export type AppStandIn = '--global' | '--all';

/** The name a required word is bound to (`<KEY>`, `<KEY…>`), or never. */
type RequiredWord<D> = D extends `<${infer N}…>` ? N : D extends `<${infer N}>` ? N : never;
/** The name an optional word is bound to (`[KEY]`, `[KEY…]`; `[app]` is the app), or never. */
type OptionalWord<D> = D extends `[${infer N}…]` ? N : D extends `[${infer N}]` ? Exclude<N, 'app'> : never;

/**
 * The arguments a declaration binds, as types: declaring `app` (with no stand-in for it)
 * gives the app record, looked up before the handler runs; a required word is a string.
 * A declaration not written out as a literal list gives the loose CommandArgs.
 */
export type ArgsOf<
  A extends readonly ArgDeclaration[],
  Or extends AppStandIn | undefined = undefined,
> = string extends A[number]
  ? CommandArgs
  : ParsedArgs & {
      app: 'app' extends A[number]
        ? Or extends AppStandIn
          ? AppRecord | undefined
          : AppRecord
        : AppRecord | undefined;
      named: { [N in RequiredWord<A[number]>]: string } & { [N in OptionalWord<A[number]>]?: string };
      rest: string[];
    };

/** The arguments of a command that declares `app` and no stand-in: the app is there. */
export type AppArgs = ArgsOf<['app']>;

interface CommandBase<
  A extends readonly ArgDeclaration[] = ArgDeclaration[],
  Or extends AppStandIn | undefined = AppStandIn | undefined,
> {
  name: string;
  /** One line for `help`. */
  summary: string;
  /** Positional arguments; usage text, arity and the app lookup follow from them. */
  args: A;
  /** `--global` stands in for the app (config, domains); `--all` for every app (ps). Both need an admin. */
  appOr?: Or;
  /** What to say when a required word is missing, by its name; `Please specify <name>` otherwise. */
  missing?: Record<string, string>;
  /** A note after the generated usage: `(over SSH: key on stdin)`. */
  usageNote?: string;
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
   * Who may run it: admin keys only; keys granted the app it names (`--global` and `--all`
   * need an admin); or anyone with a key (what it shows is then its own business).
   */
  access: 'admin' | 'app' | 'anyone';
  /** Words after the app are passed as they are (`run -e K=V app cmd --its-own-flags`). */
  rawArgs?: boolean;
}

/** A command that changes something or streams: it writes its own output. */
export interface ActionCommand<
  A extends readonly ArgDeclaration[] = ArgDeclaration[],
  Or extends AppStandIn | undefined = AppStandIn | undefined,
> extends CommandBase<A, Or> {
  /** The exit code (0 when none); a handler that waits for nothing may answer at once. */
  run(ctx: CommandContext, args: ArgsOf<A, Or>): Promise<number | void> | number | void;
}

/**
 * A command that reads: it returns data, and a renderer prints it (Dokku's text, or JSON
 * with `--format json`); the same `read` serves SSH, the host CLI and HTTP.
 */
export interface QueryCommand<
  T = unknown,
  A extends readonly ArgDeclaration[] = ArgDeclaration[],
  Or extends AppStandIn | undefined = AppStandIn | undefined,
> extends CommandBase<A, Or> {
  read(ctx: CommandContext, args: ArgsOf<A, Or>): Promise<T> | T;
  render: Renderer<T, ArgsOf<A, Or>>;
}

export interface Renderer<T, Args = CommandArgs> {
  /** Dokku's text; an exit code when the data says the command failed (nothing to list). */
  text(data: T, out: Output, args: Args): number | void;
  /** The JSON document for `--format json`; the data itself when absent. */
  json?(data: T, args: Args): unknown;
}

export type Command = ActionCommand | QueryCommand<never>;

/**
 * Declares an action with its arguments typed from its declaration (`args: ['app']` gives
 * `args.app` the app record in `run`).
 */
export const action = <const A extends readonly ArgDeclaration[], const Or extends AppStandIn | undefined = undefined>(
  command: ActionCommand<A, Or>,
): Command => command as unknown as Command;

/** Declares a query with its data type checked between `read` and `render`, and its arguments typed as for `action`. */
export const query = <
  T,
  const A extends readonly ArgDeclaration[] = ArgDeclaration[],
  const Or extends AppStandIn | undefined = undefined,
>(
  command: QueryCommand<T, A, Or>,
): Command => command as unknown as Command;

/** Label and value, as Dokku's reports print them: `Ps restart policy:   unless-stopped`. */
export type ReportRows = [label: string, value: string][];

/** One namespace's report about an app, shown by `<name>:report <app>` and by `report <app>`. */
export interface AppReport {
  name: string;
  summary: string;
  rows(ctx: ReportContext, app: AppRecord): ReportRows | Promise<ReportRows>;
}

/** A report's context: the command's, and what runs for an app as one listing for all the apps reported on read it. */
export interface ReportContext extends CommandContext {
  /** What runs now for the app (no one-offs), as its scheduler's `instances` says. */
  instancesOf(app: string): Promise<Instance[]>;
}

/**
 * One Dokku namespace (apps, config, ps, …): the commands it owns, its report, the per-app
 * properties it keeps (stored as `<namespace>.<property>`), and what it does when an app is
 * destroyed, renamed or cloned. Adding a namespace is one folder and one line in the registry.
 */
export interface Namespace {
  name: string;
  commands: Command[];
  report?: AppReport;
  lifecycle?: AppLifecycle;
}
