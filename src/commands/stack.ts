import path from 'node:path';
import { buildStack } from '../build/stack.js';
import { format } from '../core/output.js';
import { requireNoMoreArgs } from './args.js';
import type { Command } from './types.js';

export const stackCommands: Command[] = [
  {
    name: 'stack:build',
    summary: 'Build the base image apps are built on, from Debian (no registry needed)',
    usage: '[--if-missing]',
    booleanFlags: ['if-missing'],
    adminOnly: true,
    async run({ platform, out }, args) {
      requireNoMoreArgs(args, 0);
      const { docker, settings } = platform;
      if (args.flags['if-missing'] && (await docker.imageExists(settings.stackImage))) {
        out.out(format.step(`Stack image ${settings.stackImage} is present`));
        return;
      }
      out.out(format.step(`Building stack image ${settings.stackImage}`));
      await buildStack({
        docker,
        image: settings.stackImage,
        mirror: settings.debianMirror,
        workDir: path.join(settings.dataDir, 'tmp'),
        onLine: (line) => out.out(format.detail(line)),
      });
      out.out(format.step(`Stack image ${settings.stackImage} built`));
    },
  },
];
