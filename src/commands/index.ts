import { readFileSync } from 'node:fs';
import { requireAdmin, requireAppAccess } from '../access/index.js';
import { errorMessage, UserError } from '../core/errors.js';
import { format, quietOutput } from '../core/output.js';
import { aclNamespace } from './acl/index.js';
import { appsNamespace } from './apps/index.js';
import { appWord, ArgumentError, bindArgs, parseArgs, takesAppFirst, usageOf } from './args.js';
import { completionScript, parseShell, type CompletionEntry } from './completion.js';
import {
  ALIASES,
  aliasesOf,
  allCommandsHelp,
  didYouMean,
  helpIndex,
  namespaceSummary,
  topicHelp,
  usageLine,
  type HelpTopic,
} from './help.js';
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
    summary: 'Show the namespaces, one namespace’s commands, or how to use one command',
    args: ['[topic]'],
    booleanFlags: ['all'],
    access: 'anyone',
    run(ctx, { named, flags }) {
      if (flags.all) return print(ctx.out, allCommandsHelp([...registry.values()]));
      if (named.topic === undefined) return print(ctx.out, helpIndex(topics, standaloneCommands));
      const topic = topics.find((t) => t.name === named.topic);
      if (topic) return print(ctx.out, topicHelp(topic));
      const command = resolveCommand(named.topic);
      if (!command)
        return notACommand(
          ctx.out,
          named.topic,
          topics.map((t) => t.name),
        );
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
  action({
    name: 'completion',
    summary: 'Print the shell completion script of the laptop client (bash or zsh)',
    args: ['<shell>'],
    access: 'anyone',
    run({ out }, { named }) {
      out.out(completionScript(parseShell(named.shell), completionEntries()).trimEnd());
    },
  }),
];

const registry = new Map<string, Command>(
  [...NAMESPACES.flatMap((ns) => ns.commands), ...reportCommands, ...helpCommands].map((c) => [c.name, c]),
);

/** A command by its name or by an alias of it. */
const resolveCommand = (name: string): Command | undefined => registry.get(name) ?? registry.get(ALIASES[name] ?? '');

/** The namespaces as help lists them, each with its commands (its generated report among them). */
const topics: HelpTopic[] = NAMESPACES.map((ns) => ({
  name: ns.name,
  summary: namespaceSummary(ns.name),
  commands: [...ns.commands, ...reportCommands.filter((c) => c.name === `${ns.name}:report`)],
}));

/** Commands of no namespace: `help` lists them beside the namespaces. */
const standaloneCommands = [...reportCommands, ...helpCommands].filter(
  (c) => !topics.some((t) => t.commands.includes(c)),
);

function print(out: CommandContext['out'], lines: string[]): void {
  for (const line of lines) out.out(line);
}

function printUsage(out: CommandContext['out'], command: Command): void {
  out.out(usageLine(command));
  out.out('');
  out.out(command.summary);
  const aliases = aliasesOf(command.name);
  if (aliases.length > 0) out.out(`Also: ${aliases.join(', ')}`);
}

/** Dokku's two lines for an unknown command, with the nearest commands between them. */
function notACommand(out: CommandContext['out'], name: string, alsoMeant: string[] = []): number {
  out.err(format.error(`\`${name}\` is not a slipway command.`));
  const names = [...registry.keys(), ...Object.keys(ALIASES), ...topics.map((t) => `${t.name}:help`), ...alsoMeant];
  const guesses = didYouMean(name, names);
  if (guesses.length > 0) out.err(format.error(`Did you mean ${guesses.map((g) => `\`${g}\``).join(' or ')}?`));
  const topic = topics.find((t) => name.startsWith(`${t.name}:`));
  out.err(
    format.error(
      topic
        ? `See \`slipway ${topic.name}:help\` for the ${topic.name} commands.`
        : 'See `slipway help` for a list of available commands.',
    ),
  );
  return 1;
}

/** Every command and alias as shell completion knows it. */
function completionEntries(): CompletionEntry[] {
  const entry = (name: string, command: Command) => ({
    name,
    summary: command.summary,
    appFirst: takesAppFirst(command),
  });
  return [
    ...[...registry.values()].map((c) => entry(c.name, c)),
    ...Object.entries(ALIASES).flatMap(([alias, name]) => {
      const command = registry.get(name);
      return command ? [entry(alias, command)] : [];
    }),
  ];
}

/** Every command, for help and for tests that try them all. */
export function listCommands(): { name: string; usage: string; access: Command['access']; rawArgs?: boolean }[] {
  return [...registry.values()].map((c) => ({ name: c.name, usage: usageOf(c), access: c.access, rawArgs: c.rawArgs }));
}

/** A command by name or alias, for callers that run one without the command line (the HTTP API). */
export function findCommand(name: string): Command | undefined {
  return resolveCommand(name);
}

/**
 * `--app NAME COMMAND …`, as the laptop client sends it (the app of the `deploy` remote):
 * the app goes in as the first argument of commands that take one, unless it is there
 * already or the command is asked about everything (`--global`, `--all`).
 */
function withDefaultApp(words: string[], app: string | undefined): string[] {
  const [name, ...rest] = words;
  const command = name === undefined ? undefined : resolveCommand(name);
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
  const command = resolveCommand(name);
  if (!command) {
    const topic = /^(.+):help$/.exec(name)?.[1];
    if (topic !== undefined && topics.some((t) => t.name === topic)) return runCommand(ctx, ['help', topic]);
    return notACommand(ctx.out, name);
  }
  if (command.rawArgs ? rest[0] === '--help' : rest.includes('--help')) {
    printUsage(ctx.out, command);
    return 0;
  }
  const quiet = quietFlagAt(command, rest);
  if (quiet >= 0) {
    const words = [...rest.slice(0, quiet), ...rest.slice(quiet + 1)];
    return runCommand({ ...ctx, out: quietOutput(ctx.out) }, [command.name, ...words]);
  }
  try {
    const parsed = parseArgs(command, rest);
    authorize(ctx, command, parsed);
    return await execute(ctx, command, bindArgs(ctx, command, parsed));
  } catch (error) {
    if (error instanceof UserError) {
      ctx.failed?.(error);
      ctx.out.err(format.error(error.message));
      if (error instanceof ArgumentError) ctx.out.err(format.error(usageLine(error.command)));
      return error.exitCode;
    }
    lineLog()(`${name} failed`, { level: 'error', err: error });
    ctx.out.err(format.error(`Internal error: ${errorMessage(error)}`));
    return 1;
  }
}

/**
 * Where Dokku's `--quiet` is among a command's words (`run:list --quiet app`), or -1: not when
 * the command has a --quiet of its own (`logs -q`), nor after the app of a command that passes
 * its words on (`run app cmd --quiet` is the command's).
 */
function quietFlagAt(command: Command, words: string[]): number {
  if (command.booleanFlags?.includes('quiet')) return -1;
  const at = words.indexOf('--quiet');
  if (at < 0 || !command.rawArgs) return at;
  return words.slice(0, at).some((w) => !w.startsWith('-')) ? -1 : at;
}
