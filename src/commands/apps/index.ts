import {
  autocreates,
  cloneApp,
  createApp,
  destroyApp,
  isLocked,
  LOCKED_PROPERTY,
  renameApp,
  setAutocreationDisabled,
  setLocked,
} from '../../apps/index.js';
import { mayUseApp } from '../../access/index.js';
import { UserError } from '../../core/errors.js';
import { isValidAppName } from '../../core/names.js';
import { format } from '../../core/output.js';
import { archiveCommit } from '../../git/archive.js';
import { deployBranchOf, keepsGitDir } from '../../git/settings.js';
import { branchRev, repoPath } from '../../git/repos.js';
import { confirmDestruction } from '../confirm.js';
import { isDeployed, runDeploy } from '../deploys.js';
import { setCommand } from '../set-command.js';
import { action, query, type AppReport, type Command, type CommandContext, type Namespace } from '../types.js';

const when = (ms: number) => new Date(ms).toISOString();
const waiting = (ctx: CommandContext) => () =>
  ctx.out.out(format.detail('Waiting for the deploy in progress to finish...'));

const report: AppReport = {
  name: 'apps',
  summary: 'Show when the app was made, what it runs and whether it is locked',
  rows(ctx, app) {
    const current = ctx.platform.state.releases.current(app.name);
    return [
      ['App created at', when(app.createdAt)],
      ['App deploy source', current ? (current.rev ? 'git' : 'image') : ''],
      ['App deploy source metadata', current?.rev ?? (current ? current.image : '')],
      ['App dir', repoPath(ctx.platform.settings.reposDir, app.name)],
      ['App deploy branch', deployBranchOf(ctx.platform, app.name)],
      ['App locked', String(isLocked(ctx.platform, app.name))],
      ['App current release', current ? `v${current.version}` : ''],
      ['App global disable autocreation', String(!autocreates(ctx.platform))],
    ];
  },
};

/** Builds the app's deploy branch and deploys it, as a push would (ps:rebuild, apps:clone). */
export async function rebuildApp(ctx: CommandContext, app: string, branch: string): Promise<number> {
  const { reposDir, buildsDir } = ctx.platform.settings;
  const rev = await branchRev(reposDir, app, branch);
  if (!rev) throw new UserError(`Cannot build from '${branch}' as there are no commits stored at that branch.`);
  const keepGitDir = keepsGitDir(ctx.platform, app) ? { branch } : undefined;
  const tarPath = archiveCommit({ gitDir: repoPath(reposDir, app), rev, buildsDir, app, keepGitDir });
  return runDeploy(ctx, { kind: 'git', app, rev, tarPath });
}

const lockCommand = (locked: boolean): Command =>
  action({
    name: locked ? 'apps:lock' : 'apps:unlock',
    summary: locked
      ? 'Refuse deploys of new code (pushes, rebuilds, rollbacks) until apps:unlock'
      : 'Allow deploys again',
    args: ['app'],
    access: 'app',
    run(ctx, { app }) {
      setLocked(ctx.platform, app.name, locked);
      ctx.out.out(format.step(`Deploy ${locked ? 'lock created' : 'lock removed'} for ${app.name}`));
    },
  });

const commands: Command[] = [
  action({
    name: 'apps:create',
    summary: 'Create a new app',
    args: ['<app>'],
    access: 'admin',
    async run({ platform, out, lifecycle }, args) {
      const app = await createApp(platform, args.named.app, lifecycle);
      out.out(format.step(`Creating ${app.name}...`));
    },
  }),
  query({
    name: 'apps:list',
    summary: 'List your apps',
    args: [],
    access: 'anyone',
    valueFlags: ['format'],
    read: ({ platform, caller }) =>
      platform.state.apps
        .list()
        .map((a) => a.name)
        .filter((name) => mayUseApp(platform.state, caller, name)),
    render: {
      text(names, out) {
        if (names.length === 0) return out.err(format.error("You haven't deployed any applications yet"));
        out.out(format.section('My Apps'));
        names.forEach((name) => out.out(name));
      },
    },
  }),
  action({
    name: 'apps:exists',
    summary: 'Exit 0 if the app exists, 1 if not',
    args: ['<app>'],
    access: 'app',
    run({ platform, out }, { named }) {
      const name = named.app;
      if (isValidAppName(name) && platform.state.apps.get(name)) {
        out.out(format.step('App exists'));
        return 0;
      }
      out.err(format.error('App does not exist'));
      return 1;
    },
  }),
  action({
    name: 'apps:destroy',
    summary: 'Destroy an app, its containers, images, repository and history',
    args: ['app'],
    access: 'admin', // a tenant who could destroy or rename could free or take a name the admin relies on
    booleanFlags: ['force'],
    async run(ctx, args) {
      const app = args.app;
      await confirmDestruction(ctx, 'app', app.name, Boolean(args.flags.force));
      ctx.out.out(format.step(`Destroying ${app.name} (including all add-ons)`));
      await destroyApp(ctx.platform, app, ctx.lifecycle, waiting(ctx));
    },
  }),
  action({
    name: 'apps:rename',
    summary: 'Rename an app: its history, config and settings move, and it is deployed under the new name',
    args: ['app', '<new-app>'],
    access: 'admin',
    async run(ctx, args) {
      const app = args.app;
      const to = await renameApp(ctx.platform, app, args.named['new-app'], ctx.lifecycle, waiting(ctx));
      ctx.out.out(format.step(`Renamed ${app.name} to ${to}`));
      if (!isDeployed(ctx, to)) return 0;
      return runDeploy(ctx, { kind: 'restart', app: to, reason: 'restart' });
    },
  }),
  action({
    name: 'apps:clone',
    summary: 'Make a new app with the code, config and settings of another, and deploy it',
    args: ['app', '<new-app>'],
    access: 'admin',
    booleanFlags: ['skip-deploy'],
    async run(ctx, args) {
      const source = args.app;
      const clone = await cloneApp(ctx.platform, source, args.named['new-app'], ctx.lifecycle);
      ctx.out.out(format.step(`Cloned ${source.name} to ${clone.name}`));
      if (
        args.flags['skip-deploy'] ||
        !(await branchRev(ctx.platform.settings.reposDir, clone.name, deployBranchOf(ctx.platform, clone.name)))
      )
        return 0;
      return rebuildApp(ctx, clone.name, deployBranchOf(ctx.platform, clone.name));
    },
  }),
  lockCommand(true),
  lockCommand(false),
  setCommand({
    name: 'apps:set',
    summary: 'Set disable-autocreation (--global): true refuses a push to an app that does not exist',
    property: 'disable-autocreation',
    values: 'true|false',
    global: true,
    access: 'admin',
    set: (ctx, scope, value) => setAutocreationDisabled(ctx.platform, scope, value),
  }),
  action({
    name: 'apps:locked',
    summary: 'Exit 0 if the app is locked, 1 if not',
    args: ['app'],
    access: 'app',
    run(ctx, { app }) {
      const locked = isLocked(ctx.platform, app.name);
      if (locked) ctx.out.out(format.step('Deploy lock exists'));
      else ctx.out.err(format.error('Deploy lock does not exist'));
      return locked ? 0 : 1;
    },
  }),
];

export const appsNamespace: Namespace = {
  name: 'apps',
  commands,
  report,
  lifecycle: {
    notCloned: [LOCKED_PROPERTY],
    // The formation is the app's own record: a clone runs the same processes.
    async clone(platform, from, to) {
      platform.state.apps.setFormation(to, platform.state.apps.get(from)!.formation);
    },
  },
};
