import { readFileSync } from 'node:fs';
import { errorMessage, UserError } from '../core/errors.js';
import { format } from '../core/output.js';
import { accessCommands } from './access.js';
import { appsCommands, appsReport } from './apps.js';
import { parseArgs, requireNoMoreArgs } from './args.js';
import { buildCommands, builderReport } from './builds.js';
import { certsCommands, certsReport } from './certs.js';
import { configCommands } from './config.js';
import { domainCommands, domainsReport } from './domains.js';
import { keyCommands } from './keys.js';
import { processCommands } from './processes.js';
import { psCommands, psReport } from './ps.js';
import { checksReport, releaseCommands } from './releases.js';
import { allReportsCommand, reportCommand } from './reports.js';
import { resourceCommands, resourceReport } from './resources.js';
import { storageCommands, storageReport } from './storage.js';
import { serviceCommands } from './services.js';
import { stackCommands } from './stack.js';
import { requireAdmin, requireAppAccess } from '../ssh/access.js';
import type { Command, CommandContext, ParsedArgs } from './types.js';

export type { Caller, CommandContext } from './types.js';
export { tokenize } from './tokenize.js';

const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

const helpCommands: Command[] = [
  {
    name: 'help',
    summary: 'Show this list, or how to use one command',
    usage: '[<command>]',
    access: 'anyone',
    async run(ctx, args) {
      requireNoMoreArgs(args, 1);
      const [name] = args.positional;
      if (name === undefined) return printHelp(ctx.out);
      const command = registry.get(name);
      if (!command) throw new UserError(`\`${name}\` is not a slipway command.`);
      printUsage(ctx.out, command);
    },
  },
  {
    name: 'version',
    summary: 'Show the Slipway version',
    usage: '',
    access: 'anyone',
    async run({ out }, args) {
      requireNoMoreArgs(args, 0);
      out.out(`slipway ${VERSION}`);
    },
  },
];

/** Each plugin's report is `<plugin>:report`; `report` shows them all (domains has its own, for --global). */
const reports = [appsReport, builderReport, certsReport, checksReport, domainsReport, psReport, resourceReport, storageReport];
const reportCommands = [...reports.filter((r) => r !== domainsReport).map(reportCommand), allReportsCommand(reports)];

const registry = new Map<string, Command>(
  [
    ...appsCommands,
    ...configCommands,
    ...domainCommands,
    ...certsCommands,
    ...releaseCommands,
    ...psCommands,
    ...processCommands,
    ...buildCommands,
    ...resourceCommands,
    ...storageCommands,
    ...serviceCommands,
    ...keyCommands,
    ...accessCommands,
    ...stackCommands,
    ...reportCommands,
    ...helpCommands,
  ].map((c) => [c.name, c]),
);

function printUsage(out: CommandContext['out'], command: Command): void {
  out.out(`Usage: slipway ${command.name} ${command.usage}`.trimEnd());
  out.out('');
  out.out(command.summary);
}

/** Every command, for help and for tests that try them all. */
export function listCommands(): Pick<Command, 'name' | 'usage' | 'access' | 'rawArgs'>[] {
  return [...registry.values()].map(({ name, usage, access, rawArgs }) => ({ name, usage, access, rawArgs }));
}

function printHelp(out: CommandContext['out']): void {
  out.out('Usage: slipway COMMAND <app> [command-specific-options]');
  out.out('');
  out.out('Commands:');
  const width = Math.max(...[...registry.keys()].map((n) => n.length)) + 2;
  for (const command of [...registry.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    out.out(`    ${command.name.padEnd(width)}${command.summary}`);
  }
}

/**
 * `--app NAME COMMAND …`, as the laptop client sends it (the app of the `deploy` remote):
 * the app goes in as the first argument of commands that take one, unless it is there
 * already or the command is asked about everything (`--global`, `--all`).
 */
function withDefaultApp(words: string[], app: string | undefined): string[] {
  const [name, ...rest] = words;
  const command = name === undefined ? undefined : registry.get(name);
  if (app === undefined || !command || !/^(?:\[[^\]]*\]\s+)*\[?<app>/.test(command.usage)) return words;
  if (command.rawArgs) return withAppAfterFlags(command, words, app);
  if (rest[0] === app || ['--global', '--all', '--help'].some((flag) => rest.includes(flag))) return words;
  return [name!, app, ...rest];
}

/** `run -e K=V cmd` -> `run -e K=V <app> cmd`: the app goes after the command's own flags. */
function withAppAfterFlags(command: Command, words: string[], app: string): string[] {
  const [name, ...rest] = words;
  let positional: string[];
  try {
    positional = parseArgs(command, rest).positional;
  } catch {
    return words; // runCommand reports the bad flag
  }
  if (positional[0] === app || rest[0] === '--help') return words;
  const at = rest.length - positional.length;
  return [name!, ...rest.slice(0, at), app, ...rest.slice(at)];
}

function authorize(ctx: CommandContext, command: Command, args: ParsedArgs): void {
  if (command.access === 'anyone') return;
  if (command.access === 'admin' || args.flags.global || args.flags.all) return requireAdmin(ctx.caller, command.name);
  requireAppAccess(ctx.platform.state, ctx.caller, args.positional[0], `run ${command.name} on`);
}

/**
 * Runs one command line for a caller and returns its exit code. Errors the user can act on
 * print as ` !     …`; anything unexpected prints a short internal error, never a stack.
 */
export async function runCommand(ctx: CommandContext, words: string[]): Promise<number> {
  if (words[0] === '--app') return runCommand(ctx, withDefaultApp(words.slice(2), words[1]));
  const [name, ...rest] = words;
  if (name === undefined || name === '--help' || name === '-h') return runCommand(ctx, ['help']);
  const command = registry.get(name);
  if (!command) {
    ctx.out.err(format.error(`\`${name}\` is not a slipway command.`));
    ctx.out.err(format.error('See `slipway help` for a list of available commands.'));
    return 1;
  }
  if (command.rawArgs ? rest[0] === '--help' : rest.includes('--help')) {
    printUsage(ctx.out, command);
    return 0;
  }
  try {
    const args = parseArgs(command, rest);
    authorize(ctx, command, args);
    return (await command.run(ctx, args)) ?? 0;
  } catch (error) {
    if (error instanceof UserError) {
      ctx.out.err(format.error(error.message));
      return error.exitCode;
    }
    console.error(`slipway: ${name} failed:`, error);
    ctx.out.err(format.error(`Internal error: ${errorMessage(error)}`));
    return 1;
  }
}
