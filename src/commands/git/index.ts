import { UserError } from '../../core/errors.js';
import { copyRepo, moveRepo, removeRepo } from '../../git/repos.js';
import {
  deployBranchOf,
  GIT_PROPERTIES,
  keepsGitDir,
  ownGitValue,
  revEnvVarOf,
  setGitProperty,
} from '../../git/settings.js';
import { syncRepo } from '../../git/sync.js';
import { loadImageArchive } from '../../builder/images.js';
import { format } from '../../core/output.js';
import { rebuildApp } from '../apps/index.js';
import { GLOBAL_SCOPE } from '../../state/index.js';
import { runDeploy } from '../deploys.js';
import { setCommand } from '../set-command.js';
import { action, type AppReport, type Namespace } from '../types.js';

function validImage(image: string): string {
  if (!/^[a-z0-9][a-z0-9._/:@-]{0,254}$/.test(image))
    throw new UserError('Give a valid image reference, e.g. myorg/app:1.2');
  return image;
}

const report: AppReport = {
  name: 'git',
  summary: 'Show which branch deploys the app, and the commit it runs',
  rows(ctx, app) {
    const { platform } = ctx;
    const current = platform.state.releases.current(app.name);
    return [
      ['Git deploy branch', deployBranchOf(platform, app.name)],
      ['Git global deploy branch', ownGitValue(platform, GLOBAL_SCOPE, 'deploy-branch') ?? ''],
      ['Git rev env var', revEnvVarOf(platform, app.name)],
      ['Git keep git dir', String(keepsGitDir(platform, app.name))],
      ['Git sha', current?.rev ?? ''],
      ['Git last updated at', current ? new Date(current.createdAt).toISOString() : ''],
    ];
  },
};

/** The app's repository, which branch deploys, and deploys that come from elsewhere than a push. */
export const gitNamespace: Namespace = {
  name: 'git',
  report,
  lifecycle: {
    destroy: async (platform, app) => removeRepo(platform.settings.reposDir, app),
    rename: async (platform, from, to) => moveRepo(platform.settings.reposDir, from, to),
    clone: (platform, from, to) => copyRepo(platform.settings.reposDir, from, to),
  },
  commands: [
    setCommand({
      name: 'git:set',
      summary:
        "Set deploy-branch (pushes to other branches deploy nothing), rev-env-var (the variable a deploy sets to its commit; '' for none) or keep-git-dir (true: builds get .git)",
      property: GIT_PROPERTIES,
      values: 'value',
      global: true,
      set: (ctx, scope, value, property) => setGitProperty(ctx.platform, scope, property, value),
    }),
    action({
      name: 'git:sync',
      summary:
        'Fetch a branch, tag or commit of another repository (an https URL; admins also a host path) into the app as its deploy branch; --build deploys it',
      args: ['app', '<repository>', '[ref]'],
      access: 'app',
      booleanFlags: ['build'],
      async run(ctx, args) {
        const app = args.app.name;
        const branch = deployBranchOf(ctx.platform, app);
        const { reposDir } = ctx.platform.settings;
        const source = args.named.repository;
        const { rev, previous } = await syncRepo({
          reposDir,
          app,
          branch,
          source,
          ref: args.named.ref,
          isAdmin: ctx.caller.isAdmin,
        });
        ctx.out.out(format.step(`Synced ${app}'s ${branch} to ${rev.slice(0, 12)} from ${source}`));
        if (!args.flags.build) return 0;
        if (rev === previous && ctx.platform.state.releases.current(app)?.rev === rev) {
          ctx.out.out(format.step('No changes: not building'));
          return 0;
        }
        return rebuildApp(ctx, app, branch);
      },
    }),
    action({
      name: 'git:load-image',
      summary:
        'Load an image archive (docker save output) from stdin and deploy the named image from it, as the next release',
      args: ['app', '<image>'],
      access: 'admin',
      async run(ctx, args) {
        const image = validImage(args.named.image);
        await loadImageArchive(ctx.platform, ctx.stdin, image, (line) => ctx.out.out(format.detail(line)));
        return runDeploy(ctx, { kind: 'image', app: args.app.name, image });
      },
    }),
    action({
      name: 'git:from-image',
      summary: 'Deploy an image that is already on this host, as the next release',
      args: ['app', '<image>'],
      access: 'admin',
      async run(ctx, args) {
        const image = validImage(args.named.image);
        return runDeploy(ctx, { kind: 'image', app: args.app.name, image });
      },
    }),
  ],
};
