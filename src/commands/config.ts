import { requireApp } from '../apps/index.js';
import {
  checkTotalSize,
  columns,
  EXPORT_FORMATS,
  exportEnv,
  parseEnvFile,
  parseJsonEnv,
  parsePairs,
  quoteForShell,
  sortedKeys,
  validateKey,
  type ExportFormat,
} from '../config/env.js';
import { UserError } from '../core/errors.js';
import { readAll } from '../core/input.js';
import { format } from '../core/output.js';
import { GLOBAL_SCOPE, type Env } from '../state/index.js';
import { isDeployed, runDeploy } from './deploys.js';
import { readHostFile } from './host-file.js';
import type { Command, CommandContext, ParsedArgs } from './types.js';

const IMPORT_LIMIT = 1024 * 1024;

/** `<app>` or `--global` comes first; what follows is the command's own (at most `maxRest` words). */
function scopeOf(ctx: CommandContext, args: ParsedArgs, maxRest = Infinity): { scope: string; rest: string[] } {
  const [first, ...others] = args.positional;
  const scope = args.flags.global ? GLOBAL_SCOPE : requireApp(ctx.platform, first).name;
  const rest = args.flags.global ? args.positional : others;
  if (rest.length > maxRest) throw new UserError(`Unexpected argument: ${rest[maxRest]}`);
  return { scope, rest };
}

function envFor(ctx: CommandContext, scope: string, merged: boolean): Env {
  const { config } = ctx.platform.state;
  if (scope === GLOBAL_SCOPE || !merged) return config.get(scope);
  return { ...config.get(GLOBAL_SCOPE), ...config.get(scope) };
}

/** After a change to an app's config: a new release, live with no build, unless told not to. */
async function restartAfterChange(ctx: CommandContext, scope: string, args: ParsedArgs, description: string) {
  if (scope === GLOBAL_SCOPE || args.flags['no-restart'] || !isDeployed(ctx, scope)) return 0;
  ctx.out.out(format.step(`Restarting app ${scope}`));
  return runDeploy(ctx, { kind: 'config', app: scope, description });
}

const describeKeys = (verb: string, keys: string[]) => `${verb} ${keys.join(', ')} config vars`.slice(0, 2000);

const show: Command['run'] = async (ctx, args) => {
  const { scope } = scopeOf(ctx, args, 0);
  const env = envFor(ctx, scope, Boolean(args.flags.merged));
  ctx.out.out(format.section(`${scope === GLOBAL_SCOPE ? 'global' : scope} env vars`));
  columns(env).forEach((line) => ctx.out.out(line));
};

export const configCommands: Command[] = [
  {
    name: 'config',
    summary: 'Show the env config of an app or the global one (alias of config:show)',
    usage: '[--merged] <app>|--global',
    access: 'app',
    booleanFlags: ['merged', 'global'],
    run: show,
  },
  {
    name: 'config:show',
    summary: 'Show the env config of an app or the global one',
    usage: '[--merged] <app>|--global',
    access: 'app',
    booleanFlags: ['merged', 'global'],
    run: show,
  },
  {
    name: 'config:get',
    summary: 'Print one config value (exit 1 when unset)',
    usage: '[--quoted] <app>|--global KEY',
    access: 'app',
    booleanFlags: ['quoted', 'global', 'merged'],
    async run(ctx, args) {
      const { scope, rest } = scopeOf(ctx, args);
      if (rest.length !== 1) throw new UserError('Expected exactly one key');
      const value = envFor(ctx, scope, Boolean(args.flags.merged))[validateKey(rest[0]!)];
      if (value === undefined) return 1;
      ctx.out.out(args.flags.quoted ? quoteForShell(value) : value);
    },
  },
  {
    name: 'config:keys',
    summary: 'List the config keys',
    usage: '[--merged] <app>|--global',
    access: 'app',
    booleanFlags: ['merged', 'global'],
    async run(ctx, args) {
      const { scope } = scopeOf(ctx, args, 0);
      sortedKeys(envFor(ctx, scope, Boolean(args.flags.merged))).forEach((k) => ctx.out.out(k));
    },
  },
  {
    name: 'config:export',
    summary: `Print the config for a shell or a tool (--format ${EXPORT_FORMATS.join('|')})`,
    usage: '[--format F] [--merged] <app>|--global',
    access: 'app',
    valueFlags: ['format'],
    booleanFlags: ['merged', 'global'],
    async run(ctx, args) {
      const { scope } = scopeOf(ctx, args, 0);
      const wanted = (args.flags.format ?? 'exports') as ExportFormat;
      if (!EXPORT_FORMATS.includes(wanted)) throw new UserError(`Unknown export format: ${wanted}`);
      const text = exportEnv(envFor(ctx, scope, Boolean(args.flags.merged)), wanted);
      if (text) ctx.out.out(text);
    },
  },
  {
    name: 'config:set',
    summary: 'Set config vars and restart the app with them (a new release, no build)',
    usage: '[--no-restart] [--encoded] <app>|--global KEY=VALUE [KEY=VALUE …]',
    access: 'app',
    booleanFlags: ['no-restart', 'encoded', 'global'],
    async run(ctx, args) {
      const { scope, rest } = scopeOf(ctx, args);
      const values = parsePairs(rest, Boolean(args.flags.encoded));
      const { config } = ctx.platform.state;
      checkTotalSize({ ...config.get(scope), ...values });
      config.set(scope, values);
      ctx.out.out(format.step('Setting config vars'));
      columns(values).forEach((line) => ctx.out.out(format.detail(line)));
      return restartAfterChange(ctx, scope, args, describeKeys('Set', sortedKeys(values)));
    },
  },
  {
    name: 'config:unset',
    summary: 'Remove config vars and restart the app without them',
    usage: '[--no-restart] <app>|--global KEY [KEY …]',
    access: 'app',
    booleanFlags: ['no-restart', 'global'],
    async run(ctx, args) {
      const { scope, rest } = scopeOf(ctx, args);
      if (rest.length === 0) throw new UserError('At least one key must be given');
      const keys = rest.map(validateKey);
      const removed = ctx.platform.state.config.unset(scope, keys);
      for (const key of keys) {
        ctx.out.out(format.step(removed.includes(key) ? `Unsetting ${key}` : `Skipping ${key}, it is not set in the environment`));
      }
      if (removed.length === 0) return 0;
      return restartAfterChange(ctx, scope, args, describeKeys('Unset', removed));
    },
  },
  {
    name: 'config:clear',
    summary: 'Remove every config var and restart the app',
    usage: '[--no-restart] <app>|--global',
    access: 'app',
    booleanFlags: ['no-restart', 'global'],
    async run(ctx, args) {
      const { scope } = scopeOf(ctx, args, 0);
      ctx.platform.state.config.replace(scope, {});
      ctx.out.out(format.step('Clearing config vars'));
      return restartAfterChange(ctx, scope, args, 'Clear config vars');
    },
  },
  {
    name: 'config:import',
    summary: 'Set config vars from an env file or JSON on stdin (or a file on the host)',
    usage: '[--no-restart] [--replace] [--format envfile|json] <app>|--global [FILE]',
    access: 'app',
    valueFlags: ['format'],
    booleanFlags: ['no-restart', 'replace', 'global'],
    async run(ctx, args) {
      const { scope, rest } = scopeOf(ctx, args, 1);
      const text = await readImport(ctx, rest[0]);
      const wanted = args.flags.format ?? 'envfile';
      if (wanted !== 'envfile' && wanted !== 'json') throw new UserError('Import format must be envfile or json');
      const values = wanted === 'json' ? parseJsonEnv(text) : parseEnvFile(text);
      const { config } = ctx.platform.state;
      checkTotalSize(args.flags.replace ? values : { ...config.get(scope), ...values });
      if (args.flags.replace) config.replace(scope, values);
      else config.set(scope, values);
      ctx.out.out(format.step(`Importing ${Object.keys(values).length} config vars`));
      return restartAfterChange(ctx, scope, args, describeKeys('Import', sortedKeys(values)));
    },
  },
];

async function readImport(ctx: CommandContext, file: string | undefined): Promise<string> {
  if (file === undefined || file === '-') return readAll(ctx.stdin, IMPORT_LIMIT);
  return readHostFile(ctx, file, IMPORT_LIMIT, 'Over SSH, send the file on stdin');
}
