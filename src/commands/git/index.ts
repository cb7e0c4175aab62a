import { UserError } from '../../core/errors.js';
import { copyRepo, moveRepo, removeRepo } from '../../git/repos.js';
import { deployBranchOf, GIT_PROPERTIES, ownGitValue, revEnvVarOf, setGitProperty } from '../../git/settings.js';
import { GLOBAL_SCOPE } from '../../state/index.js';
import { runDeploy } from '../deploys.js';
import { setCommand } from '../set-command.js';
import type { AppReport, Namespace } from '../types.js';

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
      summary: 'Set deploy-branch (pushes to other branches deploy nothing) or rev-env-var (the variable a deploy sets to its commit; \'\' for none)',
      property: GIT_PROPERTIES,
      values: 'value',
      global: true,
      set: (ctx, scope, value, property) => setGitProperty(ctx.platform, scope, property, value),
    }),
    {
      name: 'git:from-image',
      summary: 'Deploy an image that is already on this host, as the next release',
      args: ['app', '<image>'],
      access: 'admin',
      async run(ctx, args) {
        const image = args.named.image!;
        if (!/^[a-z0-9][a-z0-9._/:@-]{0,254}$/.test(image)) throw new UserError('Give a valid image reference, e.g. myorg/app:1.2');
        return runDeploy(ctx, { kind: 'image', app: args.app!.name, image });
      },
    },
  ],
};
