import { restoreRoute } from '../../deploy/routes.js';
import { FORWARDED_PROPERTIES, forwardedHeaders, setForwarded } from '../../proxy/forwarding.js';
import { setCommand } from '../set-command.js';
import type { AppReport, Namespace } from '../types.js';

const report: AppReport = {
  name: 'nginx',
  summary: 'Show what nginx tells the app about its clients',
  rows(ctx, app) {
    const headers = forwardedHeaders(ctx.platform.state, app.name);
    return [
      ['Nginx x forwarded for value', headers.for],
      ['Nginx x forwarded port value', headers.port],
      ['Nginx x forwarded proto value', headers.proto],
    ];
  },
};

/** The app's nginx server block, as Dokku's nginx:set properties. */
export const nginxNamespace: Namespace = {
  name: 'nginx',
  report,
  commands: [
    setCommand({
      name: 'nginx:set',
      summary: `Set ${FORWARDED_PROPERTIES.join(', ')} (one nginx variable; no value: the default). Applies at once`,
      property: FORWARDED_PROPERTIES,
      values: '$variable',
      async set(ctx, app, value, property) {
        setForwarded(ctx.platform.state, app, property, value);
        await restoreRoute(ctx.platform, app);
      },
    }),
  ],
};
