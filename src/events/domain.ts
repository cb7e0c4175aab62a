import { randomUUID } from 'node:crypto';
import { EventBus } from './bus.js';
import { CrashLoops } from './crash-loops.js';

/**
 * What happened to apps, services and nodes, as facts worth telling someone (webhooks
 * today): one typed stream the platform owns. Each kind names what it carries; none carries
 * a config value or a secret (config changes name their keys only).
 */
export interface DomainEventFields {
  /** A deploy job began (push, image, config change, rollback, restart, scale). */
  'deploy.started': DeployFields;
  'deploy.succeeded': DeployFields & { release: number | null };
  'deploy.failed': DeployFields & { release: number | null; error: string };
  /** A container of the app stopped that no deploy was retiring. */
  'app.crashed': { app: string; process: string; container: string };
  /** The reconciler found processes missing and asked for a restart deploy. */
  'app.restarted': { app: string; release: number; missing: string[] };
  /** A restart the reconciler asked for put the app's processes back. */
  'app.recovered': { app: string; release: number };
  /** A process crashed `crashes` times within `window_seconds`: its further crashes, restarts and recoveries are only counted. */
  'app.crash_loop': { app: string; process: string; crashes: number; window_seconds: number };
  /** A crash-looping process ran a while without crashing after a restart or deploy; `seconds` since the loop's first crash. */
  'app.crash_loop_recovered': { app: string; process: string; crashes: number; seconds: number };
  'app.scaled': { app: string; formation: Record<string, number>; by: string };
  /** `app` is null for the global config. Keys only, never values. */
  'config.changed': { app: string | null; keys: string[]; by: string };
  'domain.added': { app: string; domains: string[]; by: string };
  'domain.removed': { app: string; domains: string[]; by: string };
  'cert.added': { app: string; expires_at: string; by: string };
  'cert.renewal_failed': { app: string; error: string };
  'cert.expiring': { app: string; expires_at: string; days_left: number };
  'backup.succeeded': { service: string; bucket: string; file: string };
  'backup.failed': { service: string; bucket: string; error: string };
  'node.down': { node: string; address: string };
  'node.up': { node: string; address: string };
}

interface DeployFields {
  app: string;
  deploy: string;
  /** git, image, config, rollback or restart. */
  kind: string;
  /** The key (or `slipway` for the reconciler) that asked for it. */
  by: string;
  /** The commit pushed, when a push. */
  rev: string | null;
}

export type DomainEventType = keyof DomainEventFields;
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

/** One event as published: its kind, a unique id (receivers drop repeats by it), when, and what it carries. */
export type DomainEvent = {
  [T in DomainEventType]: { type: T; id: string; at: string } & DomainEventFields[T];
}[DomainEventType];

function domainEvent<T extends DomainEventType>(type: T, fields: DomainEventFields[T]): DomainEvent {
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
