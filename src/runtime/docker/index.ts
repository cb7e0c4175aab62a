import type { ProcessIo } from '../../model/terminal.js';
import { connectDocker, succeedsUnlessMissing, type DockerApi } from './api.js';
import { DockerContainers } from './containers.js';
import { watchContainerEvents } from './events.js';
import { execInContainer } from './exec.js';
import { DockerImages } from './images.js';
import { DockerNetworks, type SubnetPool } from './networks.js';
import { DockerOneOffs } from './one-off.js';
import { DockerSwarm } from './swarm.js';

export { BuildFailedError, RegistryError } from './streams.js';
export { OneOffTimeoutError, StandbyGoneError, type CompletionSpec } from './one-off.js';
export type { ContainerStatus, ContainerSummary } from './containers.js';
export type { ContainerUsage, UsageOptions } from './usage.js';
export type { ImageConfig } from './images.js';
export type { ContainerSpec, CreateRequest, OneOffSpec } from './requests.js';
export type { SubnetPool } from './networks.js';
export type { SwarmInfo, SwarmNode, SwarmServiceSummary, SwarmTask } from './swarm.js';
export { containerRequest, envList, oneOffRequest, execRequest } from './requests.js';

/**
 * The one module that talks to the Docker Engine API, by concern: images, long-running
 * containers, one-offs, exec, events, networks, volumes and swarm mode. Everything goes through the API,
 * never a shell string. Only the local scheduler and the build module hold one.
 */
export class DockerEngine {
  private readonly api: DockerApi;
  readonly images: DockerImages;
  readonly containers: DockerContainers;
  readonly oneOffs: DockerOneOffs;
  readonly networks: DockerNetworks;
  /** Swarm mode, when this engine is a manager: nodes, services, tasks. */
  readonly swarm: DockerSwarm;

  constructor(socketPath: string, subnets: SubnetPool) {
    this.api = connectDocker(socketPath);
    this.images = new DockerImages(this.api);
    this.containers = new DockerContainers(this.api);
    this.oneOffs = new DockerOneOffs(this.api);
    this.networks = new DockerNetworks(this.api, subnets);
    this.swarm = new DockerSwarm(this.api);
  }

  async ping(): Promise<void> {
    await this.api.ping();
  }

  exec(id: string, cmd: string[], io: ProcessIo & { user?: string; env?: Record<string, string> }): Promise<number> {
    return execInContainer(this.api, id, cmd, io);
  }

  watchContainers(
    labels: Record<string, string>,
    actions: string[],
    onEvent: (action: string, id: string, labels: Record<string, string>) => void,
    signal: AbortSignal,
  ) {
    return watchContainerEvents(this.api, labels, actions, onEvent, signal);
  }

  /**
   * Makes a named volume with these labels, so cleanup and the reconciler can find it (a
   * volume Docker makes by itself for a mount has none); an existing one is kept as it is.
   */
  async ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.api.createVolume({ Name: name, Labels: labels });
  }

  /** Removes a volume; false when there was none. */
  removeVolume(name: string): Promise<boolean> {
    return succeedsUnlessMissing(this.api.getVolume(name).remove());
  }
}
