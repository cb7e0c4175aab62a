import { buildPlatformStack, stackImages } from '../../build/stack.js';
import { format } from '../../core/output.js';
import { allServiceKinds, ensureServiceImage } from '../../services/index.js';
import { action, type Namespace } from '../types.js';

export const stackNamespace: Namespace = {
  name: 'stack',
  commands: [
  action({
    name: 'stack:build',
    summary: 'Build the stack and service images from Debian (no registry needed)',
    args: [],
    booleanFlags: ['if-missing'],
    access: 'admin',
    async run({ platform, out }, args) {
      const images = Object.values(stackImages(platform.settings.stackImage));
      out.out(format.step(`Building stack images ${images.join(', ')}`));
      const built = await buildPlatformStack(platform, { rebuild: !args.flags['if-missing'], onLine: (line) => out.out(format.detail(line)) });
      out.out(format.step(built.length ? `Built ${built.join(', ')}` : 'Stack images are present'));
      for (const kind of allServiceKinds) {
        await ensureServiceImage(platform, kind, (line) => out.out(format.detail(line)), built.length > 0);
      }
    },
  }),
  ],
};
