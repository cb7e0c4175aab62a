import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, vi } from 'vitest';
import { Platform, type PlatformParts } from '../../src/platform.js';
import type { AppRoute, Router } from '../../src/proxy/nginx.js';
import { loadSettings, type Settings } from '../../src/settings.js';
import { openState, type State } from '../../src/state/index.js';
import type { DeployJob, DeployQueue } from '../../src/queue/deploy-queue.js';
import { Locks, type HeldLock } from '../../src/queue/locks.js';
import type { DeployLogs } from '../../src/queue/logs.js';
import type { DockerEngine } from '../../src/runtime/docker/index.js';
import { UserError } from '../../src/core/errors.js';
import type {
  CheckSpec,
  Instance,
  InstanceEvent,
  OneOffSpec,
  ProcessSpec,
  Scheduler,
} from '../../src/runtime/scheduler.js';

// Fakes of our own seams for the unit tier: a scheduler and a router that only record what
// they are asked, and logs and an engine that do nothing.

export type FakeInstance = Instance & { oneOff?: boolean };

export class FakeScheduler implements Scheduler {
  readonly name = 'docker-local';
  running: FakeInstance[] = [];
  events: string[] = [];
  /** Process types whose new instances fail their checks. */
  failing = new Set<string>();
  private nextId = 1;

  async prepare() {}

  async deploy(spec: ProcessSpec, count: number, checks: CheckSpec): Promise<Instance[]> {
    const started: Instance[] = [];
    for (let index = 1; index <= count; index++) {
      const id = `c${this.nextId++}`;
      const instance = {
        id,
        name: `${spec.app}.${spec.process}.${index}.${id}`,
        process: spec.process,
        index,
        release: spec.release,
        running: true,
        restarting: false,
        endpoint: { host: `10.0.0.${id.slice(1)}`, port: 5000 },
      };
      this.running.push(instance);
      started.push(instance);
      if (this.failing.has(spec.process) && !checks.skip) {
        await this.discard(started);
        throw new UserError(`Could not start due to 1 failed checks (${spec.process}.${index})`);
      }
    }
    this.events.push(`start ${spec.process} v${spec.release} ${started.map((i) => i.id).join(',')}`);
    return started;
  }

  /** Instances that go down right after they started. */
  crashing = new Set<string>();

  async health(instance: Instance) {
    return this.crashing.has(instance.process) ? 'the container exited with code 1' : undefined;
  }

  async usage() {
    return undefined;
  }

  async retire(instances: Instance[]) {
    this.remove('retire', instances);
  }

  async discard(instances: Instance[]) {
    this.remove('discard', instances);
  }

  /** The instances checks:run checked, in order. */
  verified: Instance[] = [];

  async verify(_app: string, instance: Instance) {
    this.verified.push(instance);
    return { ok: true as const };
  }

  async keepOnlyImages() {}
  async appNetwork(app: string) {
    return `net.${app}`;
  }
  async forget(app: string) {
    this.events.push(`forget ${app}`);
  }

  private remove(what: string, instances: Instance[]) {
    if (instances.length === 0) return;
    this.events.push(`${what} ${instances.map((i) => i.id).join(',')}`);
    this.running = this.running.filter((r) => !instances.some((i) => i.id === r.id));
  }

  /** How many times what runs was listed: each `instances`, each `instancesOfApps`. */
  listings = 0;

  async instances(_app: string, options: { oneOffs?: boolean } = {}) {
    this.listings++;
    return this.running.filter((i) => options.oneOffs || !i.oneOff);
  }

  /** One listing, whatever the apps; each app gets what `instances` would give it. */
  async instancesOfApps(apps: string[], options: { oneOffs?: boolean } = {}) {
    this.listings++;
    const listed = this.running.filter((i) => options.oneOffs || !i.oneOff);
    return new Map(apps.map((app) => [app, [...listed]]));
  }

  async logs() {}
  async enter() {
    return 0;
  }
  async runOnce(spec: OneOffSpec) {
    this.events.push(`task ${spec.env.DYNO}`);
    return 0;
  }
  async runDetached(): Promise<Instance> {
    const instance = {
      id: `c${this.nextId++}`,
      name: 'one-off',
      process: 'run',
      index: 0,
      release: 0,
      running: true,
      restarting: false,
      endpoint: undefined,
      oneOff: true,
    };
    this.running.push(instance);
    return instance;
  }
  private readonly watchers: ((event: InstanceEvent) => void)[] = [];
  async watch(onEvent: (event: InstanceEvent) => void) {
    this.watchers.push(onEvent);
  }
  /** What the engine would report: an instance started or died, the engine lost or seen again. */
  emit(event: InstanceEvent) {
    for (const watcher of this.watchers) watcher(event);
  }
}

export class FakeRouter implements Router {
  routes = new Map<string, AppRoute>();
  constructor(private readonly events: string[]) {}
  async route(route: AppRoute) {
    this.routes.set(route.app, route);
    const fallback = route.fallback?.length ? ` (fallback ${route.fallback.map((b) => b.host).join(',')})` : '';
    this.events.push(`route ${route.backends.map((b) => b.host).join(',')}${fallback}`);
    return false;
  }
  async unroute(app: string) {
    this.routes.delete(app);
    this.events.push('unroute');
    return false;
  }
  async withdraw(app: string, backend: { host: string }, options: { unreachable?: boolean } = {}) {
    const route = this.routes.get(app);
    if (route) route.backends = route.backends.filter((b) => b.host !== backend.host);
    this.events.push(`withdraw ${backend.host}${options.unreachable ? ' (unreachable)' : ''}`);
  }
}

export const fakeLogs = { append() {}, async result() {}, async end() {} } as unknown as DeployLogs;
export const imagesAllHere = { images: { exists: async () => true } } as unknown as DockerEngine;

/** Redis's SET NX, in memory (one process): waiting for a lock is the real code's. */
export class MemoryLocks extends Locks {
  held = new Set<string>();
  constructor() {
    super(undefined as never, 'test');
  }
  override async tryAcquire(name: string): Promise<HeldLock | undefined> {
    if (this.held.has(name)) return undefined;
    this.held.add(name);
    return { release: async () => void this.held.delete(name) };
  }
}

/** A deploy queue that only keeps what it was given. */
export class FakeQueue {
  readonly jobs: DeployJob[] = [];
  async enqueue(job: DeployJob) {
    this.jobs.push(job);
  }
  async close() {}
}

/**
 * A Platform for the unit tier: an in-memory database, a data dir of its own (settings point
 * there), these parts, and these settings on top of the defaults. `dispose` removes both.
 */
export function unitPlatform(
  parts: Partial<PlatformParts>,
  options: { env?: NodeJS.ProcessEnv; settings?: Partial<Settings> } = {},
) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-unit-'));
  const settings = {
    ...loadSettings({
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_DOMAIN: 'example.test',
      // Never this host's engine or Redis: a part a test leaves out meets them as stopped.
      SLIPWAY_DOCKER_SOCKET: path.join(dataDir, 'no-docker.sock'),
      SLIPWAY_REDIS_URL: 'redis://127.0.0.1:1',
      ...options.env,
    }),
    ...options.settings,
  };
  const platform = new Platform(settings, { state: openState(':memory:'), ...parts });
  const dispose = () => {
    platform.state.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { platform, dispose };
}

/**
 * A Platform whose deploys run against a fake scheduler, router and queue (no drain, no
 * watch after a swap), with app `shop` deployed at v1 (`meta`: what its source declared).
 */
export function deployingPlatform(meta: Record<string, unknown> = {}) {
  const scheduler = new FakeScheduler();
  const router = new FakeRouter(scheduler.events);
  const queue = new FakeQueue();
  const { platform, dispose } = unitPlatform(
    {
      engine: imagesAllHere,
      schedulers: [scheduler],
      router,
      logs: fakeLogs,
      locks: new MemoryLocks(),
      queue: queue as unknown as DeployQueue,
    },
    { settings: { drainMs: 0, watchMs: 0 } },
  );
  platform.state.apps.create('shop');
  succeededRelease(platform.state, 'shop', meta);
  return { platform, dispose, scheduler, router, queue };
}

/**
 * What `make` makes (a platform and its `dispose`, say), made anew before each test of the file
 * (or describe block) that calls this and disposed after it: the tests and their own hooks
 * read it off the object returned.
 */
export function eachTest<T extends { dispose: () => void }>(make: () => T): T {
  const current = {} as T;
  beforeEach(() => {
    Object.assign(current, make());
  });
  afterEach(() => current.dispose());
  return current;
}

/**
 * A deployingPlatform for each test (eachTest). `now`: Date (only Date: timers stay real) is
 * faked from that time, before the platform is made.
 */
export function deployingEachTest(options: { meta?: Record<string, unknown>; now?: number } = {}) {
  const { now } = options;
  if (now !== undefined) {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(now);
    });
    afterEach(() => vi.useRealTimers());
  }
  return eachTest(() => deployingPlatform(options.meta));
}

/** The app has a first release, deployed (as the reconciler and the event stream expect of a running app). */
export function succeededRelease(state: State, app: string, meta: Record<string, unknown> = {}): void {
  const release = state.releases.create({
    app,
    kind: 'deploy',
    image: () => 'img:1',
    rev: null,
    config: {},
    meta,
    description: 'first',
    createdBy: 'admin',
  });
  state.releases.setStatus(app, release.version, 'succeeded');
}
