import { distance } from 'fastest-levenshtein';
import { usageOf } from './args.js';
import type { Command } from './types.js';

/** What `help` says of each namespace, as Dokku's help has a line per plugin. */
const NAMESPACE_SUMMARIES: Record<string, string> = {
  acl: 'Grant keys access to apps',
  apps: 'Manage apps',
  builder: 'Choose how an app is built (Dockerfile or buildpacks)',
  builds: 'Show an app’s builds and their output',
  certs: 'Manage an app’s TLS certificate',
  checks: 'Manage zero-downtime checks',
  config: 'Manage global and app-specific config vars',
  cron: 'Manage an app’s scheduled tasks (app.json cron)',
  dashboard: 'Manage the dashboard and HTTP API endpoint',
  domains: 'Manage an app’s domains and URLs',
  drains: 'Forward app logs to syslog or HTTPS drains',
  git: 'Deploy from git repositories and images',
  letsencrypt: 'Get and renew certificates from Let’s Encrypt',
  logs: 'Show an app’s logs',
  mariadb: 'Manage MariaDB services',
  mysql: 'Manage MySQL services (MariaDB)',
  nginx: 'Manage the proxy’s nginx settings and logs',
  nodes: 'Manage the nodes of a swarm',
  ports: 'Manage the ports an app is reached on',
  postgres: 'Manage Postgres services',
  proxy: 'Route an app’s traffic through the proxy, or not',
  ps: 'Manage an app’s processes (scale, restart, stop)',
  redis: 'Manage Redis services',
  registry: 'Manage registry logins for images',
  releases: 'List, show and roll back releases',
  repo: 'Manage an app’s repository and build cache',
  resource: 'Limit and show an app’s memory and CPU',
  run: 'Run one-off commands in an app’s image',
  scheduler: 'Choose where an app runs (this host or a swarm)',
  'scheduler-swarm': 'Manage the swarm scheduler',
  'ssh-keys': 'Manage the SSH keys that may push and run commands',
  stack: 'Build the base images apps are built on',
  state: 'Back up and restore Slipway’s own state',
  storage: 'Mount host directories into an app',
  tokens: 'Manage HTTP API tokens',
  webhooks: 'Send deploy events to HTTP endpoints',
};

/**
 * Heroku's names where Dokku has none, so a Heroku user's first guess works: alias -> command.
 * `help` shows each beside its command.
 */
export const ALIASES: Readonly<Record<string, string>> = {
  'apps:info': 'apps:report',
  'certs:info': 'certs:report',
  'config:remove': 'config:unset',
  restart: 'ps:restart',
  rollback: 'releases:rollback',
  scale: 'ps:scale',
};

/** A namespace as help shows it: its line in `help`, and its commands for `help <namespace>`. */
export interface HelpTopic {
  name: string;
  summary: string;
  commands: Command[];
}

export const namespaceSummary = (name: string): string => NAMESPACE_SUMMARIES[name] ?? `The ${name} commands`;

/** Where one column of help ends and the next begins (a longer name pushes its line only). */
const COLUMN = 25;
const row = (name: string, text: string, width = COLUMN) => `    ${name.padEnd(width - 2)}  ${text}`.trimEnd();

/** `help`: one line per namespace and per command outside one, as Dokku's help. */
export function helpIndex(topics: HelpTopic[], standalone: Command[]): string[] {
  const lines = [
    ...topics.map((t) => [t.name, t.summary] as const),
    ...standalone.map((c) => [c.name, c.summary] as const),
  ].sort(([a], [b]) => a.localeCompare(b));
  return [
    'Usage: slipway [--quiet] COMMAND <app> [command-specific-options]',
    '',
    'Primary help options, type "slipway COMMAND:help" for more details, or slipway help --all to see all commands.',
    '',
    'Commands:',
    '',
    ...lines.map(([name, summary]) => row(name, summary)),
  ];
}

/** `help <namespace>` and `<namespace>:help`: its commands with their usage, and the aliases of them. */
export function topicHelp(topic: HelpTopic): string[] {
  return [
    `Usage: slipway ${topic.name}[:COMMAND]`,
    '',
    topic.summary,
    '',
    'Additional commands:',
    ...commandRows(topic.commands.slice().sort((a, b) => a.name.localeCompare(b.name))),
  ];
}

/** `help --all`: every command and alias, in one list. */
export function allCommandsHelp(commands: Command[]): string[] {
  return [
    'Usage: slipway [--quiet] COMMAND <app> [command-specific-options]',
    '',
    'Commands:',
    ...commandRows(commands.slice().sort((a, b) => a.name.localeCompare(b.name))),
  ];
}

/** `name usage` and the summary in a column; each alias on a line after its command. */
function commandRows(commands: Command[]): string[] {
  const entries = commands.flatMap((c) => [
    [`${c.name} ${usageOf(c)}`.trimEnd(), c.summary],
    ...aliasesOf(c.name).map((alias) => [alias, `Same as ${c.name}`]),
  ]);
  // Wide enough for most usages; the few longer ones push only their own summary right.
  const width = Math.min(Math.max(...entries.map(([left]) => left!.length)) + 4, 56);
  return entries.map(([left, summary]) => row(left!, summary!, width));
}

export const aliasesOf = (name: string): string[] => Object.keys(ALIASES).filter((alias) => ALIASES[alias] === name);

/** The usage line shown by `--help` and after a missing or extra argument. */
export const usageLine = (command: Command): string => `Usage: slipway ${command.name} ${usageOf(command)}`.trimEnd();

/** Longer input than any command name is no typo of one; comparing it would only cost time. */
const MAX_GUESS_LENGTH = 64;

/**
 * The names closest to a mistyped one (`aps:list` -> `apps:list`), at most three, when they
 * are close enough to be a typo: a third of the word's letters differ at most.
 */
export function didYouMean(word: string, names: Iterable<string>): string[] {
  if (word.length === 0 || word.length > MAX_GUESS_LENGTH) return [];
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best = limit + 1;
  let found: string[] = [];
  for (const name of names) {
    const d = distance(word, name);
    if (d < best) [best, found] = [d, [name]];
    else if (d === best) found.push(name);
  }
  return found.sort().slice(0, 3);
}
