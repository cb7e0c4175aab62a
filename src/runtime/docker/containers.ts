import type { LogOptions } from '../scheduler.js';
import { lineWriter } from '../../core/lines.js';
import { sleep } from '../../core/process.js';
import { usageFromStats, type ContainerUsage, type DockerStats, type UsageOptions } from './usage.js';
import {
  ended,
  ignoreMissing,
  isConflict,
  succeedsUnlessMissing,
  unlessMissing,
  orEmpty,
  type DockerApi,
} from './api.js';
import { containerRequest, labelFilters, type ContainerSpec, type CreateRequest } from './requests.js';
import { demuxToLines } from './streams.js';

/** How long to wait for a removal someone else started. */
const REMOVAL_WAIT_MS = 60_000;

export interface ContainerSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: string;
  /** When it was created, in seconds since the epoch. */
  created: number;
  /** Its address on each network it has one on, by network name. */
  addresses: Record<string, string>;
  /** The host ports it is published on. */
  hostPorts: number[];
}

export interface ContainerStatus {
  running: boolean;
  restarting: boolean;
  restartCount: number;
  exitCode: number;
  /** Its address on the network asked about, while it has one. */
  ip: string | undefined;
  /** Host ports its ports are published on. */
  hostPorts: number[];
}

export type LogStream = NodeJS.ReadableStream & { destroy(): void };

/** Passes on the lines of a followed log stream (a container's, a task's) until it ends or `signal` aborts. */
export async function followLogLines(
  api: DockerApi,
  stream: LogStream,
  options: { onLine: (line: string) => void; signal: AbortSignal },
): Promise<void> {
  const stop = () => stream.destroy();
  options.signal.addEventListener('abort', stop, { once: true });
  const lines = lineWriter(options.onLine);
  api.modem.demuxStream(stream, lines, lines);
  await ended(stream);
  options.signal.removeEventListener('abort', stop);
  lines.end();
}

/** A container's address on each network it has one on, by network name. */
const addressesOn = (networks: Record<string, { IPAddress: string }> | null | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(orEmpty(networks, {})).flatMap(([network, settings]) =>
      settings.IPAddress ? [[network, settings.IPAddress]] : [],
    ),
  );

/** The host ports of an inspected container's port bindings. */
const boundPorts = (ports: Record<string, { HostPort: string }[] | null> | null | undefined): number[] =>
  Object.values(orEmpty(ports, {}))
    .flatMap((bindings) => orEmpty(bindings, []).map((b) => Number(b.HostPort)))
    .filter((p) => p > 0);

/** Long-running containers: create and start, inspect, list, logs, restart, stop and remove. */
export class DockerContainers {
  constructor(private readonly api: DockerApi) {}

  /** Creates and starts a long-running container; returns its id. */
  run(spec: ContainerSpec): Promise<string> {
    return this.start(containerRequest(spec));
  }

  async start(request: CreateRequest): Promise<string> {
    const container = await this.api.createContainer({
      _query: request.name ? { name: request.name } : {},
      _body: request.body,
    } as never);
    await container.start();
    return container.id;
  }

  async status(id: string, network?: string): Promise<ContainerStatus> {
    const info = await this.api.getContainer(id).inspect();
    return {
      running: info.State.Running,
      restarting: info.State.Restarting,
      restartCount: info.RestartCount,
      exitCode: info.State.ExitCode,
      ip: (network && info.NetworkSettings.Networks[network]?.IPAddress) || undefined,
      hostPorts: boundPorts(info.NetworkSettings.Ports),
    };
  }

  async list(labels: Record<string, string>, includeStopped = true): Promise<ContainerSummary[]> {
    const containers = await this.api.listContainers({ all: includeStopped, filters: { label: labelFilters(labels) } });
    return containers.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      labels: c.Labels,
      state: c.State,
      created: c.Created,
      addresses: addressesOn(c.NetworkSettings.Networks),
      hostPorts: orEmpty(c.Ports, [])
        .map((p) => Number(p.PublicPort))
        .filter((p) => p > 0),
    }));
  }

  /** The container of exactly this name (Docker's name filter matches substrings), or undefined. */
  async find(name: string): Promise<ContainerSummary | undefined> {
    const info = await unlessMissing(this.api.getContainer(name).inspect());
    if (info?.Name !== `/${name}`) return undefined; // missing, or an id prefix that happened to match
    return {
      id: info.Id,
      name,
      labels: orEmpty(info.Config.Labels, {}),
      state: info.State.Status,
      created: Math.floor(Date.parse(info.Created) / 1000),
      addresses: addressesOn(info.NetworkSettings.Networks),
      hostPorts: boundPorts(info.NetworkSettings.Ports),
    };
  }

  async restart(id: string, graceSeconds: number): Promise<void> {
    await this.api.getContainer(id).restart({ t: graceSeconds });
  }

  /**
   * What a running container uses now (the engine samples for about a second); undefined once
   * it is gone. `oneShot`: at once, without the second sample (so no CPU percentage), which
   * totals and memory do not need.
   */
  async usage(id: string, options: UsageOptions = {}): Promise<ContainerUsage | undefined> {
    const query = options.oneShot ? { stream: false, 'one-shot': true } : { stream: false };
    const stats = await unlessMissing(
      this.api.getContainer(id).stats(query as { stream: false }) as Promise<DockerStats>,
    );
    return stats && usageFromStats(stats);
  }

  /** The last lines a container printed, for showing why it failed. */
  async recentLogs(id: string, tail = 50): Promise<string[]> {
    const buffer = await this.api.getContainer(id).logs({ stdout: true, stderr: true, tail });
    return demuxToLines(buffer);
  }

  /**
   * A container's log lines with Docker's timestamps, the last `tail` of them, then new ones
   * as they come when `follow`, until the container stops or `signal` aborts.
   */
  async streamLogs(id: string, options: LogOptions) {
    const container = this.api.getContainer(id);
    // dockerode types `tail` and `since` as numbers; the engine takes `all` and fractional seconds too.
    const range = { tail: options.tail, ...(options.since === undefined ? {} : { since: options.since }) } as {
      tail: number;
    };
    if (!options.follow) {
      const buffer = await container.logs({ stdout: true, stderr: true, timestamps: true, ...range });
      for (const line of demuxToLines(buffer)) options.onLine(line);
      return;
    }
    const stream = await container.logs({ stdout: true, stderr: true, timestamps: true, ...range, follow: true });
    await followLogLines(this.api, stream as unknown as LogStream, options);
  }

  /**
   * Stops (SIGTERM, SIGKILL after the grace period) and removes a container; a missing one
   * is fine. Another removal may be under way (a retirement draining while the app is
   * destroyed): then this waits until the container is gone.
   */
  async stopAndRemove(id: string, graceSeconds: number): Promise<void> {
    const container = this.api.getContainer(id);
    await ignoreMissing(container.stop({ t: graceSeconds }), 304, 409);
    try {
      await ignoreMissing(container.remove({ force: true }));
    } catch (error) {
      if (!isConflict(error)) throw error;
      for (
        let waited = 0;
        (await succeedsUnlessMissing(container.inspect())) && waited < REMOVAL_WAIT_MS;
        waited += 250
      )
        await sleep(250);
    }
  }
}
