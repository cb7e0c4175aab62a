import { randomBytes } from 'node:crypto';
import { UserError } from '../../core/errors.js';
import { LABEL } from '../../model/labels.js';
import type { ProgressLog } from '../../model/progress.js';
import type { ProcessIo } from '../../model/terminal.js';
import { checkContainer, checkTogether, describeDown, type CheckOutcome } from '../checks.js';
import {
  OneOffTimeoutError,
  type ContainerSummary,
  type ContainerUsage,
  type DockerEngine,
  type UsageOptions,
} from '../docker/index.js';
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
import { ensureAppNetwork } from './networks.js';
import { appContainerPrefix, appNetworkName, oneOffContainer, processContainer, type LocalTarget } from './specs.js';

export interface LocalSchedulerOptions extends LocalTarget {
  /** The port processes that take traffic listen on (their PORT). */
  port: number;
  checksTimeoutMs: number;
  checksSettleMs: number;
  stopTimeoutSeconds: number;
}

const suffix = () => randomBytes(3).toString('hex');

/**
 * Runs apps as labelled containers on this host's Docker engine, each app on a network of
 * its own: the scheduler Slipway has always had. Labels say which app, process and release
 * a container is, so `instances` reads the running world back from Docker.
 */
export class DockerLocalScheduler implements Scheduler {
  readonly name = 'docker-local';

  constructor(
    private readonly docker: DockerEngine,
    private readonly options: LocalSchedulerOptions,
  ) {}

  /**
   * Slipway once put every container on one network named after the instance. An app's
   * container still there also joins its app's network now (services are put on theirs by
   * the service runtime, which drops the old one), so isolation holds from each app's next
   * restart; the old network goes once nothing is on it.
   */
  async prepare(): Promise<void> {
    const legacy = this.options.instance;
    const members = new Set(await this.docker.networks.members(legacy));
    const containers = await this.docker.containers.list({ [LABEL.instance]: this.options.instance });
    for (const c of containers.filter((c) => members.has(c.id))) {
      const app = c.labels[LABEL.app];
      if (app && c.name.startsWith(appContainerPrefix(this.options, app))) {
        await this.docker.networks.connect(await ensureAppNetwork(this.docker, this.options, app), c.id);
      }
    }
    if (members.size === 0) await this.docker.networks.remove(legacy); // none there is fine
  }

  /** A type's containers start together and are checked together: ready in the time of one. */
  async deploy(spec: ProcessSpec, count: number, checks: CheckSpec, log: ProgressLog): Promise<Instance[]> {
    const started: Instance[] = [];
    try {
      await ensureAppNetwork(this.docker, this.options, spec.app);
      const runs = await Promise.allSettled(
        Array.from({ length: count }, async (_, i) => {
          const container = processContainer(this.options, spec, i + 1, suffix());
          const id = await this.docker.containers.run(container);
          started.push(await this.describe(id, spec.app, container.name, spec.process, i + 1, spec.release, spec.port));
        }),
      );
      const failed = runs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      started.sort((a, b) => a.index - b.index);
      log.mark('running');
      if (checks.skip) started.forEach((instance) => log.detail(`Skipping checks (${spec.process}.${instance.index})`));
      else {
        await checkTogether(
          started,
          {
            check: (instance, onLine) =>
              this.runChecks(spec.app, instance, spec.port, checks, this.options.checksSettleMs, onLine),
            recentOutput: (instance) => this.docker.containers.recentLogs(instance.id),
          },
          log,
        );
      }
      log.mark('checked');
      return started;
    } catch (error) {
      await this.discard(started);
      throw error;
    }
  }

  usage(instance: Instance, options?: UsageOptions): Promise<ContainerUsage | undefined> {
    return this.docker.containers.usage(instance.id, options);
  }

  verify(
    app: string,
    instance: Instance,
    port: number | undefined,
    checks: CheckSpec,
    onLine: (line: string) => void,
  ): Promise<CheckOutcome> {
    return this.runChecks(app, instance, port, checks, 0, onLine);
  }

  private runChecks(
    app: string,
    instance: Instance,
    port: number | undefined,
    spec: CheckSpec,
    settleMs: number,
    onLine: (line: string) => void,
  ) {
    const network = appNetworkName(this.options, app);
    return checkContainer(
      {
        ip: instance.endpoint?.host ?? '',
        port,
        host: spec.host,
        status: () => this.docker.containers.status(instance.id, network),
      },
      spec.checks,
      { listenTimeoutMs: this.options.checksTimeoutMs, settleMs },
      onLine,
    );
  }

  async health(instance: Instance): Promise<string | undefined> {
    return describeDown(await this.docker.containers.status(instance.id));
  }

  async retire(instances: Instance[]): Promise<void> {
    await Promise.all(
      instances.map((i) => this.docker.containers.stopAndRemove(i.id, this.options.stopTimeoutSeconds)),
    );
  }

  async discard(instances: Instance[]): Promise<void> {
    await Promise.all(instances.map((i) => this.docker.containers.stopAndRemove(i.id, 0)));
  }

  async instances(app: string, options: { oneOffs?: boolean } = {}): Promise<Instance[]> {
    const found = (
      await this.docker.containers.list({ [LABEL.instance]: this.options.instance, [LABEL.app]: app })
    ).filter((c) => this.isInstanceOf(app, c, options.oneOffs ?? false));
    return found.map((c) => this.fromSummary(app, c));
  }

  /** One listing of this instance's containers for all the apps, read as `instances` reads them. */
  async instancesOfApps(apps: string[], options: { oneOffs?: boolean } = {}): Promise<Map<string, Instance[]>> {
    const byApp = new Map(apps.map((app) => [app, [] as ContainerSummary[]]));
    for (const c of await this.docker.containers.list({ [LABEL.instance]: this.options.instance })) {
      const app = c.labels[LABEL.app] ?? '';
      const of = byApp.get(app);
      if (of && this.isInstanceOf(app, c, options.oneOffs ?? false)) of.push(c);
    }
    return new Map([...byApp].map(([app, found]) => [app, found.map((c) => this.fromSummary(app, c))]));
  }

  /**
   * Labels alone are no proof: a tenant's build step carries whatever its Dockerfile says.
   * Only Slipway names containers, so an instance also has the name Slipway gave it.
   */
  private isInstanceOf(app: string, c: ContainerSummary, oneOffs: boolean): boolean {
    return c.name.startsWith(appContainerPrefix(this.options, app)) && (oneOffs || c.labels[LABEL.oneOff] !== 'true');
  }

  logs(instance: Instance, options: LogOptions): Promise<void> {
    return this.docker.containers.streamLogs(instance.id, options);
  }

  enter(instance: Instance, cmd: string[], io: ProcessIo): Promise<number> {
    return this.docker.exec(instance.id, cmd, io);
  }

  async runOnce(spec: OneOffSpec, io: OneOffIo, started?: () => void): Promise<number> {
    await ensureAppNetwork(this.docker, this.options, spec.app);
    const container = oneOffContainer(this.options, spec, suffix());
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
    await ensureAppNetwork(this.docker, this.options, spec.app);
    const container = oneOffContainer(this.options, spec, suffix());
    const id = await this.docker.oneOffs.startDetached(container);
    return {
      ...(await this.describe(id, spec.app, container.name!, spec.process ?? 'run', 0, 0, undefined)),
      oneOff: true,
    };
  }

  async appNetwork(app: string, options: { make: boolean }): Promise<string | undefined> {
    if (options.make) return ensureAppNetwork(this.docker, this.options, app);
    const name = appNetworkName(this.options, app);
    return (await this.docker.networks.exists(name)) ? name : undefined;
  }

  async keepOnlyImages(): Promise<void> {}

  /** The app's network goes with it; its instances are gone already, linked services are detached. */
  forget(app: string): Promise<void> {
    return this.docker.networks.remove(appNetworkName(this.options, app));
  }

  watch(onEvent: (event: InstanceEvent) => void, signal: AbortSignal): Promise<void> {
    return this.docker.watchContainers(
      { [LABEL.instance]: this.options.instance },
      ['start', 'die'],
      (action, id, labels) =>
        onEvent({
          action: action as InstanceEvent['action'],
          id,
          app: labels[LABEL.app],
          service: labels[LABEL.service],
          process: labels[LABEL.process],
          oneOff: labels[LABEL.oneOff] === 'true',
        }),
      signal,
    );
  }

  /**
   * An instance as the listing shows it: a running one answers at its address on its app's
   * network (read from the same listing: inspecting each running container would cost the
   * engine a call per container on every reconcile pass, report and app watch).
   */
  private fromSummary(app: string, c: ContainerSummary): Instance {
    const process = c.labels[LABEL.process] ?? '';
    const index = Number(c.labels[LABEL.index]);
    const release = Number(c.labels[LABEL.release]);
    const listed = { id: c.id, name: c.name, process, index, release, created: c.created };
    const oneOff = c.labels[LABEL.oneOff] === 'true';
    if (c.state !== 'running')
      return { ...listed, oneOff, running: false, restarting: c.state === 'restarting', endpoint: undefined };
    // Containers from before the port label listen on the default port.
    const port = c.labels[LABEL.port] === undefined ? this.options.port : Number(c.labels[LABEL.port]) || undefined;
    const ip = c.addresses[appNetworkName(this.options, app)];
    return {
      ...listed,
      oneOff,
      running: Boolean(ip),
      restarting: false,
      endpoint: ip && port ? { host: ip, port } : undefined,
      hostPort: c.hostPorts[0],
    };
  }

  /** Where a container answers now: its address on its app's network, at the port it listens on (web only). */
  private async describe(
    id: string,
    app: string,
    name: string,
    process: string,
    index: number,
    release: number,
    port: number | undefined,
  ): Promise<Instance> {
    const { ip, restarting, hostPorts } = await this.docker.containers.status(id, appNetworkName(this.options, app));
    const endpoint = ip && port ? { host: ip, port } : undefined;
    return { id, name, process, index, release, running: Boolean(ip), restarting, endpoint, hostPort: hostPorts[0] };
  }
}
