import type { LogOptions } from '../scheduler.js';
import { ignoreMissing, unlessMissing, type DockerApi } from './api.js';
import { followLogLines, type LogStream } from './containers.js';
import { labelFilters } from './requests.js';
import { demuxToLines } from './streams.js';

/** A node of the swarm, as `nodes:list` shows it. */
export interface SwarmNode {
  id: string;
  hostname: string;
  /** The address the node's published ports answer at. */
  address: string;
  role: 'manager' | 'worker';
  leader: boolean;
  /** `ready`, `down`, `unknown`, `disconnected`. */
  state: string;
  /** `active`, `pause`, `drain`. */
  availability: string;
  labels: Record<string, string>;
  engineVersion: string;
  version: number;
}

/** One task of a service: a replica in one slot, on one node. */
export interface SwarmTask {
  id: string;
  serviceId: string;
  slot: number;
  nodeId: string;
  /** `new` … `running`, `complete`, `failed`, `shutdown`, `rejected`, `orphaned`, `remove`. */
  state: string;
  desiredState: string;
  /** Why it failed, when it did. */
  error: string | undefined;
  exitCode: number | undefined;
  containerId: string | undefined;
  /** The host ports its ports are published on, on its node. */
  publishedPorts: number[];
  /** Seconds since the epoch. */
  created: number;
}

export interface SwarmServiceSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  replicas: number;
  version: number;
}

/** What `swarm init` / `swarm inspect` say about the engine's swarm. */
export interface SwarmInfo {
  /** `inactive`, `pending`, `active`, `error`, `locked`. */
  state: string;
  nodeId: string;
  isManager: boolean;
  managerAddress: string | undefined;
}

/**
 * Docker Swarm through the Engine API of a manager: the swarm itself, its nodes, services and
 * tasks. Pure request bodies come from runtime/swarm/specs.ts; this only sends them.
 */
export class DockerSwarm {
  constructor(private readonly api: DockerApi) {}

  async info(): Promise<SwarmInfo> {
    const info = (await this.api.info()) as {
      Swarm?: {
        LocalNodeState?: string;
        NodeID?: string;
        ControlAvailable?: boolean;
        RemoteManagers?: { Addr: string }[] | null;
        NodeAddr?: string;
      };
    };
    const swarm = info.Swarm ?? {};
    return {
      state: swarm.LocalNodeState ?? 'inactive',
      nodeId: swarm.NodeID ?? '',
      isManager: swarm.ControlAvailable === true,
      managerAddress: swarm.NodeAddr || swarm.RemoteManagers?.[0]?.Addr,
    };
  }

  /** `docker swarm init`: this engine becomes the first manager; its node id. */
  async init(advertiseAddress: string): Promise<string> {
    return (await this.api.swarmInit({
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: advertiseAddress,
      ForceNewCluster: false,
    })) as string;
  }

  async joinTokens(): Promise<{ worker: string; manager: string }> {
    const swarm = (await this.api.swarmInspect()) as { JoinTokens: { Worker: string; Manager: string } };
    return { worker: swarm.JoinTokens.Worker, manager: swarm.JoinTokens.Manager };
  }

  async nodes(): Promise<SwarmNode[]> {
    const nodes = (await this.api.listNodes()) as RawNode[];
    return nodes.map(nodeFrom);
  }

  async node(idOrName: string): Promise<SwarmNode | undefined> {
    const raw = (await unlessMissing(this.api.getNode(idOrName).inspect())) as RawNode | undefined;
    return raw && nodeFrom(raw);
  }

  /** Changes a node's availability or labels (the rest of its spec is kept). */
  async updateNode(node: SwarmNode, change: { availability?: string; labels?: Record<string, string> }): Promise<void> {
    const raw = (await this.api.getNode(node.id).inspect()) as RawNode;
    const spec = {
      ...raw.Spec,
      Availability: change.availability ?? raw.Spec.Availability,
      Labels: change.labels ?? raw.Spec.Labels ?? {},
    };
    await this.api.getNode(node.id).update({ version: raw.Version.Index, ...spec });
  }

  async removeNode(id: string, force: boolean): Promise<void> {
    await this.api.getNode(id).remove({ force });
  }

  /** Creates a service; `auth` (X-Registry-Auth) lets the nodes pull from the registry. */
  async createService(body: Record<string, unknown>, auth: object | undefined): Promise<string> {
    const created = (await (auth
      ? this.api.createService(auth, body as never)
      : this.api.createService(body))) as unknown as { id?: string; ID?: string };
    return created.id ?? created.ID ?? '';
  }

  async services(labels: Record<string, string>): Promise<SwarmServiceSummary[]> {
    const services = (await this.api.listServices({ filters: { label: labelFilters(labels) } })) as RawService[];
    return services.map(serviceFrom);
  }

  /** A service's summary; undefined once it is gone. */
  async service(id: string): Promise<SwarmServiceSummary | undefined> {
    const raw = (await unlessMissing(this.api.getService(id).inspect())) as RawService | undefined;
    return raw && serviceFrom(raw);
  }

  /** Sets a replicated service's replica count; Swarm picks which tasks go or come. A service that is gone is left so. */
  async scaleService(id: string, replicas: number): Promise<void> {
    const raw = (await unlessMissing(this.api.getService(id).inspect())) as RawService | undefined;
    if (!raw) return; // removed meanwhile: nothing left to scale
    const spec = { ...raw.Spec, Mode: { Replicated: { Replicas: replicas } } };
    await this.api.getService(id).update({ version: raw.Version.Index, ...spec });
  }

  async removeService(id: string): Promise<void> {
    await ignoreMissing(this.api.getService(id).remove());
  }

  /** Tasks (of one service or node, or of every one; in any of the desired states given), newest first. */
  async tasks(filter: { serviceId?: string; nodeId?: string; desiredState?: string | string[] }): Promise<SwarmTask[]> {
    const filters: Record<string, string[]> = {};
    if (filter.serviceId) filters.service = [filter.serviceId];
    if (filter.nodeId) filters.node = [filter.nodeId];
    if (filter.desiredState) filters['desired-state'] = [filter.desiredState].flat();
    // Filtered by a service that is gone (removed by a retirement meanwhile), the engine says 404: it has none.
    const tasks = ((await unlessMissing(this.api.listTasks({ filters }))) ?? []) as RawTask[];
    return tasks.map(taskFrom).sort((a, b) => b.created - a.created);
  }

  async task(id: string): Promise<SwarmTask | undefined> {
    const raw = (await unlessMissing(this.api.getTask(id).inspect())) as RawTask | undefined;
    return raw && taskFrom(raw);
  }

  /** A task's output through the manager, whichever node it runs on. */
  async recentTaskLogs(id: string, tail: number | 'all' = 50, timestamps = false): Promise<string[]> {
    const buffer = (await this.taskLogs(id, { stdout: true, stderr: true, tail, timestamps })) as Buffer;
    return demuxToLines(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)));
  }

  async streamTaskLogs(id: string, options: LogOptions) {
    if (!options.follow) return (await this.recentTaskLogs(id, options.tail, true)).forEach(options.onLine);
    const stream = await this.taskLogs(id, {
      stdout: true,
      stderr: true,
      timestamps: true,
      tail: options.tail,
      ...(options.since === undefined ? {} : { since: options.since }),
      follow: true,
    });
    await followLogLines(this.api, stream as LogStream, options);
  }

  /** dockerode has the call but not its type. */
  private taskLogs(id: string, options: object): Promise<unknown> {
    return (this.api.getTask(id) as unknown as { logs(options: object): Promise<unknown> }).logs(options);
  }

  /** An overlay network other containers (one-offs, services on the manager) may join too. */
  async ensureOverlay(name: string, labels: Record<string, string>, encrypted: boolean): Promise<void> {
    const existing = await unlessMissing(this.api.getNetwork(name).inspect());
    if (existing?.Name === name) return;
    try {
      await this.api.createNetwork({
        Name: name,
        Driver: 'overlay',
        Attachable: true,
        CheckDuplicate: true,
        Labels: labels,
        Options: encrypted ? { encrypted: '' } : {},
      });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
    }
  }
}

interface RawNode {
  ID: string;
  Version: { Index: number };
  Spec: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Addr?: string };
}

interface RawService {
  ID: string;
  Version: { Index: number };
  Spec: { Name: string; Labels?: Record<string, string>; Mode?: { Replicated?: { Replicas?: number } } };
}

interface RawTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState: string;
  Status: {
    State: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
    PortStatus?: { Ports?: { PublishedPort?: number }[] };
  };
}

function nodeFrom(raw: RawNode): SwarmNode {
  // A manager's Status.Addr may be 0.0.0.0; its manager address is the one it advertises.
  const statusAddr = raw.Status?.Addr ?? '';
  const managerAddr = raw.ManagerStatus?.Addr?.replace(/:\d+$/, '');
  return {
    id: raw.ID,
    hostname: raw.Description?.Hostname ?? '',
    address: statusAddr && statusAddr !== '0.0.0.0' ? statusAddr : (managerAddr ?? statusAddr),
    role: raw.Spec.Role === 'manager' ? 'manager' : 'worker',
    leader: raw.ManagerStatus?.Leader === true,
    state: raw.Status?.State ?? 'unknown',
    availability: raw.Spec.Availability ?? 'active',
    labels: raw.Spec.Labels ?? {},
    engineVersion: raw.Description?.Engine?.EngineVersion ?? '',
    version: raw.Version.Index,
  };
}

function serviceFrom(raw: RawService): SwarmServiceSummary {
  return {
    id: raw.ID,
    name: raw.Spec.Name,
    labels: raw.Spec.Labels ?? {},
    replicas: raw.Spec.Mode?.Replicated?.Replicas ?? 0,
    version: raw.Version.Index,
  };
}

function taskFrom(raw: RawTask): SwarmTask {
  const ports = (raw.Status.PortStatus?.Ports ?? []).map((p) => p.PublishedPort ?? 0).filter((p) => p > 0);
  return {
    id: raw.ID,
    serviceId: raw.ServiceID,
    slot: raw.Slot ?? 0,
    nodeId: raw.NodeID ?? '',
    state: raw.Status.State,
    desiredState: raw.DesiredState,
    error: raw.Status.Err,
    exitCode: raw.Status.ContainerStatus?.ExitCode,
    containerId: raw.Status.ContainerStatus?.ContainerID,
    publishedPorts: [...new Set(ports)],
    created: Math.floor(Date.parse(raw.CreatedAt ?? '') / 1000) || 0,
  };
}
