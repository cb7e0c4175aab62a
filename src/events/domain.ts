import { randomUUID } from 'node:crypto';
import { EventBus } from './bus.js';
import { CrashLoops } from './crash-loops.js';
import type { DomainEvent, DomainEventFields, DomainEventType } from '../model/domain-events.js';

export type { DomainEvent, DomainEventFields, DomainEventType } from '../model/domain-events.js';

export const DOMAIN_EVENT_TYPES = [
  'deploy.started',
  'deploy.succeeded',
  'deploy.failed',
  'app.crashed',
  'app.restarted',
  'app.recovered',
  'app.crash_loop',
  'app.crash_loop_recovered',
  'app.scaled',
  'config.changed',
  'domain.added',
  'domain.removed',
  'cert.added',
  'cert.renewal_failed',
  'cert.expiring',
  'backup.succeeded',
  'backup.failed',
  'node.down',
  'node.up',
] as const satisfies readonly DomainEventType[];

/** An event as published: its fields with a new id and the time now. */
export function domainEvent<T extends DomainEventType>(type: T, fields: DomainEventFields[T]): DomainEvent {
  return { type, id: randomUUID(), at: new Date().toISOString(), ...fields } as DomainEvent;
}

/** The app an event concerns, when it concerns one (a node or a service backup concerns none). */
export function eventApp(event: DomainEvent): string | null {
  return 'app' in event ? event.app : null;
}

/**
 * The platform's event stream. `publish` never throws and never waits: listeners are called
 * synchronously and must hand slow work (deliveries) off, and one that throws is cut off
 * alone (EventBus), so telling someone never blocks or fails the action that happened.
 * A crash loop is told as one event when it starts and one when it ends (CrashLoops).
 */
export class DomainEvents {
  private readonly bus = new EventBus<DomainEvent>();
  private readonly crashLoops = new CrashLoops((type, fields) => this.bus.publish(domainEvent(type, fields)));

  publish<T extends DomainEventType>(type: T, fields: DomainEventFields[T]): void {
    const event = domainEvent(type, fields);
    if (this.crashLoops.pass(event)) this.bus.publish(event);
  }

  subscribe(listener: (event: DomainEvent) => void): () => void {
    return this.bus.subscribe(listener);
  }
}
