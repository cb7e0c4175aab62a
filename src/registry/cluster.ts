import path from 'node:path';
import type { Settings } from '../settings.js';
import { GLOBAL_SCOPE, type State } from '../state/index.js';
import { ClusterCa } from './ca.js';
import { ImageRegistry } from './image-registry.js';

/** Set by scheduler-swarm:init: where the nodes reach the registry. */
export const REGISTRY_PROPERTY = 'scheduler-swarm.registry';

export const clusterCa = (settings: Settings) => new ClusterCa(path.join(settings.dataDir, 'cluster'));

/** The registry, once scheduler-swarm:init has said where it listens. */
export function clusterRegistry(settings: Settings, state: State): ImageRegistry | undefined {
  const address = state.properties.get(GLOBAL_SCOPE, REGISTRY_PROPERTY);
  if (!address) return undefined;
  return new ImageRegistry({
    dir: path.join(settings.dataDir, 'registry'),
    address,
    bin: settings.registryBin,
    ca: clusterCa(settings),
  });
}
