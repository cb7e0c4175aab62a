import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { UserError } from '../../core/errors.js';
import { everyUntilAborted, sleep } from '../../core/process.js';
import { LABEL } from '../../model/labels.js';
import type { ProgressLog } from '../../model/progress.js';
import type { ProcessIo } from '../../model/terminal.js';
import { acceptsConnection, checkContainer, checkTogether, type CheckOutcome } from '../checks.js';
import {
  OneOffTimeoutError,
  type ContainerStatus,
  type ContainerUsage,
  type UsageOptions,
  type DockerEngine,
  type SwarmNode,
  type SwarmServiceSummary,
  type SwarmTask,
} from '../docker/index.js';
import { oneOffContainer } from '../local/specs.js';
import type {
  CheckSpec,
  Instance,
  InstanceEvent,
  LogOptions,
  OneOffIo,
  OneOffSpec,
  ProcessSpec,
  Scheduler,
} from '../scheduler.js';
import {
  GUARD_LABEL,
  GUARD_REPOSITORY,
  guardService,
  processService,
  processServiceName,
  swarmAppNetworkLabels,
  swarmAppNetworkName,
  type SwarmTarget,
} from './specs.js';
import { HELD_DESIRED_STATES, nodeEvents, slotHolders, taskEvents, type Reach, type WatchedTask } from './tasks.js';

/** Where release images go so every node can pull them: the cluster's registry. */
export interface ClusterRegistry {
  readonly address: string;
  /** Where an app's images go: `<registry>/<instance>/<app>`. */
  repository(instance: string, app: string): string;
  /** What the Engine API takes as X-Registry-Auth; Swarm passes it on to the nodes for their pulls. */
  auth(): object;
  /** Why it cannot take a push now, or undefined when it answers. */
  problem(): Promise<string | undefined>;
  /** Runs a push so that no garbage collection overlaps it. */
  whilePushing<T>(push: () => Promise<T>): Promise<T>;
  /** Deletes the tags of a repository (`<instance>/<app>`) other than these; the ones it deleted. */
  prune(repository: string, keep: Set<string>): Promise<string[]>;
}

const tagOf = (image: string) => image.slice(image.lastIndexOf(':') + 1);

export interface SwarmSchedulerOptions extends SwarmTarget {
  /** The registry, once the swarm is set up (scheduler-swarm:init). */
  registry: () => ClusterRegistry | undefined;
  checksTimeoutMs: number;
  checksSettleMs: number;
  /** How long new tasks may take to be pulled and started on their nodes. */
  startTimeoutMs: number;
  /** The app's placement constraints (scheduler-swarm:set <app> constraints …). */
  constraintsOf: (app: string) => string[];
  /** Whether the app's overlay network encrypts its traffic (scheduler-swarm:set <app> encrypted true). */
  encryptedOf: (app: string) => boolean;
  /** The image the task ports guard runs in (it needs a shell and chroot): the stack image. */
  guardImage: string;
}

const suffix = () => randomBytes(3).toString('hex');

/** One-offs are containers on the manager, not tasks: their instance ids say so. */
const ONE_OFF_ID = 'container:';
const oneOffInstanceId = (containerId: string) => `${ONE_OFF_ID}${containerId}`;
const containerOf = (instance: Instance) =>
  instance.id.startsWith(ONE_OFF_ID) ? instance.id.slice(ONE_OFF_ID.length) : undefined;
const TASK_POLL_MS = 250;
const WATCH_POLL_MS = 1000;
/** Probes of a task's endpoint (each a connect of at most a second) that fail in a row before nginx stops sending it requests. */
const PROBE_FAILURES = 2;
/** A task Swarm cannot place says so while pending; this long, and the deploy fails with Swarm's reason. */
const UNPLACEABLE_MS = 3000;
/** After the task ports guard could not be set up (no registry yet, a push failed), the watch tries again this much later. */
const GUARD_RETRY_MS = 30_000;

/**
 * Runs apps as Docker Swarm services on the nodes of a cluster, through the manager's Engine
 * API. A deploy is a new service per process type beside the old one; Slipway checks every
 * task at its node's address and published port before nginx moves traffic there, exactly
 * as on one host, then the old service goes. One-offs run on the manager, on the app's
 * overlay network, so they reach what its tasks reach.
 */
export class DockerSwarmScheduler implements Scheduler {
  readonly name = 'swarm';
  /** By `host:port`: how many probes of a task's endpoint in a row have failed (the watch probes). */
  private readonly failedProbes = new Map<string, number>();
  /** The guard as last made sure of (its allowed addresses), and when to try again after a failure. */
  private guard: { allowed?: string; busy: boolean; retryAt: number } = { busy: false, retryAt: 0 };

  constructor(
    private readonly docker: DockerEngine,
    private readonly options: SwarmSchedulerOptions,
  ) {}

  async prepare(): Promise<void> {}

  async deploy(spec: ProcessSpec, count: number, checks: CheckSpec, log: ProgressLog): Promise<Instance[]> {
    await this.requireManager();
    const network = await this.ensureNetwork(spec.app);
    const published = await this.publish(spec.app, spec.image, log);
    const name = processServiceName(this.options, spec.app, spec.process, suffix());
    const body = processService(this.options, spec, {
      name,
      image: published.image,
      count,
      network,
      constraints: this.options.constraintsOf(spec.app),
    });
    const serviceId = await this.docker.swarm.createService(body, published.auth);
    try {
      const tasks = await this.waitForTasks(serviceId, count, spec.port !== undefined, log);
      const nodes = await this.nodesById();
      const started = tasks.map((task) =>
        this.instanceOf(task, name, spec.process, spec.release, spec.port !== undefined, nodes),
      );
      log.mark('running');
      if (checks.skip) started.forEach((instance) => log.detail(`Skipping checks (${spec.process}.${instance.index})`));
      else await this.checkAll(started, checks, log);
      log.mark('checked');
      return started;
    } catch (error) {
      await this.docker.swarm.removeService(serviceId);
      throw error;
    }
  }

  /**
   * Pushes the release image to the registry; the digest reference nodes pull, and the auth
   * they pull with. A registry that does not answer fails the deploy before anything running
   * is touched.
   */
  private async publish(app: string, image: string, log: ProgressLog): Promise<{ image: string; auth: object }> {
    const registry = this.options.registry();
    if (!registry) throw new UserError('No image registry is set up: run `slipway scheduler-swarm:init` first');
    const problem = await registry.problem();
    if (problem) throw new UserError(`${problem}; nothing running was changed`);
    const repository = registry.repository(this.options.instance, app);
    const tag = tagOf(image);
    log.detail(`Pushing the image to the cluster registry (${repository}:${tag})`);
    await this.docker.images.tag(image, repository, tag);
    const pushed = await registry
      .whilePushing(() => this.docker.images.push(repository, tag, registry.auth()))
      .catch((error: Error) => {
        throw new UserError(
          `Pushing to the image registry at ${registry.address} failed: ${error.message}; nothing running was changed`,
        );
      });
    return { image: pushed, auth: registry.auth() };
  }

  /** Until `count` tasks of the service run (with their published port), or one fails. */
  private async waitForTasks(
    serviceId: string,
    count: number,
    publishes: boolean,
    log: ProgressLog,
  ): Promise<SwarmTask[]> {
    const deadline = Date.now() + this.options.startTimeoutMs;
    let unplaceableSince: number | undefined;
    log.detail(`Waiting for ${count} task${count === 1 ? '' : 's'} to start on the cluster's nodes`);
    for (;;) {
      const tasks = await this.docker.swarm.tasks({ serviceId });
      const failed = tasks.find((t) => ['failed', 'rejected'].includes(t.state));
      if (failed) {
        const lines = await this.docker.swarm.recentTaskLogs(failed.id).catch(() => []);
        lines.forEach((line) => log.output(line));
        throw new UserError(`A new task could not start: ${failed.error ?? `it exited with code ${failed.exitCode}`}`);
      }
      const running = tasks.filter(
        (t) => t.desiredState === 'running' && t.state === 'running' && (!publishes || t.publishedPorts.length > 0),
      );
      if (running.length >= count) return running.sort((a, b) => a.slot - b.slot).slice(0, count);
      const unplaceable = tasks.find((t) => t.state === 'pending' && t.error?.includes('no suitable node'));
      unplaceableSince = unplaceable ? (unplaceableSince ?? Date.now()) : undefined;
      if (unplaceable && Date.now() - unplaceableSince! > UNPLACEABLE_MS)
        throw new UserError(`Swarm cannot place the new tasks: ${unplaceable.error}`);
      if (Date.now() > deadline)
        throw new UserError(
          `The new tasks did not start within ${this.options.startTimeoutMs / 1000} s (${describeStates(tasks)})`,
        );
      await sleep(TASK_POLL_MS);
    }
  }

  /** Every new task checked at once: they started together, on their own nodes. */
  private checkAll(instances: Instance[], spec: CheckSpec, log: ProgressLog): Promise<void> {
    return checkTogether(
      instances,
      {
        check: (instance, onLine) =>
          this.runChecks(instance, instance.endpoint?.port, spec, this.options.checksSettleMs, onLine),
        where: (instance) => instance.endpoint?.host ?? 'its node',
        recentOutput: (instance) => this.docker.swarm.recentTaskLogs(instance.id),
      },
      log,
    );
  }

  verify(
    _app: string,
    instance: Instance,
    _port: number | undefined,
    checks: CheckSpec,
    onLine: (line: string) => void,
  ): Promise<CheckOutcome> {
    return this.runChecks(instance, instance.endpoint?.port, checks, 0, onLine);
  }

  /**
   * Checks reach a task where nginx will: its node's address and its published port, which
   * docker-proxy may serve before the task listens (hence `forwarded`).
   */
  private runChecks(
    instance: Instance,
    port: number | undefined,
    spec: CheckSpec,
    settleMs: number,
    onLine: (line: string) => void,
  ) {
    const target = {
      ip: instance.endpoint?.host ?? '',
      port,
      host: spec.host,
      forwarded: true,
      status: () => this.taskStatus(instance.id),
    };
    return checkContainer(target, spec.checks, { listenTimeoutMs: this.options.checksTimeoutMs, settleMs }, onLine);
  }

  /** A task as the checks read a container: a task Swarm replaced counts as restarted. */
  private async taskStatus(id: string): Promise<ContainerStatus> {
    const task = await this.docker.swarm.task(id);
    const running = task?.state === 'running' && task.desiredState === 'running';
    return {
      running,
      restarting: false,
      restartCount: 0,
      exitCode: task?.exitCode ?? 0,
      ip: undefined,
      hostPorts: task?.publishedPorts ?? [],
    };
  }

  async health(instance: Instance): Promise<string | undefined> {
    if (containerOf(instance)) return undefined;
    const task = await this.docker.swarm.task(instance.id);
    if (!task) return 'the task is gone';
    if (task.state === 'running' && task.desiredState === 'running') return undefined;
    return `the task is ${task.state}${task.error ? `: ${task.error}` : ''}`;
  }

  /**
   * Retired instances go with their service: when they are all of it (every slot, whether its
   * task runs or Swarm is moving it), it is removed (Swarm stops its tasks with their grace
   * period); otherwise it is scaled down by that many.
   */
  async retire(instances: Instance[]): Promise<void> {
    const byService = new Map<string, number>();
    for (const instance of instances) {
      const task = await this.docker.swarm.task(instance.id);
      if (task) byService.set(task.serviceId, (byService.get(task.serviceId) ?? 0) + 1);
    }
    for (const [serviceId, retired] of byService) {
      const slots = (await this.slotsOf(serviceId)).length;
      if (retired >= slots) await this.docker.swarm.removeService(serviceId);
      else await this.docker.swarm.scaleService(serviceId, slots - retired);
    }
  }

  /** The tasks that hold a service's slots: running, or started again by Swarm (elsewhere, after a drain). */
  private async slotsOf(serviceId: string): Promise<SwarmTask[]> {
    return slotHolders(await this.docker.swarm.tasks({ serviceId, desiredState: HELD_DESIRED_STATES }));
  }

  discard(instances: Instance[]): Promise<void> {
    return this.retire(instances);
  }

  /**
   * One instance per slot of each of the app's services: a slot whose task Swarm is moving or
   * starting again shows its new task, restarting, so that the reconciler leaves it to Swarm.
   */
  async instances(app: string, options: { oneOffs?: boolean } = {}): Promise<Instance[]> {
    const info = await this.docker.swarm.info();
    if (!info.isManager) return [];
    const services = await this.docker.swarm.services({ [LABEL.instance]: this.options.instance, [LABEL.app]: app });
    const found = await this.servicesInstances(services, await this.nodesById(), (id) => this.slotsOf(id));
    if (options.oneOffs) found.push(...((await this.oneOffsOf([app])).get(app) ?? []));
    return found;
  }

  /** One listing each of services, nodes and tasks for all the apps, however many (and one of one-offs). */
  async instancesOfApps(apps: string[], options: { oneOffs?: boolean } = {}): Promise<Map<string, Instance[]>> {
    const byApp = new Map(apps.map((app) => [app, [] as Instance[]]));
    if (!(await this.docker.swarm.info()).isManager) return byApp;
    const services = (await this.docker.swarm.services({ [LABEL.instance]: this.options.instance })).filter((s) =>
      byApp.has(s.labels[LABEL.app] ?? ''),
    );
    if (services.length > 0) {
      const nodes = await this.nodesById();
      const tasks = await this.docker.swarm.tasks({ desiredState: HELD_DESIRED_STATES });
      const slotsOf = async (id: string) => slotHolders(tasks.filter((t) => t.serviceId === id));
      for (const [app, found] of byApp) {
        const own = services.filter((s) => s.labels[LABEL.app] === app);
        found.push(...(await this.servicesInstances(own, nodes, slotsOf)));
      }
    }
    if (options.oneOffs) for (const [app, found] of await this.oneOffsOf(apps)) byApp.get(app)!.push(...found);
    return byApp;
  }

  /** The instances of these services of one app, a task per slot. */
  private async servicesInstances(
    services: SwarmServiceSummary[],
    nodes: Map<string, SwarmNode>,
    slotsOf: (serviceId: string) => Promise<SwarmTask[]>,
  ): Promise<Instance[]> {
    const found: Instance[] = [];
    for (const service of services) {
      const { [LABEL.process]: process, [LABEL.release]: release, [LABEL.port]: port } = service.labels;
      if (!process || !service.name.startsWith(`${this.options.instance}-`)) continue;
      for (const task of await slotsOf(service.id))
        found.push(this.instanceOf(task, service.name, process, Number(release), Boolean(port), nodes));
    }
    return found;
  }

  private instanceOf(
    task: SwarmTask,
    serviceName: string,
    process: string,
    release: number,
    web: boolean,
    nodes: Map<string, SwarmNode>,
  ): Instance {
    const running = task.state === 'running' && task.desiredState === 'running';
    const node = nodes.get(task.nodeId);
    // Published ports answer at the node's address only while it is up, and answers probes.
    const host = node?.state === 'ready' ? node.address : undefined;
    const port = task.publishedPorts.at(0);
    const reachable =
      host !== undefined && port !== undefined && (this.failedProbes.get(`${host}:${port}`) ?? 0) < PROBE_FAILURES
        ? { host, port }
        : undefined;
    return {
      id: task.id,
      name: `${serviceName}.${task.slot}`,
      process,
      index: task.slot,
      release,
      running,
      restarting: !running,
      endpoint: web && running ? reachable : undefined,
      created: task.created,
      node: node?.hostname,
    };
  }

  /** The one-offs of these apps (containers on the manager's engine), from one listing; every app in the map. */
  private async oneOffsOf(apps: string[]): Promise<Map<string, Instance[]>> {
    const byApp = new Map(apps.map((app) => [app, [] as Instance[]]));
    const containers = await this.docker.containers.list({
      [LABEL.instance]: this.options.instance,
      ...(apps.length === 1 ? { [LABEL.app]: apps[0]! } : {}),
      [LABEL.oneOff]: 'true',
    });
    for (const c of containers) {
      const app = c.labels[LABEL.app] ?? '';
      if (!c.name.startsWith(`${this.options.instance}.${app}.`)) continue;
      byApp.get(app)?.push({
        id: oneOffInstanceId(c.id),
        name: c.name,
        process: c.labels[LABEL.process] || 'run',
        index: 0,
        release: 0,
        running: c.state === 'running',
        restarting: false,
        endpoint: undefined,
        created: c.created,
        oneOff: true,
      });
    }
    return byApp;
  }

  logs(instance: Instance, options: LogOptions): Promise<void> {
    const container = containerOf(instance);
    if (container) return this.docker.containers.streamLogs(container, options);
    return this.docker.swarm.streamTaskLogs(instance.id, options);
  }

  /** A command in a task: on the manager, its container; elsewhere the node's engine is not ours to reach. */
  async enter(instance: Instance, cmd: string[], io: ProcessIo): Promise<number> {
    const found = await this.managerContainer(instance);
    if ('container' in found) return this.docker.exec(found.container, cmd, io);
    if (!found.nodeId) throw new UserError(`${instance.name} is not running`);
    const node = await this.docker.swarm.node(found.nodeId);
    throw new UserError(
      `${instance.name} runs on node ${node?.hostname ?? found.nodeId}: enter reaches tasks on the manager; use run for a one-off on the app's network`,
    );
  }

  /** Only for tasks on the manager (and one-offs): other nodes' engines are not reachable from here. */
  async usage(instance: Instance, options?: UsageOptions): Promise<ContainerUsage | undefined> {
    const found = await this.managerContainer(instance);
    return 'container' in found ? this.docker.containers.usage(found.container, options) : undefined;
  }

  /** The container of a one-off or of a task on the manager; else the node a task runs on, if it runs. */
  private async managerContainer(instance: Instance): Promise<{ container: string } | { nodeId?: string }> {
    const container = containerOf(instance);
    if (container) return { container };
    const [task, info] = await Promise.all([this.docker.swarm.task(instance.id), this.docker.swarm.info()]);
    if (!task?.containerId) return {};
    return task.nodeId === info.nodeId ? { container: task.containerId } : { nodeId: task.nodeId };
  }

  async runOnce(spec: OneOffSpec, io: OneOffIo, started?: () => void): Promise<number> {
    const container = { ...oneOffContainer(this.options, spec, suffix()), network: await this.ensureNetwork(spec.app) };
    if ('terminal' in io) return this.docker.oneOffs.runOnTerminal({ ...container, ...io, started });
    return this.docker.oneOffs
      .runToCompletion({ ...container, inputs: [], onLine: io.onLine, timeoutMs: spec.timeoutMs, started })
      .catch((error: Error) => {
        if (error instanceof OneOffTimeoutError)
          throw new UserError(`${spec.env.DYNO ?? 'The one-off'}: ${error.message}`);
        throw error;
      });
  }

  async runDetached(spec: OneOffSpec): Promise<Instance> {
    const container = { ...oneOffContainer(this.options, spec, suffix()), network: await this.ensureNetwork(spec.app) };
    const id = await this.docker.oneOffs.startDetached(container);
    return {
      id: oneOffInstanceId(id),
      name: container.name!,
      process: spec.process ?? 'run',
      index: 0,
      release: 0,
      running: true,
      restarting: false,
      endpoint: undefined,
      oneOff: true,
    };
  }

  async appNetwork(app: string, options: { make: boolean }): Promise<string | undefined> {
    if (options.make) return this.ensureNetwork(app);
    const name = swarmAppNetworkName(this.options, app);
    return (await this.docker.networks.exists(name)) ? name : undefined;
  }

  /** Tags of releases no longer kept go from the registry (and the manager's pushed copies). */
  async keepOnlyImages(app: string, images: string[]): Promise<void> {
    const registry = this.options.registry();
    if (!registry) return;
    const repository = registry.repository(this.options.instance, app);
    const deleted = await registry.prune(repository.slice(registry.address.length + 1), new Set(images.map(tagOf)));
    for (const tag of deleted) await this.docker.images.remove(`${repository}:${tag}`);
  }

  async forget(app: string): Promise<void> {
    await this.docker.networks.remove(swarmAppNetworkName(this.options, app));
  }

  /**
   * The Engine API reports no task events, so the tasks of this instance's services are
   * listed every second and a change (a task started, one gone) is an event. Swarm takes
   * many seconds to call a node down: every web task's endpoint is also probed at each look
   * (a TCP connect from here, where nginx connects from), and one that fails
   * PROBE_FAILURES probes in a row dies `unreachable` at once, as do the tasks of a node
   * Swarm calls down; it starts again once it answers.
   */
  async watch(onEvent: (event: InstanceEvent) => void, signal: AbortSignal): Promise<void> {
    let seen = new Map<string, WatchedTask>();
    let reachSeen: Reach = { nodeDown: () => false, unanswered: () => false };
    let nodesSeen: Map<string, SwarmNode> | undefined;
    let looking = false;
    everyUntilAborted(WATCH_POLL_MS, signal, () => {
      if (looking) return; // a probe still waits for its timeout
      looking = true;
      void this.look()
        .then(({ tasks, reach, nodes }) => {
          if (nodesSeen) for (const event of nodeEvents(nodesSeen, nodes)) onEvent(event);
          for (const event of taskEvents(seen, tasks, reachSeen, reach)) onEvent(event);
          [seen, reachSeen, nodesSeen] = [tasks, reach, nodes];
        })
        .catch(() => {})
        .finally(() => (looking = false));
    });
  }

  /** The running tasks of this instance's apps, and which of them nginx can reach now. */
  private async look(): Promise<{ tasks: Map<string, WatchedTask>; reach: Reach; nodes: Map<string, SwarmNode> }> {
    const info = await this.docker.swarm.info();
    if (!info.isManager)
      return { tasks: new Map(), reach: { nodeDown: () => false, unanswered: () => false }, nodes: new Map() };
    const services = await this.docker.swarm.services({ [LABEL.instance]: this.options.instance });
    const serviceOf = new Map(
      services.flatMap((s) => {
        const process = s.labels[LABEL.process];
        return process ? [[s.id, { app: s.labels[LABEL.app] ?? '', process }] as const] : [];
      }),
    );
    const [tasks, nodes] = await Promise.all([this.docker.swarm.tasks({ desiredState: 'running' }), this.nodesById()]);
    void this.keepGuard([...nodes.values()]);
    const watched = new Map(
      tasks
        .filter((t) => serviceOf.has(t.serviceId))
        .map((t): [string, WatchedTask] => {
          const node = nodes.get(t.nodeId);
          const endpoint =
            node?.state === 'ready' && t.publishedPorts[0] ? `${node.address}:${t.publishedPorts[0]}` : undefined;
          const { app, process } = serviceOf.get(t.serviceId)!;
          return [t.id, { app, process, running: t.state === 'running', nodeId: t.nodeId, endpoint }];
        }),
    );
    await this.probe([...watched.values()].flatMap((t) => (t.running && t.endpoint ? [t.endpoint] : [])));
    const unanswered = new Set(
      [...this.failedProbes].filter(([, failures]) => failures >= PROBE_FAILURES).map(([endpoint]) => endpoint),
    );
    return {
      tasks: watched,
      nodes,
      reach: { nodeDown: (id) => nodes.get(id)?.state !== 'ready', unanswered: (endpoint) => unanswered.has(endpoint) },
    };
  }

  /** One connect to each endpoint, together; failures in a row are counted, endpoints no task has any more forgotten. */
  private async probe(endpoints: string[]): Promise<void> {
    await Promise.all(
      endpoints.map(async (endpoint) => {
        const at = endpoint.lastIndexOf(':');
        const answered = await acceptsConnection(endpoint.slice(0, at), Number(endpoint.slice(at + 1)), 0);
        this.failedProbes.set(endpoint, answered ? 0 : (this.failedProbes.get(endpoint) ?? 0) + 1);
      }),
    );
    for (const endpoint of this.failedProbes.keys())
      if (!endpoints.includes(endpoint)) this.failedProbes.delete(endpoint);
  }

  /**
   * Keeps the task ports guard (specs.ts guardService) running on every node with the
   * addresses this host reaches the nodes from; made again when those change (a node on
   * another network joined). Its tasks come to each node Swarm adds, by themselves.
   */
  private async keepGuard(nodes: SwarmNode[]): Promise<void> {
    const registry = this.options.registry();
    if (!registry || this.guard.busy || Date.now() < this.guard.retryAt) return;
    const allow = [...new Set(await Promise.all(nodes.map((n) => sourceAddressTowards(n.address))))]
      .filter((a): a is string => a !== undefined)
      .sort();
    if (allow.length === 0 || this.guard.allowed === allow.join(' ')) return;
    this.guard.busy = true;
    try {
      const repository = registry.repository(this.options.instance, GUARD_REPOSITORY);
      await this.docker.images.tag(this.options.guardImage, repository, tagOf(this.options.guardImage));
      const image = await registry.whilePushing(() =>
        this.docker.images.push(repository, tagOf(this.options.guardImage), registry.auth()),
      );
      const body = guardService(this.options, { image, allow });
      const wanted = (body.Labels as Record<string, string>)[GUARD_LABEL];
      const existing = (await this.docker.swarm.services({ [LABEL.instance]: this.options.instance })).filter(
        (s) => GUARD_LABEL in s.labels,
      );
      // Replaced, not updated: the rules stay in each node's kernel meanwhile.
      for (const old of existing.filter((s) => s.labels[GUARD_LABEL] !== wanted))
        await this.docker.swarm.removeService(old.id);
      if (!existing.some((s) => s.labels[GUARD_LABEL] === wanted))
        await this.docker.swarm.createService(body, registry.auth());
      this.guard.allowed = allow.join(' ');
    } catch {
      this.guard.retryAt = Date.now() + GUARD_RETRY_MS;
    } finally {
      this.guard.busy = false;
    }
  }

  private async requireManager(): Promise<void> {
    const info = await this.docker.swarm.info();
    if (!info.isManager)
      throw new UserError('This host is not a swarm manager: run `slipway scheduler-swarm:init` on it first');
  }

  private async ensureNetwork(app: string): Promise<string> {
    const name = swarmAppNetworkName(this.options, app);
    await this.docker.swarm.ensureOverlay(
      name,
      swarmAppNetworkLabels(this.options, app),
      this.options.encryptedOf(app),
    );
    return name;
  }

  private async nodesById(): Promise<Map<string, SwarmNode>> {
    return new Map((await this.docker.swarm.nodes()).map((n) => [n.id, n]));
  }
}

/** The address this host sends from to reach `address` (a route lookup: a UDP socket connects, no packet goes). */
function sourceAddressTowards(address: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    socket.on('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.connect(9, address, () => {
      const local = socket.address().address;
      socket.close();
      resolve(local);
    });
  });
}

function describeStates(tasks: SwarmTask[]): string {
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'no tasks';
}
