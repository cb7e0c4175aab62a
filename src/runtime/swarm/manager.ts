import type { DockerEngine, SwarmInfo, SwarmNode } from '../docker/index.js';

export type { SwarmInfo, SwarmNode };

/**
 * The swarm itself, as the cluster module manages it: this engine as manager, the join
 * tokens, the nodes. The one way anything outside the runtime reaches Swarm's nodes.
 */
export class SwarmManager {
  constructor(private readonly docker: DockerEngine) {}

  info(): Promise<SwarmInfo> {
    return this.docker.swarm.info();
  }

  init(advertiseAddress: string): Promise<string> {
    return this.docker.swarm.init(advertiseAddress);
  }

  joinTokens(): Promise<{ worker: string; manager: string }> {
    return this.docker.swarm.joinTokens();
  }

  nodes(): Promise<SwarmNode[]> {
    return this.docker.swarm.nodes();
  }

  setAvailability(node: SwarmNode, availability: 'active' | 'drain' | 'pause'): Promise<void> {
    return this.docker.swarm.updateNode(node, { availability });
  }

  setLabels(node: SwarmNode, labels: Record<string, string>): Promise<void> {
    return this.docker.swarm.updateNode(node, { labels });
  }

  removeNode(id: string, force: boolean): Promise<void> {
    return this.docker.swarm.removeNode(id, force);
  }
}
