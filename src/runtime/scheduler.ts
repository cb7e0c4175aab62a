/**
 * The scheduler seam, in the shape of Dokku's `scheduler-*` triggers: the deploy pipeline,
 * the commands and the reconciler say what should run, and a scheduler makes it so on its
 * engine. Callers never talk to Docker (or Swarm) themselves.
 */
import type { ProgressLog } from '../model/progress.js';
import type { Healthcheck } from '../model/release.js';
import type { ProcessIo, Terminal } from '../model/terminal.js';
import type { CheckOutcome } from './checks.js';
import type { ContainerUsage, UsageOptions } from './docker/index.js';

export type { ContainerUsage, UsageOptions };

/** Where a process answers: what the proxy sends traffic to. */
export interface Endpoint {
  host: string;
  port: number;
}

/** One process of an app: a container on one host, a task on a cluster. */
export interface Instance {
  id: string;
  name: string;
  process: string;
  index: number;
  release: number;
  running: boolean;
  /** Down, but its engine is bringing it back by its restart policy. */
  restarting: boolean;
  /** Where it answers while it runs, for processes that take traffic (web). */
  endpoint: Endpoint | undefined;
  /** The host port it answers on directly, when its port is published (proxy:disable). */
  hostPort?: number;
  /** When it was created, in seconds since the epoch (when the engine says). */
  created?: number;
  /** A one-off (run, run:detached, a cron run, a release task), listed only with `{ oneOffs: true }`. */
  oneOff?: boolean;
  /** The host it runs on, on a cluster (the Swarm node's hostname). */
  node?: string;
}

/** Whether instances run, as `ps:report`'s Running says it: `true` (all), `false` (none) or `mixed`. */
export function runningState(instances: Instance[]): 'true' | 'false' | 'mixed' {
  const running = instances.filter((i) => i.running).length;
  return running === 0 ? 'false' : running === instances.length ? 'true' : 'mixed';
}

/** How the processes of one type run: restart policy and resource limits. */
export interface ProcessOptions {
  restartPolicy: { name: string; maximumRetryCount?: number };
  memoryBytes?: number;
  nanoCpus?: number;
}

/** One process type of a release, as it should run. */
export interface ProcessSpec {
  app: string;
  release: number;
  image: string;
  process: string;
  env: Record<string, string>;
  /** Only processes that take traffic (web) get a PORT. */
  port: number | undefined;
  /** The command; undefined runs the image's own. */
  cmd: string[] | undefined;
  options: ProcessOptions;
  /** Host directories mounted in (storage:mount), `host:container[:ro]`. */
  binds: string[];
  /** Publish `port` on a host port of the engine's choosing (proxy:disable: no nginx in front). */
  publish?: boolean;
}

/** How new instances are checked before they may take traffic. */
export interface CheckSpec {
  /** `skipped`: no checks at all (checks:skip). */
  skip: boolean;
  /** Host header for path checks: the app's first domain, so host-checking apps answer (none: the address's own). */
  host: string | undefined;
  checks: Healthcheck[];
}

/** A one-off process of a release (release phase, app.json scripts, `run`, `run:detached`). */
export interface OneOffSpec {
  app: string;
  /** What the instance shows as its process: `run` unless said (`cron` for scheduled tasks). */
  process?: string;
  image: string;
  cmd: string[];
  env: Record<string, string>;
  binds: string[];
  /** For a one-off whose output is collected: past this it is stopped and fails. */
  timeoutMs?: number;
}

/** Where a one-off's output goes: line by line, or the caller's terminal. */
export type OneOffIo =
  | { onLine: (line: string) => void }
  | { terminal: Terminal; stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream };

/**
 * Something that runs started or died: an app's instance, or a database service; or
 * `lost`: the engine went away and its instances with it (their endpoints may go to
 * others when it returns); or `resync`: the scheduler sees its engine again after a while,
 * so anything may have changed meanwhile.
 */
export interface InstanceEvent {
  /** `node`: a swarm node went down or came back (`node` says which); `id` is the node's. */
  action: 'start' | 'die' | 'lost' | 'resync' | 'node';
  id: string;
  /**
   * With `die`: its host stopped answering (a node down or cut off). It may still run there,
   * but a request waiting on it will get no answer: the proxy drops its connections to it.
   */
  unreachable?: boolean;
  app?: string;
  service?: string;
  /** The process type, when the scheduler knows it (a crash names it). */
  process?: string;
  /** A one-off run (run, cron): its end is no crash. */
  oneOff?: boolean;
  node?: { name: string; address: string; up: boolean };
}

export interface LogOptions {
  /** How many of the last lines; `all` with `since`, to read on from a point. */
  tail: number | 'all';
  /** Only lines from this moment on (Docker's `since`: `<seconds>.<nanoseconds>` since the epoch), inclusive. */
  since?: string;
  follow: boolean;
  onLine: (line: string) => void;
  signal: AbortSignal;
}

export interface Scheduler {
  /** As `scheduler:set <app> selected <name>` names it. */
  readonly name: string;
  /** Gets the engine ready for this instance's apps; at daemon start. */
  prepare(): Promise<void>;
  /**
   * Starts `count` new instances of a process type, checking each before the next. When a
   * check fails, the instances it started are discarded and a UserError says why (their
   * output goes to the log); the caller's running instances are never touched.
   */
  deploy(spec: ProcessSpec, count: number, checks: CheckSpec, log: ProgressLog): Promise<Instance[]>;
  /** Stops instances gracefully (old ones after a swap, ps:stop) and removes them. */
  retire(instances: Instance[]): Promise<void>;
  /** Removes instances at once (a failed deploy's, a destroyed app's). */
  discard(instances: Instance[]): Promise<void>;
  /** Runs checks against a running instance of the app (checks:run): listening on `port` when given, then each check. */
  verify(
    app: string,
    instance: Instance,
    port: number | undefined,
    checks: CheckSpec,
    onLine: (line: string) => void,
  ): Promise<CheckOutcome>;
  /** Why an instance is down (exited, restarted), or undefined while it runs as it was started. */
  health(instance: Instance): Promise<string | undefined>;
  /** What runs now for an app, running or not; one-offs only when asked. */
  instances(app: string, options?: { oneOffs?: boolean }): Promise<Instance[]>;
  /**
   * `instances` of each of these apps (one-offs too with `oneOffs`), every one named in the
   * map: in a bounded number of engine calls, however many apps (a report of every app asks
   * about a thousand).
   */
  instancesOfApps(apps: string[], options?: { oneOffs?: boolean }): Promise<Map<string, Instance[]>>;
  /** What an instance uses now (CPU, memory); undefined when it is gone or not reachable from here. */
  usage(instance: Instance, options?: UsageOptions): Promise<ContainerUsage | undefined>;
  /** An instance's output: the last lines, then new ones with `follow`. */
  logs(instance: Instance, options: LogOptions): Promise<void>;
  /** A command in a running instance with the caller's streams; its exit code. */
  enter(instance: Instance, cmd: string[], io: ProcessIo): Promise<number>;
  /** A one-off to completion; its exit code. `started` is called once its container runs. */
  runOnce(spec: OneOffSpec, io: OneOffIo, started?: () => void): Promise<number>;
  /** A one-off nobody waits for; it shows in `instances(app, { oneOffs: true })`. */
  runDetached(spec: OneOffSpec): Promise<Instance>;
  /**
   * The network where the app's processes reach the services linked to it, which those join:
   * its name, made first with `make`; undefined when it does not exist (and `make` is false).
   */
  appNetwork(app: string, options: { make: boolean }): Promise<string | undefined>;
  /**
   * Release images other than `images` (the retained ones) may go from wherever the scheduler
   * keeps copies of its own: the swarm's registry. The engine's own copies are the build module's.
   */
  keepOnlyImages(app: string, images: string[]): Promise<void>;
  /** Removes what the engine keeps for an app besides its instances (its network), once those are gone. */
  forget(app: string): Promise<void>;
  /** Calls `onEvent` whenever an instance of any app, or a service, starts or dies, until `signal` aborts. */
  watch(onEvent: (event: InstanceEvent) => void, signal: AbortSignal): Promise<void>;
}

/** The names of the schedulers this build has; `docker-local` is the default. */
export const SCHEDULERS = ['docker-local', 'swarm'] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];
export const DEFAULT_SCHEDULER: SchedulerName = 'docker-local';
