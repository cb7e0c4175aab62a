import { cloneApp, createApp, destroyApp, isLocked, renameApp, requireApp, setLocked } from '../apps/index.js';
import { isValidAppName } from '../core/names.js';
import { format } from '../core/output.js';
import { mayUseApp } from '../ssh/access.js';
import { UserError } from '../core/errors.js';
import { archiveCommit } from '../git/archive.js';
import { branchRev, repoPath } from '../git/repos.js';
import { onlyApp, outputFormat, requireNoMoreArgs } from './args.js';
import { confirmDestruction } from './confirm.js';
import { isDeployed, runDeploy } from './deploys.js';
import type { AppReport } from './reports.js';
import type { Command, CommandContext } from './types.js';

const when = (ms: number) => new Date(ms).toISOString();

export const appsReport: AppReport = {
  name: 'apps',
  summary: 'Show when the app was made, what it runs and whether it is locked',
  rows(ctx, app) {
    const current = ctx.platform.state.releases.current(app.name);
    return [
      ['App created at', when(app.createdAt)],
      ['App deploy source', current ? (current.rev ? 'git' : 'image') : ''],
      ['App deploy source metadata', current?.rev ?? (current ? current.image : '')],
      ['App dir', repoPath(ctx.platform.settings.reposDir, app.name)],
      ['App deploy branch', app.deployBranch],
      ['App locked', String(isLocked(ctx.platform, app.name))],
      ['App current release', current ? `v${current.version}` : ''],
    ];
  },
};

/** Builds the app's deploy branch and deploys it, as a push would (ps:rebuild, apps:clone). */
export async function rebuildApp(ctx: CommandContext, app: string, branch: string): Promise<number> {
  const { reposDir, buildsDir } = ctx.platform.settings;
  const rev = await branchRev(reposDir, app, branch);
  if (!rev) throw new UserError(`Cannot build from '${branch}' as there are no commits stored at that branch.`);
  const tarPath = archiveCommit({ gitDir: repoPath(reposDir, app), rev, buildsDir, app });
  return runDeploy(ctx, { kind: 'git', app, rev, tarPath });
}

const lockCommand = (locked: boolean): Command => ({
  name: locked ? 'apps:lock' : 'apps:unlock',
  summary: locked ? 'Refuse deploys of new code (pushes, rebuilds, rollbacks) until apps:unlock' : 'Allow deploys again',
  usage: '<app>',
  access: 'app',
  async run(ctx, args) {
    const app = onlyApp(ctx, args);
    setLocked(ctx.platform, app.name, locked);
    ctx.out.out(format.step(`Deploy ${locked ? 'lock created' : 'lock removed'} for ${app.name}`));
  },
});

export const appsCommands: Command[] = [
  {
    name: 'apps:create',
    summary: 'Create a new app',
    usage: '<app>',
    access: 'admin',
    async run({ platform, out }, args) {
      requireNoMoreArgs(args, 1);
      const app = await createApp(platform, args.positional[0]);
      out.out(format.step(`Creating ${app.name}...`));
    },
  },
  {
    name: 'apps:list',
    summary: 'List your apps',
    usage: '[--format stdout|json]',
    access: 'anyone',
    valueFlags: ['format'],
    async run({ platform, out, caller }, args) {
      requireNoMoreArgs(args, 0);
      const names = platform.state.apps.list().map((a) => a.name).filter((name) => mayUseApp(platform.state, caller, name));
      if (outputFormat(args) === 'json') return out.out(JSON.stringify(names));
      if (names.length === 0) return out.err(format.error("You haven't deployed any applications yet"));
      out.out(format.section('My Apps'));
      names.forEach((name) => out.out(name));
    },
  },
  {
    name: 'apps:exists',
    summary: 'Exit 0 if the app exists, 1 if not',
    usage: '<app>',
    access: 'app',
    async run({ platform, out }, args) {
      requireNoMoreArgs(args, 1);
      const name = args.positional[0];
      if (name !== undefined && isValidAppName(name) && platform.state.apps.get(name)) {
        out.out(format.step('App exists'));
        return 0;
      }
      out.err(format.error('App does not exist'));
      return 1;
    },
  },
  {
    name: 'apps:destroy',
    summary: 'Destroy an app, its containers, images, repository and history',
    usage: '<app> [--force]',
    access: 'app',
    booleanFlags: ['force'],
    async run(ctx, args) {
      const { platform, out } = ctx;
      requireNoMoreArgs(args, 1);
      const app = requireApp(platform, args.positional[0]);
      await confirmDestruction(ctx, 'app', app.name, Boolean(args.flags.force));
      out.out(format.step(`Destroying ${app.name} (including all add-ons)`));
      await destroyApp(platform, app, () => out.out(format.detail('Waiting for the deploy in progress to finish...')));
    },
  },
  {
    name: 'apps:rename',
    summary: 'Rename an app: its history, config and settings move, and it is deployed under the new name',
    usage: '<app> <new-app>',
    access: 'app',
    async run(ctx, args) {
      requireNoMoreArgs(args, 2);
      const app = requireApp(ctx.platform, args.positional[0]);
      const to = await renameApp(ctx.platform, app, args.positional[1], () => ctx.out.out(format.detail('Waiting for the deploy in progress to finish...')));
      ctx.out.out(format.step(`Renamed ${app.name} to ${to}`));
      if (!isDeployed(ctx, to)) return 0;
      return runDeploy(ctx, { kind: 'restart', app: to, reason: 'restart' });
    },
  },
  {
    name: 'apps:clone',
    summary: 'Make a new app with the code, config and settings of another, and deploy it',
    usage: '<app> <new-app> [--skip-deploy]',
    access: 'admin',
    booleanFlags: ['skip-deploy'],
    async run(ctx, args) {
      requireNoMoreArgs(args, 2);
      const source = requireApp(ctx.platform, args.positional[0]);
      const clone = await cloneApp(ctx.platform, source, args.positional[1]);
      ctx.out.out(format.step(`Cloned ${source.name} to ${clone.name}`));
      if (args.flags['skip-deploy'] || !(await branchRev(ctx.platform.settings.reposDir, clone.name, clone.deployBranch))) return 0;
      return rebuildApp(ctx, clone.name, clone.deployBranch);
    },
  },
  lockCommand(true),
  lockCommand(false),
  {
    name: 'apps:locked',
    summary: 'Exit 0 if the app is locked, 1 if not',
    usage: '<app>',
    access: 'app',
    async run(ctx, args) {
      const app = onlyApp(ctx, args);
      const locked = isLocked(ctx.platform, app.name);
      if (locked) ctx.out.out(format.step('Deploy lock exists'));
      else ctx.out.err(format.error('Deploy lock does not exist'));
      return locked ? 0 : 1;
    },
  },
];
