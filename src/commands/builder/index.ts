import { BUILDERS, purgeCache, selectBuilder, selectedBuilder, type Builder } from '../../builder/index.js';
import { removeAppImages, tagReleaseImages } from '../../builder/images.js';
import { UserError } from '../../core/errors.js';
import { setCommand } from '../set-command.js';
import type { AppReport, Namespace } from '../types.js';

const report: AppReport = {
  name: 'builder',
  summary: 'Show how the app is built',
  rows(ctx, app) {
    const selected = selectedBuilder(ctx.platform, app.name);
    return [
      ['Builder selected', selected ?? ''],
      ['Builder computed selected', selected ?? 'detected on each push (Dockerfile, else herokuish)'],
    ];
  },
};

/** How apps are built, and the images and caches builds leave. */
export const builderNamespace: Namespace = {
  name: 'builder',
  report,
  lifecycle: {
    async destroy(platform, app) {
      await removeAppImages(platform, app);
      await purgeCache(platform, app);
    },
    // Release images are tagged under the new name before the records point at them.
    beforeRename: tagReleaseImages,
    async rename(platform, from) {
      await removeAppImages(platform, from);
      await purgeCache(platform, from);
    },
  },
  commands: [
    setCommand({
      name: 'builder:set',
      summary: `Choose how the app is built (${BUILDERS.join('|')}); no value goes back to detection`,
      property: 'selected',
      values: BUILDERS.join('|'),
      label: 'builder selected',
      set(ctx, app, value) {
        if (value !== undefined && !BUILDERS.includes(value as Builder))
          throw new UserError(`Invalid builder: ${value} (${BUILDERS.join(', ')})`);
        selectBuilder(ctx.platform, app, value as Builder | undefined);
      },
    }),
  ],
};
