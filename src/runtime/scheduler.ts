import { randomBytes } from 'node:crypto';
import type { Healthcheck } from '../build/source.js';
import { LABEL, type DockerEngine, type Terminal } from './docker.js';
import { checkContainer, type CheckOutcome } from './checks.js';
import type { ProcessOptions } from './process-options.js';

export interface ProcessContainer {
  id: string;
  name: string;
  process: string;
  index: number;
  release: number;
  ip: string;
}

export interface StartRequest {
  app: string;
  release: number;
  image: string;
  process: string;
  index: number;
  env: Record<string, string>;
  /** Only processes that take traffic (web) get a PORT. */
  port: number | undefined;
  /** The container's command; undefined runs the image's own. */
  cmd: string[] | undefined;
  options: ProcessOptions;
  /** Host directories mounted in (storage:mount), `host:container[:ro]`. */
  binds: string[];
}

/**
 * Runs an app's processes as labelled containers on the instance network: start, check,
 * list and retire. The labels are the source of truth for what runs.
 */
export class Scheduler {
  constructor(
    private readonly docker: DockerEngine,
    private readonly options: {
      instance: string;
      network: string;
      checksTimeoutMs: number;
      checksSettleMs: number;
      stopTimeoutSeconds: number;
    },
  ) {}

  async start(request: StartRequest): Promise<ProcessContainer> {
    const name = this.containerName(request.app, `${request.process}.${request.index}`);
    const env = { ...request.env, DYNO: `${request.process}.${request.index}`, PORT: String(request.port ?? '') };
    const id = await this.docker.run({
      name,
      image: request.image,
      cmd: request.cmd,
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      network: this.options.network,
      binds: request.binds,
      restartPolicy: request.options.restartPolicy,
      memoryBytes: request.options.memoryBytes,
      nanoCpus: request.options.nanoCpus,
      labels: {
        [LABEL.instance]: this.options.instance,
        [LABEL.app]: request.app,
        [LABEL.process]: request.process,
        [LABEL.index]: String(request.index),
        [LABEL.release]: String(request.release),
      },
    });
    const status = await this.docker.status(id, this.options.network);
    return { id, name, process: request.process, index: request.index, release: request.release, ip: status.ip ?? '' };
  }

  /** `<instance>.<app>.<dyno>.<random>`, so `docker ps` reads like the app's processes. */
  private containerName(app: string, dyno: string): string {
    return `${this.options.instance}.${app}.${dyno}.${randomBytes(3).toString('hex')}`;
  }

  check(
    container: ProcessContainer,
    target: { port: number | undefined; host: string; checks: Healthcheck[] },
    log: (line: string) => void,
  ): Promise<CheckOutcome> {
    return checkContainer(
      { ip: container.ip, port: target.port, host: target.host, status: () => this.docker.status(container.id, this.options.network) },
      target.checks,
      { listenTimeoutMs: this.options.checksTimeoutMs, settleMs: this.options.checksSettleMs },
      log,
    );
  }

  /**
   * A one-off container of a release (release phase, app.json scripts, `run`): its exit
   * code. With a terminal it is interactive; otherwise its output comes line by line.
   */
  runOnce(request: {
    app: string;
    image: string;
    cmd: string[];
    env: Record<string, string>;
    binds: string[];
    onLine: (line: string) => void;
    terminal?: { terminal: Terminal; stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream };
  }) {
    const common = {
      name: this.containerName(request.app, request.env.DYNO ?? 'run'),
      image: request.image,
      cmd: request.cmd,
      env: Object.entries(request.env).map(([k, v]) => `${k}=${v}`),
      labels: { [LABEL.instance]: this.options.instance, [LABEL.app]: request.app, [LABEL.process]: 'run', [LABEL.oneOff]: 'true' },
      binds: request.binds,
      network: this.options.network,
    };
    if (request.terminal) return this.docker.runOnTerminal({ ...common, ...request.terminal });
    return this.docker.runToCompletion({ ...common, inputs: [], onLine: request.onLine });
  }

  logs(container: ProcessContainer): Promise<string[]> {
    return this.docker.logs(container.id);
  }

  /**
   * The app's process containers, running or not; one-off containers (a `run` in progress)
   * only when asked, so a deploy or ps:stop never takes them down.
   */
  async containers(app: string, options: { oneOffs?: boolean } = {}): Promise<ProcessContainer[]> {
    const found = (await this.docker.list({ [LABEL.instance]: this.options.instance, [LABEL.app]: app })).filter(
      (c) => options.oneOffs || c.labels[LABEL.oneOff] !== 'true',
    );
    return Promise.all(
      found.map(async (c) => ({
        id: c.id,
        name: c.name,
        process: c.labels[LABEL.process] ?? '',
        index: Number(c.labels[LABEL.index]),
        release: Number(c.labels[LABEL.release]),
        ip: c.state === 'running' ? ((await this.docker.status(c.id, this.options.network)).ip ?? '') : '',
      })),
    );
  }

  async retire(containers: ProcessContainer[]): Promise<void> {
    await Promise.all(containers.map((c) => this.docker.stopAndRemove(c.id, this.options.stopTimeoutSeconds)));
  }

  async discard(containers: ProcessContainer[]): Promise<void> {
    await Promise.all(containers.map((c) => this.docker.stopAndRemove(c.id, 0)));
  }
}
