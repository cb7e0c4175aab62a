import { readFileSync } from 'node:fs';
import { requireAdmin, requireAppAccess } from '../access/index.js';
import { errorMessage, UserError } from '../core/errors.js';
import { format, quietOutput } from '../core/output.js';
import { aclNamespace } from './acl/index.js';
import { appsNamespace } from './apps/index.js';
import { appWord, bindArgs, parseArgs, takesAppFirst, usageOf } from './args.js';
import { builderNamespace } from './builder/index.js';
import { buildsNamespace } from './builds/index.js';
import { certsNamespace } from './certs/index.js';
import { checksNamespace } from './checks/index.js';
import { configNamespace } from './config/index.js';
import { dashboardNamespace } from './dashboard/index.js';
import { letsencryptNamespace } from './letsencrypt/index.js';
import { cronNamespace } from './cron/index.js';
import { domainsNamespace } from './domains/index.js';
import { drainsNamespace } from './drains/index.js';
import { gitNamespace } from './git/index.js';
import { logsNamespace } from './logs/index.js';
import { nginxNamespace } from './nginx/index.js';
import { proxyNamespace } from './proxy/index.js';
import { psNamespace } from './ps/index.js';
import { registryNamespace } from './registry/index.js';
import { releasesNamespace } from './releases/index.js';
import { printQuery } from './render.js';
import { allReportsCommand, reportCommand } from './report.js';
import { repoNamespace } from './repo/index.js';
import { resourceNamespace } from './resource/index.js';
import { runNamespace } from './run/index.js';
import { schedulerNamespace } from './scheduler/index.js';
import { schedulerSwarmNamespace } from './scheduler-swarm/index.js';
import { nodesNamespace } from './nodes/index.js';
import { serviceNamespaces } from './services/index.js';
import { sshKeysNamespace } from './ssh-keys/index.js';
import { stackNamespace } from './stack/index.js';
import { stateNamespace } from './state/index.js';
import { portsNamespace } from './ports/index.js';
import { webhooksNamespace } from './webhooks/index.js';
import { storageNamespace } from './storage/index.js';
import { tokensNamespace } from './tokens/index.js';
import {
  action,
  type Command,
  type CommandArgs,
  type CommandContext,
  type Namespace,
  type ParsedArgs,
} from './types.js';
import { lineLog } from '../core/log.js';

export type { Caller, CommandContext } from './types.js';
export { tokenize } from './tokenize.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * Every namespace, in the order their lifecycle hooks run: an app stops (ps) and stops
 * taking traffic (proxy) before its images, repository and certificate go.
 */
const NAMESPACES: Namespace[] = [
  appsNamespace,
  configNamespace,
  psNamespace,
  proxyNamespace,
  nginxNamespace,
  domainsNamespace,
  certsNamespace,
  letsencryptNamespace,
  checksNamespace,
  releasesNamespace,
  builderNamespace,
  registryNamespace,
  repoNamespace,
  gitNamespace,
  logsNamespace,
  drainsNamespace,
  buildsNamespace,
  runNamespace,
  cronNamespace,
  resourceNamespace,
  storageNamespace,
  portsNamespace,
  schedulerNamespace,
  schedulerSwarmNamespace,
  nodesNamespace,
  ...serviceNamespaces,
  sshKeysNamespace,
  aclNamespace,
  tokensNamespace,
  dashboardNamespace,
  stackNamespace,
  webhooksNamespace,
  stateNamespace,
];

/** What every namespace does when an app is created, destroyed, renamed or cloned. */
export const lifecycle = NAMESPACES.flatMap((ns) => (ns.lifecycle ? [ns.lifecycle] : []));

/** `<namespace>:report` for each report (unless the namespace has its own), and `report` for all. */
const reports = NAMESPACES.flatMap((ns) => (ns.report ? [ns.report] : [])).sort((a, b) => a.name.localeCompare(b.name));
const reportCommands = [
  ...NAMESPACES.filter((ns) => ns.report && !ns.commands.some((c) => c.name === `${ns.name}:report`)).map((ns) =>
    reportCommand(ns.report!),
  ),
  allReportsCommand(reports),
];

const helpCommands: Command[] = [
  action({
    name: 'help',
    summary: 'Show this list, or how to use one command',
    args: ['[command]'],
    access: 'anyone',
    run(ctx, { named }) {
      if (named.command === undefined) return printHelp(ctx.out);
      const command = registry.get(named.command);
      if (!command) throw new UserError(`\`${named.command}\` is not a slipway command.`);
      printUsage(ctx.out, command);
    },
  }),
  action({
    name: 'version',
    summary: 'Show the Slipway version',
    args: [],
    access: 'anyone',
    run({ out }) {
      out.out(`slipway ${VERSION}`);
    },
  }),
];

const registry = new Map<string, Command>(
  [...NAMESPACES.flatMap((ns) => ns.commands), ...reportCommands, ...helpCommands].map((c) => [c.name, c]),
);

function printUsage(out: CommandContext['out'], command: Command): void {
  out.out(`Usage: slipway ${command.name} ${usageOf(command)}`.trimEnd());
  out.out('');
  out.out(command.summary);
}

/** Every command, for help and for tests that try them all. */
export function listCommands(): { name: string; usage: string; access: Command['access']; rawArgs?: boolean }[] {
  return [...registry.values()].map((c) => ({ name: c.name, usage: usageOf(c), access: c.access, rawArgs: c.rawArgs }));
}

/** A command by name, for callers that run one without the command line (the HTTP API, next). */
export function findCommand(name: string): Command | undefined {
  return registry.get(name);
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
  if (app === undefined || !command || !takesAppFirst(command)) return words;
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
  requireAppAccess(ctx.platform.state, ctx.caller, appWord(command, args), `run ${command.name} on`);
}

/** Runs a bound command: a query's data goes through its renderer, an action prints for itself. */
async function execute(ctx: CommandContext, command: Command, args: CommandArgs): Promise<number> {
  if ('read' in command) return printQuery(ctx, args, command);
  return (await command.run(ctx, args)) ?? 0;
}

/**
 * Runs one command line for a caller and returns its exit code. Errors the user can act on
 * print as ` !     …`; anything unexpected prints a short internal error, never a stack.
 */
export async function runCommand(base: Omit<CommandContext, 'lifecycle'>, words: string[]): Promise<number> {
  const ctx: CommandContext = { ...base, lifecycle };
  if (words[0] === '--app') return runCommand(ctx, withDefaultApp(words.slice(2), words[1]));
  if (words[0] === '--quiet') return runCommand({ ...ctx, out: quietOutput(ctx.out) }, words.slice(1));
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
    const parsed = parseArgs(command, rest);
    authorize(ctx, command, parsed);
    return await execute(ctx, command, bindArgs(ctx, command, parsed));
  } catch (error) {
    if (error instanceof UserError) {
      ctx.failed?.(error);
      ctx.out.err(format.error(error.message));
      return error.exitCode;
    }
    lineLog()(`${name} failed`, { level: 'error', err: error });
    ctx.out.err(format.error(`Internal error: ${errorMessage(error)}`));
    return 1;
  }
}
