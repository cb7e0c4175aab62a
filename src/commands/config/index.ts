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
} from '../../config/env.js';
import { UserError } from '../../core/errors.js';
import { readAll } from '../../core/input.js';
import { format } from '../../core/output.js';
import { GLOBAL_SCOPE, type Env } from '../../state/index.js';
import { isDeployed, runDeploy } from '../deploys.js';
import { readHostFile } from '../host-file.js';
import { action, query, type Command, type CommandArgs, type CommandContext, type Namespace } from '../types.js';
import type { Output } from '../../core/output.js';

const IMPORT_LIMIT = 1024 * 1024;

/** The app named, or `--global`. */
const scopeOf = (args: CommandArgs) => (args.app ? args.app.name : GLOBAL_SCOPE);
function envFor(ctx: CommandContext, scope: string, merged: boolean): Env {
  const { config } = ctx.platform.state;
  if (scope === GLOBAL_SCOPE || !merged) return config.get(scope);
  return { ...config.get(GLOBAL_SCOPE), ...config.get(scope) };
}

/** After a change to an app's config: a new release, live with no build, unless told not to. */
async function restartAfterChange(
  ctx: CommandContext,
  scope: string,
  args: CommandArgs,
  description: string,
  keys: string[],
) {
  ctx.platform.events.publish('config.changed', {
    app: scope === GLOBAL_SCOPE ? null : scope,
    keys: [...keys].sort(),
    by: ctx.caller.name,
  });
  if (scope === GLOBAL_SCOPE || args.flags['no-restart'] || !isDeployed(ctx, scope)) return 0;
  ctx.out.out(format.step(`Restarting app ${scope}`));
  return runDeploy(ctx, { kind: 'config', app: scope, description });
}

const describeKeys = (verb: string, keys: string[]) => `${verb} ${keys.join(', ')} config vars`.slice(0, 2000);

/** `config` and `config:show`: the env vars of an app or the global ones. */
const showCommand = (name: string, summary: string) =>
  query({
    name,
    summary,
    args: ['app'],
    appOr: '--global',
    access: 'app',
    booleanFlags: ['merged', 'global'],
    read: (ctx, args) => ({ scope: scopeOf(args), env: envFor(ctx, scopeOf(args), Boolean(args.flags.merged)) }),
    render: {
      text({ scope, env }, out: Output) {
        out.out(format.section(`${scope === GLOBAL_SCOPE ? 'global' : scope} env vars`));
        columns(env).forEach((line) => out.out(line));
      },
    },
  });

const commands: Command[] = [
  showCommand('config', 'Show the env config of an app or the global one (alias of config:show)'),
  showCommand('config:show', 'Show the env config of an app or the global one'),
  action({
    name: 'config:get',
    summary: 'Print one config value (exit 1 when unset)',
    args: ['app', '<KEY>'],
    missing: { KEY: 'Expected exactly one key' },
    appOr: '--global',
    access: 'app',
    booleanFlags: ['quoted', 'global', 'merged'],
    run(ctx, args) {
      const value = envFor(ctx, scopeOf(args), Boolean(args.flags.merged))[validateKey(args.named.KEY)];
      if (value === undefined) return 1;
      ctx.out.out(args.flags.quoted ? quoteForShell(value) : value);
    },
  }),
  query({
    name: 'config:keys',
    summary: 'List the config keys',
    args: ['app'],
    appOr: '--global',
    access: 'app',
    booleanFlags: ['merged', 'global'],
    read: (ctx, args) => sortedKeys(envFor(ctx, scopeOf(args), Boolean(args.flags.merged))),
    render: { text: (keys, out) => keys.forEach((k) => out.out(k)) },
  }),
  action({
    // Its --format names the export format, so it prints for itself.
    name: 'config:export',
    summary: `Print the config for a shell or a tool (--format ${EXPORT_FORMATS.join('|')})`,
    args: ['app'],
    appOr: '--global',
    access: 'app',
    valueFlags: ['format'],
    booleanFlags: ['merged', 'global'],
    run(ctx, args) {
      const wanted = (args.flags.format ?? 'exports') as ExportFormat;
      if (!EXPORT_FORMATS.includes(wanted)) throw new UserError(`Unknown export format: ${wanted}`);
      const text = exportEnv(envFor(ctx, scopeOf(args), Boolean(args.flags.merged)), wanted);
      if (text) ctx.out.out(text);
    },
  }),
  action({
    name: 'config:set',
    summary: 'Set config vars and restart the app with them (a new release, no build)',
    args: ['app', '[KEY=VALUE…]'],
    appOr: '--global',
    access: 'app',
    booleanFlags: ['no-restart', 'encoded', 'global'],
    async run(ctx, args) {
      const scope = scopeOf(args);
      const values = parsePairs(args.rest, Boolean(args.flags.encoded));
      const { config } = ctx.platform.state;
      checkTotalSize({ ...config.get(scope), ...values });
      config.set(scope, values);
      ctx.out.out(format.step('Setting config vars'));
      columns(values).forEach((line) => ctx.out.out(format.detail(line)));
      return restartAfterChange(ctx, scope, args, describeKeys('Set', sortedKeys(values)), Object.keys(values));
    },
  }),
  action({
    name: 'config:unset',
    summary: 'Remove config vars and restart the app without them',
    args: ['app', '<KEY…>'],
    missing: { KEY: 'At least one key must be given' },
    appOr: '--global',
    access: 'app',
    booleanFlags: ['no-restart', 'global'],
    async run(ctx, args) {
      const scope = scopeOf(args);
      const keys = args.rest.map(validateKey);
      const removed = ctx.platform.state.config.unset(scope, keys);
      for (const key of keys) {
        ctx.out.out(
          format.step(removed.includes(key) ? `Unsetting ${key}` : `Skipping ${key}, it is not set in the environment`),
        );
      }
      if (removed.length === 0) return 0;
      return restartAfterChange(ctx, scope, args, describeKeys('Unset', removed), removed);
    },
  }),
  action({
    name: 'config:clear',
    summary: 'Remove every config var and restart the app',
    args: ['app'],
    appOr: '--global',
    access: 'app',
    booleanFlags: ['no-restart', 'global'],
    async run(ctx, args) {
      const scope = scopeOf(args);
      const cleared = Object.keys(ctx.platform.state.config.get(scope));
      ctx.platform.state.config.replace(scope, {});
      ctx.out.out(format.step('Clearing config vars'));
      return restartAfterChange(ctx, scope, args, 'Clear config vars', cleared);
    },
  }),
  action({
    name: 'config:import',
    summary: 'Set config vars from an env file or JSON on stdin (or a file on the host)',
    args: ['app', '[FILE]'],
    appOr: '--global',
    access: 'app',
    valueFlags: ['format'],
    booleanFlags: ['no-restart', 'replace', 'global'],
    async run(ctx, args) {
      const scope = scopeOf(args);
      const text = await readImport(ctx, args.named.FILE);
      const wanted = args.flags.format ?? 'envfile';
      if (wanted !== 'envfile' && wanted !== 'json') throw new UserError('Import format must be envfile or json');
      const values = wanted === 'json' ? parseJsonEnv(text) : parseEnvFile(text);
      const { config } = ctx.platform.state;
      checkTotalSize(args.flags.replace ? values : { ...config.get(scope), ...values });
      if (args.flags.replace) config.replace(scope, values);
      else config.set(scope, values);
      ctx.out.out(format.step(`Importing ${Object.keys(values).length} config vars`));
      return restartAfterChange(ctx, scope, args, describeKeys('Import', sortedKeys(values)), Object.keys(values));
    },
  }),
];

async function readImport(ctx: CommandContext, file: string | undefined): Promise<string> {
  if (file === undefined || file === '-') return readAll(ctx.stdin, IMPORT_LIMIT);
  return readHostFile(ctx, file, IMPORT_LIMIT, 'Over SSH, send the file on stdin');
}

export const configNamespace: Namespace = {
  name: 'config',
  commands,
  lifecycle: {
    async clone(platform, from, to) {
      platform.state.config.replace(to, platform.state.config.get(from));
    },
  },
};
