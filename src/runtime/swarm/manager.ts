import { LABEL } from '../../model/labels.js';
import type { DockerEngine, SwarmInfo, SwarmNode } from '../docker/index.js';
import { HELD_DESIRED_STATES } from './tasks.js';

export type { SwarmInfo, SwarmNode };

/** A task of one of this instance's apps on a node, as `nodes:report` lists it. */
export interface NodeTask {
  app: string;
  process: string;
  index: number;
  release: number;
  /** Swarm's state of the task: `running`, or on its way there (`preparing`, `starting`, …). */
  state: string;
}

/**
 * The swarm itself, as the cluster module manages it: this engine as manager, the join
 * tokens, the nodes. The one way anything outside the runtime reaches Swarm's nodes.
 */
export class SwarmManager {
  constructor(
    private readonly docker: DockerEngine,
    private readonly instance: string,
  ) {}

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

  /** The tasks of this instance's apps that Swarm runs, or is starting, on a node; by app, process and slot. */
  async tasksOn(node: SwarmNode): Promise<NodeTask[]> {
    const services = await this.docker.swarm.services({ [LABEL.instance]: this.instance });
    const labelsOf = new Map(services.filter((s) => s.labels[LABEL.process]).map((s) => [s.id, s.labels]));
    const tasks = await this.docker.swarm.tasks({ nodeId: node.id, desiredState: HELD_DESIRED_STATES });
    return tasks
      .filter((task) => labelsOf.has(task.serviceId))
      .map((task) => {
        const labels = labelsOf.get(task.serviceId)!;
        return {
          app: labels[LABEL.app] ?? '',
          process: labels[LABEL.process]!,
          index: task.slot,
          release: Number(labels[LABEL.release]),
          state: task.state,
        };
      })
      .sort((a, b) => a.app.localeCompare(b.app) || a.process.localeCompare(b.process) || a.index - b.index);
  }

  removeNode(id: string, force: boolean): Promise<void> {
    return this.docker.swarm.removeNode(id, force);
  }
}
