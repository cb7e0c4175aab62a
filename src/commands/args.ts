import { UserError } from '../core/errors.js';
import { requireApp } from '../apps/index.js';
import type { Command, CommandArgs, CommandContext, ParsedArgs } from './types.js';

/**
 * The words do not fit the command's declaration (a required one missing, one too many, a
 * bad flag): shown with the command's usage line after the message.
 */
export class ArgumentError extends UserError {
  constructor(
    readonly command: Command,
    message: string,
    exitCode?: number,
  ) {
    super(message, exitCode);
  }
}

/**
 * Splits words into positionals and the flags the command declares; unknown flags are errors.
 * For `rawArgs` commands only the flags before the first positional (the app) are theirs.
 */
export function parseArgs(command: Command, words: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  const lists: Record<string, string[]> = {};
  const repeatable = new Set(command.repeatableFlags ?? []);
  const takesValue = new Set(command.valueFlags ?? []);
  const boolean = new Set(command.booleanFlags ?? []);
  for (let i = 0; i < words.length; i++) {
    const short = /^-([a-zA-Z])$/.exec(words[i]!)?.[1];
    const word = short && command.shortFlags?.[short] ? `--${command.shortFlags[short]}` : words[i]!;
    if (word === '--') {
      positional.push(...words.slice(i + 1));
      break;
    }
    if (!word.startsWith('--') || word === '--') {
      if (command.rawArgs) {
        positional.push(...words.slice(i));
        break;
      }
      positional.push(word);
      continue;
    }
    const [name = '', inline] = word.slice(2).split(/=(.*)/s, 2);
    if (takesValue.has(name) || repeatable.has(name)) {
      const value = inline ?? words[++i];
      if (value === undefined) throw new ArgumentError(command, `Flag --${name} needs a value`);
      if (repeatable.has(name)) (lists[name] ??= []).push(value);
      else flags[name] = value;
    } else if ((boolean.has(name) || command.openFlags) && inline === undefined) {
      flags[name] = true;
    } else {
      throw new ArgumentError(command, `Invalid flag passed: --${name}`);
    }
  }
  return { positional, flags, lists };
}

/** `--format stdout|json`, shared by list and report commands. */
export function outputFormat(args: ParsedArgs): 'stdout' | 'json' {
  const value = args.flags.format ?? 'stdout';
  if (value !== 'stdout' && value !== 'json')
    throw new UserError('Invalid --format value specified, valid values: stdout, json');
  return value;
}

/** A value flag's value (parseArgs gives a declared value flag a string, never `true`), or undefined when absent. */
export function valueFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** A whole-number flag within bounds, or its default when absent. */
export function intFlag(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const value = Number(args.flags[name] ?? fallback);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UserError(`--${name} must be a whole number from ${min} to ${max}`);
  return value;
}

/** A release, `vN` or `N`. */
export function parseVersion(text: string | undefined): number {
  const match = /^v?(\d{1,9})$/.exec(text ?? '');
  if (!match) throw new UserError(`Invalid release: ${text ?? ''} (expected vN)`);
  return Number(match[1]);
}

/** One declared argument: its name, and whether it names the app, is optional, or takes the rest of the words. */
interface ArgSlot {
  name: string;
  /** It names an app: what access is decided on, and where the laptop client puts its app. */
  app: boolean;
  /** The app is looked up before the command runs (`app`, `[app]`; `<app>` is a new name). */
  lookup: boolean;
  optional: boolean;
  rest: boolean;
}

function slotOf(declaration: string): ArgSlot {
  const optional = declaration.startsWith('[');
  const name = declaration.replace(/^[[<]|[\]>]$/g, '');
  const rest = name.endsWith('…');
  const app = name === 'app';
  return { name: rest ? name.slice(0, -1) : name, app, lookup: app && !declaration.startsWith('<'), optional, rest };
}

/** The positional words as the command declares them (`app`, `<word>`, `[word]`, `<word…>`). */
export function slotsOf(command: Command): ArgSlot[] {
  return command.args.map(slotOf);
}

/** Whether the command's first argument names an app (the laptop client puts its app there). */
export function takesAppFirst(command: Command): boolean {
  return slotsOf(command)[0]?.app ?? false;
}

/** The word that names the app, before anything is looked up: what access is decided on. */
export function appWord(command: Command, args: ParsedArgs): string | undefined {
  if (command.appOr && args.flags[command.appOr.slice(2)]) return undefined;
  const at = slotsOf(command).findIndex((slot) => slot.app);
  return at < 0 ? undefined : args.positional[at];
}

/**
 * Binds the words to the declaration: too many is an error, a missing required word too;
 * the app is looked up (Dokku's "does not exist", exit 20, for a valid name that is not there).
 */
export function bindArgs(ctx: CommandContext, command: Command, parsed: ParsedArgs): CommandArgs {
  const bound: CommandArgs = { ...parsed, app: undefined, named: {}, rest: [] };
  const standIn = command.appOr !== undefined && Boolean(parsed.flags[command.appOr.slice(2)]);
  const words = [...parsed.positional];
  for (const slot of slotsOf(command)) {
    if (slot.lookup && standIn) continue;
    if (slot.rest) {
      bound.rest = words.splice(0);
      if (!slot.optional && bound.rest.length === 0) throw missingArg(command, slot);
      bound.named[slot.name] = bound.rest.length ? bound.rest.join(' ') : undefined;
      continue;
    }
    const word = words.shift();
    if (slot.lookup) {
      if (word !== undefined || !slot.optional) bound.app = lookUpApp(ctx, command, word);
      continue;
    }
    if (word === undefined && !slot.optional) throw missingArg(command, slot);
    bound.named[slot.name] = word;
  }
  if (words.length > 0) throw new ArgumentError(command, `Unexpected argument: ${words[0]}`);
  return bound;
}

const missingArg = (command: Command, slot: ArgSlot) =>
  new ArgumentError(command, command.missing?.[slot.name] ?? `Please specify ${slot.name}`);

/** The app named, looked up; no app named at all is a missing argument (Dokku's message, and the usage). */
function lookUpApp(ctx: CommandContext, command: Command, word: string | undefined) {
  try {
    return requireApp(ctx.platform, word);
  } catch (error) {
    if (word === undefined && error instanceof UserError)
      throw new ArgumentError(command, error.message, error.exitCode);
    throw error;
  }
}

/** `--format stdout|json`, `[--num <num>]`, `[-t|--tail]`: a flag as usage shows it. */
function flagUsage(command: Command, flag: string, takesValue: boolean): string {
  const short = Object.entries(command.shortFlags ?? {}).find(([, long]) => long === flag)?.[0];
  const spelled = short ? `-${short}|--${flag}` : `--${flag}`;
  if (flag === 'format' && 'read' in command) return '[--format stdout|json]';
  return takesValue ? `[${spelled} <${flag}>]` : `[${spelled}]`;
}

/** The usage line after the command's name, from its declaration. */
export function usageOf(command: Command): string {
  const args = command.args.map((declaration) => {
    const slot = slotOf(declaration);
    if (!slot.lookup) return declaration;
    const or = command.appOr ? `|${command.appOr}` : '';
    return slot.optional ? `[<app>]${or}` : `<app>${or}`;
  });
  const values = [...(command.valueFlags ?? []), ...(command.repeatableFlags ?? [])].map((f) =>
    flagUsage(command, f, true),
  );
  const booleans = (command.booleanFlags ?? [])
    .filter((f) => `--${f}` !== command.appOr)
    .map((f) => flagUsage(command, f, false));
  const flags = command.rawArgs ? [...values, ...booleans] : [];
  const words = command.rawArgs ? [...flags, ...args] : [...args, ...values, ...booleans];
  return [...words, command.usageNote ?? ''].join(' ').trim();
}

/** The app the command names, or every app when it stands in `--all` for it. */
export function appNamesOf(ctx: CommandContext, args: CommandArgs): string[] {
  return args.app ? [args.app.name] : ctx.platform.state.apps.list().map((a) => a.name);
}
