import path from 'node:path';
import { buildStackImages, stackImages } from '../build/stack.js';
import { format } from '../core/output.js';
import { allServiceKinds, ensureServiceImage } from '../services/index.js';
import { requireNoMoreArgs } from './args.js';
import type { Command } from './types.js';

export const stackCommands: Command[] = [
  {
    name: 'stack:build',
    summary: 'Build the stack and service images from Debian (no registry needed)',
    usage: '[--if-missing]',
    booleanFlags: ['if-missing'],
    access: 'admin',
    async run({ platform, out }, args) {
      requireNoMoreArgs(args, 0);
      const { docker, settings } = platform;
      const images = Object.values(stackImages(settings.stackImage));
      out.out(format.step(`Building stack images ${images.join(', ')}`));
      const built = await buildStackImages({
        docker,
        image: settings.stackImage,
        mirror: settings.debianMirror,
        workDir: path.join(settings.dataDir, 'tmp'),
        rebuild: !args.flags['if-missing'],
        onLine: (line) => out.out(format.detail(line)),
      });
      out.out(format.step(built.length ? `Built ${built.join(', ')}` : 'Stack images are present'));
      for (const kind of allServiceKinds) {
        await ensureServiceImage(platform, kind, (line) => out.out(format.detail(line)), built.length > 0);
      }
    },
  },
];
