import { languageNamed } from '../../builder/languages.js';
import { buildPlatformLanguageImages, buildPlatformStack, languageImages, stackImages } from '../../builder/stack.js';
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
      /** A language's images too (`--language go`), ahead of its first build. */
      repeatableFlags: ['language'],
      access: 'admin',
      async run({ platform, out }, args) {
        const { language: named = [] } = args.lists; // absent when no --language is given
        const languages = named.map(languageNamed);
        const images = Object.values(stackImages(platform.settings.stackImage));
        out.out(format.step(`Building stack images ${images.join(', ')}`));
        const rebuild = !args.flags['if-missing'];
        const onLine = (line: string) => out.out(format.detail(line));
        const built = await buildPlatformStack(platform, { rebuild, onLine });
        out.out(format.step(built.length ? `Built ${built.join(', ')}` : 'Stack images are present'));
        for (const kind of allServiceKinds) {
          await ensureServiceImage(platform, kind, (line) => out.out(format.detail(line)), built.length > 0);
        }
        for (const language of languages) {
          out.out(
            format.step(
              `Building ${language.title} images ${Object.values(languageImages(platform.settings.stackImage, language)).join(', ')}`,
            ),
          );
          const made = await buildPlatformLanguageImages(platform, language, { rebuild, onLine });
          out.out(format.step(made.length ? `Built ${made.join(', ')}` : `${language.title} images are present`));
        }
      },
    }),
  ],
};
