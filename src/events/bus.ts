import { lineLog } from '../core/log.js';

/**
 * A small typed publish/subscribe bus: what happened in the daemon, for whoever listens
 * (the API's event stream today). Events are plain data, discriminated by `type`. A
 * listener that throws is cut off alone: one broken stream never stops the others.
 */
export class EventBus<E extends { type: string }> {
  private readonly listeners = new Set<(event: E) => void>();

  /** Calls `listener` with every event published from now on, until the returned function is called. */
  subscribe(listener: (event: E) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  publish(event: E): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.listeners.delete(listener);
        lineLog()('an event listener failed and was removed', { level: 'error', err: error });
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
