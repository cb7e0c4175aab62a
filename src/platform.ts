import path from 'node:path';
import type { Redis } from 'ioredis';
import { UserError } from './core/errors.js';
import { secretFile } from './core/files.js';
import { Nginx, type Router } from './proxy/nginx.js';
import { DASHBOARD_SITE, tlsFiles } from './proxy/certs.js';
import { DeployQueue } from './queue/deploy-queue.js';
import { Locks } from './queue/locks.js';
import { DeployLogs } from './queue/logs.js';
import { connectRedis } from './queue/redis.js';
import { DockerEngine } from './runtime/docker/index.js';
import { DockerLocalScheduler } from './runtime/local/scheduler.js';
import { DockerSwarmScheduler } from './runtime/swarm/scheduler.js';
import { SwarmManager } from './runtime/swarm/manager.js';
import { clusterRegistry } from './registry/index.js';
import { LocalServiceRuntime } from './runtime/local/services.js';
import { DEFAULT_SCHEDULER, SCHEDULERS, type Instance, type Scheduler } from './runtime/scheduler.js';
import type { ServiceRuntime } from './runtime/services.js';
import type { Settings } from './settings.js';
import { DomainEvents } from './events/domain.js';
import { MetricsHistory } from './history/minutes.js';
import { GLOBAL_SCOPE, openState, type State } from './state/index.js';

/** Which scheduler runs an app (`scheduler:set <app>|--global selected <name>`). */
export const SCHEDULER_PROPERTY = 'scheduler.selected';

/** `scheduler-swarm:set <app>|--global constraints <c1,c2>`: where the app's tasks may run. */
export const SWARM_CONSTRAINTS_PROPERTY = 'scheduler-swarm.constraints';
/** `scheduler-swarm:set <app> encrypted true`: the app's overlay network encrypts its traffic. */
export const SWARM_ENCRYPTED_PROPERTY = 'scheduler-swarm.encrypted';

/** The app's constraints, else the global ones; each one Swarm takes (checked when set). */
export function swarmConstraints(state: State, app: string): string[] {
  const value =
    state.properties.get(app, SWARM_CONSTRAINTS_PROPERTY) ??
    state.properties.get(GLOBAL_SCOPE, SWARM_CONSTRAINTS_PROPERTY) ??
    '';
  return value
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
}

/** What a Platform is made of; tests hand in fakes for the parts they do not exercise. */
export interface PlatformParts {
  state: State;
  engine: DockerEngine;
  schedulers: Scheduler[];
  services: ServiceRuntime;
  router: Router;
  logs: DeployLogs;
  locks: Locks;
  queue: DeployQueue;
}

/**
 * The services every command and job works with. Network clients are created on first use,
 * so a local command that only touches the database (ssh-keys:add) needs no Redis.
 * Docker is reached only through `engine` by the build module, and through the schedulers
 * and the service runtime by everyone else.
 */
export class Platform {
  readonly state: State;
  readonly engine: DockerEngine;
  readonly services: ServiceRuntime;
  /** The swarm this host manages (scheduler-swarm:init, nodes:*). */
  readonly swarm: SwarmManager;
  /** What happened (deploys, crashes, config, domains, certificates, backups, nodes), for whoever is told (webhooks). */
  readonly events = new DomainEvents();
  /** Every app's last day of traffic, CPU and memory per minute, as the daemon samples it (kept in memory only). */
  readonly history = new MetricsHistory();
  private readonly schedulers: Map<string, Scheduler>;
  private redisClient?: Redis;
  private nginxRouter?: Nginx;
  private parts: Partial<PlatformParts>;

  constructor(
    readonly settings: Settings,
    parts: Partial<PlatformParts> = {},
  ) {
    this.parts = parts;
    this.state = parts.state ?? openState(settings.dbPath);
    this.engine = parts.engine ?? new DockerEngine(settings.dockerSocket, settings.subnets);
    const target = { instance: settings.instance, pidsLimit: settings.pidsLimit };
    const local = new DockerLocalScheduler(this.engine, {
      ...target,
      port: settings.defaultPort,
      checksTimeoutMs: settings.checksTimeoutMs,
      checksSettleMs: settings.checksSettleMs,
      stopTimeoutSeconds: settings.stopTimeoutSeconds,
    });
    this.swarm = new SwarmManager(this.engine, settings.instance);
    const swarm = new DockerSwarmScheduler(this.engine, {
      ...target,
      registry: () => clusterRegistry(settings, this.state),
      stopTimeoutSeconds: settings.stopTimeoutSeconds,
      checksTimeoutMs: settings.checksTimeoutMs,
      checksSettleMs: settings.checksSettleMs,
      startTimeoutMs: settings.swarmStartTimeoutMs,
      constraintsOf: (app) => swarmConstraints(this.state, app),
      encryptedOf: (app) => this.state.properties.get(app, SWARM_ENCRYPTED_PROPERTY) === 'true',
      guardImage: settings.stackImage,
    });
    this.schedulers = new Map((parts.schedulers ?? [local, swarm]).map((s) => [s.name, s]));
    this.services = parts.services ?? new LocalServiceRuntime(this.engine, target);
  }

  /** The scheduler an app runs on: its own choice, else the global one, else docker-local. */
  schedulerFor(app: string): Scheduler {
    const { properties } = this.state;
    const name =
      properties.get(app, SCHEDULER_PROPERTY) ?? properties.get(GLOBAL_SCOPE, SCHEDULER_PROPERTY) ?? DEFAULT_SCHEDULER;
    const scheduler = this.schedulers.get(name);
    if (!scheduler) throw new UserError(`Scheduler ${name} is not available (${SCHEDULERS.join(', ')})`);
    return scheduler;
  }

  /**
   * What runs for each of the apps (one-offs too with `oneOffs`), every one in the map: one
   * `instancesOfApps` for the apps of each scheduler, where asking each app's would be one
   * engine call per app.
   */
  async instancesOfApps(apps: string[], options: { oneOffs?: boolean } = {}): Promise<Map<string, Instance[]>> {
    // One app alone: its own listing, filtered by the engine, is the cheaper.
    const listed = await Promise.all(
      [...this.appsBySchedulers(apps)].map(async ([scheduler, own]) =>
        own.length === 1
          ? new Map([[own[0]!, await scheduler.instances(own[0]!, options)]])
          : scheduler.instancesOfApps(own, options),
      ),
    );
    return new Map(listed.flatMap((found) => [...found]));
  }

  /**
   * The apps by the scheduler each runs on. An app whose scheduler is not available throws
   * schedulerFor's error, or with `skipUnavailable` is left out (its own calls say why).
   */
  appsBySchedulers(apps: string[], options: { skipUnavailable?: boolean } = {}): Map<Scheduler, string[]> {
    const bySchedulers = new Map<Scheduler, string[]>();
    for (const app of apps) {
      let scheduler: Scheduler;
      try {
        scheduler = this.schedulerFor(app);
      } catch (error) {
        if (options.skipUnavailable) continue;
        throw error;
      }
      const own = bySchedulers.get(scheduler);
      if (own) own.push(app);
      else bySchedulers.set(scheduler, [app]);
    }
    return bySchedulers;
  }

  /** Every scheduler this platform has (to prepare them, and to watch what they run). */
  allSchedulers(): Scheduler[] {
    return [...this.schedulers.values()];
  }

  get redis(): Redis {
    this.redisClient ??= connectRedis(this.settings.redisUrl);
    return this.redisClient;
  }

  get locks(): Locks {
    return (this.parts.locks ??= new Locks(this.redis, this.settings.instance));
  }

  get logs(): DeployLogs {
    return (this.parts.logs ??= new DeployLogs(this.redis, this.settings.instance));
  }

  get queue(): DeployQueue {
    return (this.parts.queue ??= new DeployQueue(this.settings.redisUrl, this.settings.instance));
  }

  /** What Slipway's nginx sends the API to show a request came through it (see api/forwarded.ts). */
  get proxySecret(): string {
    return secretFile(path.join(this.settings.dataDir, 'proxy-secret'));
  }

  /**
   * Slipway's nginx, for the daemon that runs it: one for the process, so its callers queue for
   * the config lock in one line and share what it keeps of the backends file.
   */
  get nginx(): Nginx {
    return (this.nginxRouter ??= new Nginx({
      bin: this.settings.nginxBin,
      dir: this.settings.nginxDir,
      tempDir: this.settings.nginxTempDir,
      httpPort: this.settings.httpPort,
      httpsPort: this.settings.httpsPort,
      ipv6: this.settings.ipv6,
      modulesDir: this.settings.nginxModulesDir,
      apiPort: this.settings.apiPort,
      proxySecret: this.proxySecret,
      dashboardDomain: this.settings.dashboardDomain,
      dashboardTls: () => tlsFiles(this.settings.certsDir, DASHBOARD_SITE),
      certsDir: this.settings.certsDir,
      lock: (fn) => this.locks.withLock('nginx', 60_000, fn),
    }));
  }

  /** Where apps' traffic is routed: Slipway's nginx. */
  get router(): Router {
    return (this.parts.router ??= this.nginx);
  }

  async close(): Promise<void> {
    await this.closeRedis();
    this.state.close();
  }

  /** Closes the queue and the Redis client (a daemon's shutdown bounds this: a Redis gone never answers). */
  async closeRedis(): Promise<void> {
    await this.parts.queue?.close();
    if (this.redisClient) await this.redisClient.quit().catch(() => this.redisClient?.disconnect());
  }
}
