import { ROUTED, unrouteApp } from '../../deploy/routes.js';
import type { Namespace } from '../types.js';

/** Routing of apps' traffic (Dokku's proxy): no commands yet, only what an app's lifecycle needs. */
export const proxyNamespace: Namespace = {
  name: 'proxy',
  commands: [],
  lifecycle: {
    notCloned: [ROUTED],
    destroy: async (platform, app) => void (await unrouteApp(platform, app)),
    beforeRename: async (platform, from) => void (await unrouteApp(platform, from)),
  },
};
