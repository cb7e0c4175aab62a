import { UserError } from '../../core/errors.js';
import { copyRepo, moveRepo, removeRepo } from '../../git/repos.js';
import { runDeploy } from '../deploys.js';
import type { Namespace } from '../types.js';

/** The app's repository, and deploys that come from elsewhere than a push. */
export const gitNamespace: Namespace = {
  name: 'git',
  lifecycle: {
    destroy: async (platform, app) => removeRepo(platform.settings.reposDir, app),
    rename: async (platform, from, to) => moveRepo(platform.settings.reposDir, from, to),
    clone: (platform, from, to) => copyRepo(platform.settings.reposDir, from, to),
  },
  commands: [
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
