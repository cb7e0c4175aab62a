import { UserError } from '../../core/errors.js';
import { LABEL } from '../../model/labels.js';
import type { ProcessIo } from '../../model/terminal.js';
import { discardingWriter } from '../../core/lines.js';
import { sleep } from '../../core/process.js';
import { waitForListening, type CheckOutcome } from '../checks.js';
import type { DockerEngine } from '../docker/index.js';
import type { ServiceRuntime, ServiceSpec } from '../services.js';
import { ensureServiceNetwork } from './networks.js';
import {
  serviceArchiveVolumeName,
  serviceContainer,
  serviceContainerName,
  serviceLabel,
  serviceLabels,
  serviceNetworkName,
  serviceVolumeName,
  type LocalTarget,
} from './specs.js';

/**
 * Database services as containers on this host, each on its own named volume and network,
 * and on the networks of the apps linked to it, where apps reach it by its host name.
 */
export class LocalServiceRuntime implements ServiceRuntime {
  constructor(
    private readonly docker: DockerEngine,
    private readonly target: LocalTarget,
  ) {}

  async start(spec: ServiceSpec, readyTimeoutMs: number): Promise<void> {
    const labels = serviceLabels(this.target, spec.kind, spec.name);
    await this.docker.ensureVolume(serviceVolumeName(this.target, spec.kind, spec.name), labels);
    if (spec.archivePath)
      await this.docker.ensureVolume(serviceArchiveVolumeName(this.target, spec.kind, spec.name), labels);
    await ensureServiceNetwork(this.docker, this.target, spec.kind, spec.name);
    const id = await this.docker.containers.run(serviceContainer(this.target, spec));
    await this.join(id, spec);
    await this.waitUntilReady(spec, id, readyTimeoutMs);
  }

  async attach(spec: ServiceSpec): Promise<void> {
    const container = await this.container(spec.kind, spec.name);
    if (container?.state === 'running') await this.join(container.id, spec);
  }

  /** Onto its own network and the linked apps' (under its host name), off every other. */
  private async join(id: string, spec: ServiceSpec): Promise<void> {
    const own = serviceNetworkName(this.target, spec.kind, spec.name);
    const wanted = new Set([own, ...spec.appNetworks]);
    const current = new Set(await this.docker.networks.of(id));
    if (!current.has(own))
      await this.docker.networks.connect(
        await ensureServiceNetwork(this.docker, this.target, spec.kind, spec.name),
        id,
        [spec.host],
      );
    for (const network of spec.appNetworks)
      if (!current.has(network)) await this.docker.networks.connect(network, id, [spec.host]);
    for (const network of current) if (!wanted.has(network)) await this.docker.networks.disconnect(network, id);
  }

  async state(kind: string, name: string): Promise<string> {
    return (await this.container(kind, name))?.state ?? 'missing';
  }

  async restart(spec: ServiceSpec, readyTimeoutMs: number): Promise<void> {
    const container = await this.container(spec.kind, spec.name);
    if (!container) throw new UserError(`The container of ${spec.kind} service ${spec.name} is missing`);
    await this.docker.containers.restart(container.id, 30);
    await this.join(container.id, spec);
    await this.waitUntilReady(spec, container.id, readyTimeoutMs);
  }

  async remove(kind: string, name: string, graceSeconds: number): Promise<void> {
    const container = await this.container(kind, name);
    if (container) await this.docker.containers.stopAndRemove(container.id, graceSeconds);
  }

  async forget(kind: string, name: string): Promise<void> {
    await this.docker.removeVolume(serviceVolumeName(this.target, kind, name));
    await this.docker.removeVolume(serviceArchiveVolumeName(this.target, kind, name));
    await this.docker.networks.remove(serviceNetworkName(this.target, kind, name));
  }

  async exec(
    kind: string,
    name: string,
    command: { user: string; cmd: string[]; env?: Record<string, string> },
    io: ProcessIo,
  ): Promise<number> {
    const container = await this.container(kind, name);
    if (!container || container.state !== 'running') throw new UserError(`Service ${kind} ${name} is not running`);
    return this.docker.exec(container.id, command.cmd, { user: command.user, env: command.env, ...io });
  }

  async logs(kind: string, name: string, tail: number): Promise<string[]> {
    const container = await this.container(kind, name);
    return container ? this.docker.containers.recentLogs(container.id, tail) : [];
  }

  /**
   * The service's container, by the name Slipway gave it: a label could be copied from a
   * tenant's image onto its own container, a name cannot.
   */
  private async container(kind: string, name: string) {
    const found = await this.docker.containers.find(serviceContainerName(this.target, kind, name));
    return found?.labels[LABEL.instance] === this.target.instance &&
      found.labels[LABEL.service] === serviceLabel(kind, name)
      ? found
      : undefined;
  }

  /** Until the service accepts connections (after first-start initialisation too). */
  private async waitUntilReady(spec: ServiceSpec, id: string, timeoutMs: number): Promise<void> {
    const status = () => this.docker.containers.status(id, serviceNetworkName(this.target, spec.kind, spec.name));
    const deadline = Date.now() + timeoutMs;
    const ready = await waitForListening(
      { ip: (await status()).ip ?? '', port: spec.port, host: '', status },
      spec.port,
      timeoutMs,
    );
    const serving = ready.ok ? await this.waitUntilServing(spec, id, deadline) : ready;
    if (!serving.ok) {
      const logs = await this.docker.containers.recentLogs(id, 20);
      throw new UserError(`${spec.title} did not start: ${serving.reason}\n${logs.join('\n')}`);
    }
  }

  /** Until the kind's readiness command passes in the container. */
  private async waitUntilServing(spec: ServiceSpec, id: string, deadline: number): Promise<CheckOutcome> {
    if (!spec.ready) return { ok: true };
    const quiet = discardingWriter();
    for (;;) {
      if ((await this.docker.exec(id, spec.ready.cmd, { user: spec.ready.user, stdout: quiet, stderr: quiet })) === 0)
        return { ok: true };
      if (Date.now() > deadline) return { ok: false, reason: `${spec.ready.cmd[0]} did not pass within the time` };
      await sleep(200);
    }
  }
}
