// The cluster's image registry: the process (image-registry.ts), its garbage (garbage.ts),
// where it is configured (cluster.ts) and the daemon's watch over it (supervisor.ts).
export { ClusterCa } from './ca.js';
export { clusterCa, clusterRegistry, REGISTRY_PROPERTY } from './cluster.js';
export { ImageRegistry, type RegistryAuth, type RegistryOptions } from './image-registry.js';
export { superviseRegistry } from './supervisor.js';
