/**
 * Pure: which tasks of a service hold its slots. Swarm replaces a task (its node drained or
 * down, its container exited) by setting the old one's desired state to `shutdown` and
 * creating a new one in the same slot with desired state `ready`, which becomes `running` once
 * the old task has stopped and the restart delay has passed. Until then the slot is Swarm's to
 * fill: it is neither missing nor extra.
 */
import type { SwarmNode, SwarmTask } from '../docker/index.js';
import type { InstanceEvent } from '../scheduler.js';

/** The desired states of a task Swarm means to run (`ready`: a replacement about to start). */
export const HELD_DESIRED_STATES = ['running', 'ready'];

/** Per slot, the newest task Swarm means to run there; by slot. */
export function slotHolders(tasks: SwarmTask[]): SwarmTask[] {
  const bySlot = new Map<number, SwarmTask>();
  for (const task of [...tasks].sort((a, b) => b.created - a.created)) {
    if (HELD_DESIRED_STATES.includes(task.desiredState) && !bySlot.has(task.slot)) bySlot.set(task.slot, task);
  }
  return [...bySlot.values()].sort((a, b) => a.slot - b.slot);
}

/** A task of this instance's apps, as the watch sees it at each look. */
export interface WatchedTask {
  app: string;
  /** Its service's process type: a task that stops names it, as a container's death does. */
  process: string;
  running: boolean;
  nodeId: string;
  /** `host:port` where nginx reaches it, for a web task on a node that is up. */
  endpoint: string | undefined;
}

/** What the watch learnt from the probes and the node list: which tasks nginx cannot reach now. */
export interface Reach {
  /** The node is not `ready` in Swarm's list (down, or unknown). */
  nodeDown(nodeId: string): boolean;
  /** The endpoint failed its recent probes. */
  unanswered(endpoint: string): boolean;
}

const cutOff = (task: WatchedTask, reach: Reach) =>
  reach.nodeDown(task.nodeId) || (task.endpoint !== undefined && reach.unanswered(task.endpoint));
/** Whether a task can take traffic: running, and reachable where nginx sends it. */
const live = (task: WatchedTask | undefined, reach: Reach) =>
  task !== undefined && task.running && !cutOff(task, reach);

/**
 * Pure: the events between two looks. A task that starts running, or answers again, has
 * started; one that stopped, went, or that nginx can no longer reach has died. A death is
 * `unreachable` when the task's node is down or its endpoint stopped answering: it may still
 * run over there, cut off, and a request waiting on it would wait for nothing.
 */
export function taskEvents(
  before: Map<string, WatchedTask>,
  now: Map<string, WatchedTask>,
  reachBefore: Reach,
  reach: Reach,
): InstanceEvent[] {
  const events: InstanceEvent[] = [];
  for (const [id, task] of now)
    if (live(task, reach) && !live(before.get(id), reachBefore))
      events.push({ action: 'start', id, app: task.app, process: task.process });
  for (const [id, task] of before) {
    if (!live(task, reachBefore) || live(now.get(id), reach)) continue;
    events.push({
      action: 'die',
      id,
      app: task.app,
      process: task.process,
      ...(cutOff(now.get(id) ?? task, reach) ? { unreachable: true } : {}),
    });
  }
  return events;
}

/** Pure: nodes that went down (left `ready`) or came back to it between two looks; a node new to the swarm is no event. */
export function nodeEvents(
  before: Map<string, Pick<SwarmNode, 'hostname' | 'address' | 'state'>>,
  now: Map<string, Pick<SwarmNode, 'hostname' | 'address' | 'state'>>,
): InstanceEvent[] {
  const events: InstanceEvent[] = [];
  for (const [id, node] of now) {
    const was = before.get(id);
    if (!was || (was.state === 'ready') === (node.state === 'ready')) continue;
    events.push({
      action: 'node',
      id,
      node: { name: node.hostname, address: node.address, up: node.state === 'ready' },
    });
  }
  return events;
}
