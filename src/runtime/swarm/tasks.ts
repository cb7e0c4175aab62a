/**
 * Pure: which tasks of a service hold its slots. Swarm replaces a task (its node drained or
 * down, its container exited) by setting the old one's desired state to `shutdown` and
 * creating a new one in the same slot with desired state `ready`, which becomes `running` once
 * the old task has stopped and the restart delay has passed. Until then the slot is Swarm's to
 * fill: it is neither missing nor extra.
 */
import type { SwarmTask } from '../docker/index.js';

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
