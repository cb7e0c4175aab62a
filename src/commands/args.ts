import { UserError } from '../core/errors.js';
import { requireApp } from '../apps/index.js';
import type { AppRecord } from '../state/index.js';
import type { Command, CommandContext, ParsedArgs } from './types.js';

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
      if (value === undefined) throw new UserError(`Flag --${name} needs a value`);
      if (repeatable.has(name)) (lists[name] ??= []).push(value);
      else flags[name] = value;
    } else if ((boolean.has(name) || command.openFlags) && inline === undefined) {
      flags[name] = true;
    } else {
      throw new UserError(`Invalid flag passed: --${name}`);
    }
  }
  return { positional, flags, lists };
}

/** `--format stdout|json`, shared by list and report commands. */
export function outputFormat(args: ParsedArgs): 'stdout' | 'json' {
  const value = args.flags.format ?? 'stdout';
  if (value !== 'stdout' && value !== 'json') throw new UserError('Invalid --format value specified, valid values: stdout, json');
  return value;
}

/** A whole-number flag within bounds, or its default when absent. */
export function intFlag(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const value = Number(args.flags[name] ?? fallback);
  if (!Number.isInteger(value) || value < min || value > max) throw new UserError(`--${name} must be a whole number from ${min} to ${max}`);
  return value;
}

export function requireNoMoreArgs(args: ParsedArgs, count: number): void {
  if (args.positional.length > count) throw new UserError(`Unexpected argument: ${args.positional[count]}`);
}

/** A release, `vN` or `N`. */
export function parseVersion(text: string | undefined): number {
  const match = /^v?(\d{1,9})$/.exec(text ?? '');
  if (!match) throw new UserError(`Invalid release: ${text ?? ''} (expected vN)`);
  return Number(match[1]);
}

/** `<app>` and nothing more: the arguments of most per-app commands. */
export function onlyApp(ctx: CommandContext, args: ParsedArgs): AppRecord {
  requireNoMoreArgs(args, 1);
  return requireApp(ctx.platform, args.positional[0]);
}
