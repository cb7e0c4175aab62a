import { Writable, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { sleep } from '../core/process.js';

/** Labels put on everything Slipway creates, so state can always be rebuilt from Docker. */
export const LABEL = {
  instance: 'slipway.instance',
  app: 'slipway.app',
  process: 'slipway.process',
  index: 'slipway.index',
  release: 'slipway.release',
  deploy: 'slipway.deploy',
  service: 'slipway.service',
  /** On containers that run once (run, release tasks): never part of the app's formation. */
  oneOff: 'slipway.one-off',
} as const;

/** How long to wait for a removal someone else started. */
const REMOVAL_WAIT_MS = 60_000;

export interface ContainerSpec {
  name: string;
  image: string;
  env: string[];
  labels: Record<string, string>;
  network: string;
  cmd?: string[];
  /** Extra DNS names on the network. */
  aliases?: string[];
  /** Volumes: `name:/path`. */
  binds?: string[];
  /** Container port published on a host port (all interfaces). */
  publish?: { containerPort: number; hostPort: number };
  /** Docker's restart policy; `unless-stopped` when absent. */
  restartPolicy?: { name: string; maximumRetryCount?: number };
  memoryBytes?: number;
  nanoCpus?: number;
}

/** A container that runs once and goes: a build, a release task, `run`. */
export interface OneOffSpec {
  name?: string;
  image: string;
  cmd: string[];
  env: string[];
  labels: Record<string, string>;
  binds: string[];
  network?: string;
}

/** A client's terminal (an SSH pty): its type, its size, and news of resizes. */
export interface Terminal {
  term: string;
  cols: number;
  rows: number;
  onResize(listener: (size: { cols: number; rows: number }) => void): void;
  /** Called when a process takes the terminal over (a local tty goes raw); returns the undo. */
  takeOver?(): () => void;
}

/** A client's terminal type goes into a container's environment: a plain name, else xterm. */
export function terminalType(term: string | undefined): string {
  return term !== undefined && /^[A-Za-z0-9._+-]{1,64}$/.test(term) ? term : 'xterm';
}

export interface ContainerSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: string;
}

export interface ContainerStatus {
  running: boolean;
  restarting: boolean;
  restartCount: number;
  exitCode: number;
  ip: string | undefined;
}

/** Thrown for a build whose Dockerfile failed: the user's problem, not ours. */
export class BuildFailedError extends Error {}

/**
 * The one module that talks to the Docker Engine API. Everything goes through the API
 * (never a shell string); the version is pinned to what Debian's docker.io speaks.
 */
export class DockerEngine {
  private readonly api: Docker;

  constructor(socketPath: string) {
    this.api = new Docker({ socketPath, version: 'v1.41' });
  }

  async ping(): Promise<void> {
    await this.api.ping();
  }

  async ensureNetwork(name: string, labels: Record<string, string>): Promise<void> {
    const existing = await this.api.listNetworks({ filters: { name: [name] } });
    if (existing.some((n) => n.Name === name)) return;
    try {
      await this.api.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error; // created concurrently
    }
  }

  async imageExists(ref: string): Promise<boolean> {
    return succeedsUnlessMissing(this.api.getImage(ref).inspect());
  }

  /**
   * Builds from a tar context; streams each output line; throws BuildFailedError on a failed
   * step. No build labels: the legacy builder turns each into an extra step and container.
   */
  async build(context: Readable, tag: string, onLine: (line: string) => void) {
    const stream = await this.api.buildImage(context, { t: tag, rm: true, forcerm: true });
    await followJsonStream(stream, onLine);
  }

  /**
   * Runs a one-off build container to completion: files are put in before it starts, its
   * output streams line by line, and `collect` may copy a directory out before it is removed.
   */
  async runToCompletion(
    spec: OneOffSpec & {
      inputs: { path: string; tar: Readable }[];
      onLine: (line: string) => void;
      collect?: { path: string; use: (tar: NodeJS.ReadableStream) => Promise<void> };
    },
  ): Promise<number> {
    const container = await this.createOneOff(spec, { Tty: false });
    try {
      for (const input of spec.inputs) await container.putArchive(input.tar, { path: input.path });
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const lines = lineSplitter(spec.onLine);
      this.api.modem.demuxStream(stream, lines, lines);
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the last output arrive
      lines.end();
      if (StatusCode === 0 && spec.collect) await spec.collect.use(await container.getArchive({ path: spec.collect.path }));
      return StatusCode;
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  }

  /**
   * Runs a one-off container on the caller's terminal (`ssh -t … run app bash`): its input
   * is the client's, its output goes back raw, and it is killed if the client goes away.
   */
  async runOnTerminal(spec: OneOffSpec & { terminal: Terminal; stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream }): Promise<number> {
    const container = await this.createOneOff(
      { ...spec, env: [...spec.env, `TERM=${spec.terminal.term}`] },
      { Tty: true, OpenStdin: true, AttachStdin: true, AttachStdout: true, AttachStderr: true },
    );
    try {
      const stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
      stream.pipe(spec.stdout, { end: false });
      spec.stdin.pipe(stream, { end: false });
      spec.stdin.once('close', () => void container.kill().catch(() => {}));
      const release = spec.terminal.takeOver?.();
      await container.start();
      const resize = (size: { cols: number; rows: number }) => void container.resize({ h: size.rows, w: size.cols }).catch(() => {});
      resize(spec.terminal);
      spec.terminal.onResize(resize);
      const { StatusCode } = (await container.wait().finally(() => release?.())) as { StatusCode: number };
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the last output arrive
      return StatusCode;
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  }

  private createOneOff(spec: OneOffSpec, io: Record<string, boolean>) {
    return this.api.createContainer({
      _query: spec.name ? { name: spec.name } : {},
      _body: {
        Image: spec.image,
        Cmd: spec.cmd,
        Env: spec.env,
        Labels: spec.labels,
        ...io,
        HostConfig: { Binds: spec.binds, NetworkMode: spec.network, Init: true },
      },
    } as never);
  }

  /** Removes a volume; false when there was none. */
  async removeVolume(name: string): Promise<boolean> {
    return succeedsUnlessMissing(this.api.getVolume(name).remove());
  }

  /** `docker import`: a root filesystem tar becomes an image. */
  async importImage(rootfs: Readable, repo: string, tag: string, changes: string[]): Promise<void> {
    const stream = await this.api.importImage(rootfs, { repo, tag, changes } as object);
    await followJsonStream(stream, () => {});
  }

  /** One label of an image, or undefined when the image or the label is missing. */
  async imageLabel(ref: string, label: string): Promise<string | undefined> {
    try {
      return (await this.api.getImage(ref).inspect()).Config.Labels?.[label];
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /** Whether the image says what to run (a CMD or an ENTRYPOINT). */
  async imageHasCommand(ref: string): Promise<boolean> {
    const { Config } = await this.api.getImage(ref).inspect();
    return Boolean(Config.Cmd?.length || Config.Entrypoint?.length);
  }

  async tagImage(source: string, repo: string, tag: string): Promise<void> {
    await this.api.getImage(source).tag({ repo, tag });
  }

  /** Untags `ref`, deleting the image when no other tag is left. */
  async removeImage(ref: string): Promise<void> {
    await ignoreMissing(this.api.getImage(ref).remove());
  }

  /** Images of one repository, by its name (`slipway/app-myapp`). */
  async listImages(repository: string): Promise<{ id: string; tags: string[] }[]> {
    const images = await this.api.listImages({ filters: { reference: [repository] } });
    return images.map((i) => ({ id: i.Id, tags: i.RepoTags ?? [] }));
  }

  /** Creates and starts a long-running container; secrets stay out of request URLs (dockerode #144). */
  async run(spec: ContainerSpec): Promise<string> {
    const body = {
      Image: spec.image,
      Env: spec.env,
      Labels: spec.labels,
      Cmd: spec.cmd,
      ExposedPorts: spec.publish && { [`${spec.publish.containerPort}/tcp`]: {} },
      HostConfig: {
        NetworkMode: spec.network,
        RestartPolicy: spec.restartPolicy
          ? { Name: spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount }
          : { Name: 'unless-stopped' },
        Memory: spec.memoryBytes,
        NanoCpus: spec.nanoCpus,
        Init: true,
        Binds: spec.binds,
        PortBindings: spec.publish && { [`${spec.publish.containerPort}/tcp`]: [{ HostPort: String(spec.publish.hostPort) }] },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      },
      NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: spec.aliases } } },
    };
    const container = await this.api.createContainer({ _query: { name: spec.name }, _body: body } as never);
    await container.start();
    return container.id;
  }

  async status(id: string, network: string): Promise<ContainerStatus> {
    const info = await this.api.getContainer(id).inspect();
    return {
      running: info.State.Running,
      restarting: info.State.Restarting,
      restartCount: info.RestartCount,
      exitCode: info.State.ExitCode,
      ip: info.NetworkSettings.Networks[network]?.IPAddress || undefined,
    };
  }

  async list(labels: Record<string, string>, includeStopped = true): Promise<ContainerSummary[]> {
    const containers = await this.api.listContainers({ all: includeStopped, filters: { label: labelFilters(labels) } });
    return containers.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      labels: c.Labels,
      state: c.State,
    }));
  }

  /**
   * Calls `onStart` with the labels of each container that starts with these labels,
   * reconnecting when the engine restarts, until `signal` aborts.
   */
  async watchStarts(labels: Record<string, string>, onStart: (id: string, labels: Record<string, string>) => void, signal: AbortSignal) {
    const filters = JSON.stringify({ type: ['container'], event: ['start'], label: labelFilters(labels) });
    while (!signal.aborted) {
      try {
        const stream = (await this.api.getEvents({ filters })) as NodeJS.ReadableStream & { destroy(): void };
        const stop = () => stream.destroy();
        signal.addEventListener('abort', stop, { once: true });
        let pending = '';
        stream.on('data', (chunk: Buffer) => {
          pending += chunk.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines.filter(Boolean)) {
            const event = JSON.parse(line) as { Actor?: { ID?: string; Attributes?: Record<string, string> } };
            onStart(event.Actor?.ID ?? '', event.Actor?.Attributes ?? {});
          }
        });
        await new Promise((resolve) => {
          stream.on('end', resolve);
          stream.on('error', resolve);
          stream.on('close', resolve);
        });
        signal.removeEventListener('abort', stop);
      } catch {
        /* the engine is down or restarting: try again */
      }
      if (!signal.aborted) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /**
   * Runs a command in a running container (no shell) with the caller's streams, feeding it
   * `stdin` when given; returns its exit code. With `tty` the process gets a terminal of that
   * size (following resizes) and its output comes raw, not demuxed.
   */
  async exec(
    id: string,
    cmd: string[],
    io: {
      user?: string;
      env?: string[];
      stdin?: NodeJS.ReadableStream;
      stdout: NodeJS.WritableStream;
      stderr: NodeJS.WritableStream;
      tty?: Terminal;
    },
  ): Promise<number> {
    const exec = await this.api.getContainer(id).exec({
      Cmd: cmd,
      User: io.user,
      Env: io.tty ? [...(io.env ?? []), `TERM=${io.tty.term}`] : io.env,
      AttachStdin: Boolean(io.stdin),
      AttachStdout: true,
      AttachStderr: true,
      Tty: Boolean(io.tty),
    });
    const stream = await exec.start({ hijack: true, stdin: Boolean(io.stdin), Tty: Boolean(io.tty) });
    const ended = new Promise((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', resolve);
    });
    const release = io.tty?.takeOver?.();
    if (io.tty) {
      stream.pipe(io.stdout, { end: false });
      const resize = (size: { cols: number; rows: number }) => void exec.resize({ h: size.rows, w: size.cols }).catch(() => {});
      resize(io.tty);
      io.tty.onResize(resize);
    } else {
      this.api.modem.demuxStream(stream, io.stdout, io.stderr);
    }
    if (io.tty) {
      // A terminal has no end of input (and Docker would hang the process up at one): the
      // process ends when it exits, or when the client goes away.
      io.stdin?.pipe(stream, { end: false });
      io.stdin?.once('close', () => void hangUp(exec).finally(() => stream.destroy()));
    } else {
      io.stdin?.pipe(stream); // its end half-closes the connection; the output keeps coming
    }
    await ended;
    release?.();
    return (await exec.inspect()).ExitCode ?? 1;
  }

  async restart(id: string, graceSeconds: number): Promise<void> {
    await this.api.getContainer(id).restart({ t: graceSeconds });
  }

  /**
   * A container's log lines with Docker's timestamps, the last `tail` of them, then new ones
   * as they come when `follow`, until the container stops or `signal` aborts.
   */
  async streamLogs(id: string, options: { tail: number; follow: boolean; onLine: (line: string) => void; signal: AbortSignal }) {
    const container = this.api.getContainer(id);
    const lines = lineSplitter(options.onLine);
    if (!options.follow) {
      const buffer = (await container.logs({ stdout: true, stderr: true, timestamps: true, tail: options.tail })) as Buffer;
      for (const line of demuxToLines(buffer)) options.onLine(line);
      return;
    }
    const stream = (await container.logs({ stdout: true, stderr: true, timestamps: true, tail: options.tail, follow: true })) as NodeJS.ReadableStream & {
      destroy(): void;
    };
    const stop = () => stream.destroy();
    options.signal.addEventListener('abort', stop, { once: true });
    this.api.modem.demuxStream(stream, lines, lines);
    await new Promise((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', resolve);
    });
    options.signal.removeEventListener('abort', stop);
    lines.end();
  }

  /** The last lines a container printed, for showing why it failed. */
  async logs(id: string, tail = 50): Promise<string[]> {
    const buffer = (await this.api.getContainer(id).logs({ stdout: true, stderr: true, tail })) as Buffer;
    return demuxToLines(buffer);
  }

  /** SIGTERM, then SIGKILL after the grace period, then remove. Missing containers are fine. */
  /**
   * Stops and removes a container. Another removal may be under way (a retirement draining
   * while the app is destroyed): then this waits until the container is gone.
   */
  async stopAndRemove(id: string, graceSeconds: number): Promise<void> {
    const container = this.api.getContainer(id);
    await ignoreMissing(container.stop({ t: graceSeconds }), 304, 409);
    try {
      await ignoreMissing(container.remove({ force: true }));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
      for (let waited = 0; (await succeedsUnlessMissing(container.inspect())) && waited < REMOVAL_WAIT_MS; waited += 250) await sleep(250);
    }
  }
}

/**
 * Docker leaves an exec'd process running when its client goes away: a shell left behind
 * would wait on its terminal for ever. It gets SIGHUP, as a shell whose terminal closed does.
 */
async function hangUp(exec: Docker.Exec): Promise<void> {
  const { Pid, Running } = await exec.inspect().catch(() => ({ Pid: 0, Running: false }));
  if (Running && Pid > 0) {
    try {
      process.kill(Pid, 'SIGHUP');
    } catch {
      // already gone
    }
  }
}

/** A writable that calls `onLine` per line of text written to it. */
function lineSplitter(onLine: (line: string) => void): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach((line) => onLine(line.trimEnd()));
      done();
    },
    final(done) {
      if (pending) onLine(pending.trimEnd());
      done();
    },
  });
}

function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

/** True when the operation succeeds, false when its object does not exist (404). */
async function succeedsUnlessMissing(operation: Promise<unknown>): Promise<boolean> {
  try {
    await operation;
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

async function ignoreMissing(operation: Promise<unknown>, ...alsoOk: number[]): Promise<void> {
  try {
    await operation;
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== 404 && !alsoOk.includes(status ?? 0)) throw error;
  }
}

/** Reads a JSON-lines progress stream (build/import); Docker reports failures inside it, not by status. */
function followJsonStream(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let failure: string | undefined;
    const handle = (json: string) => {
      if (!json.trim()) return;
      let event: { stream?: string; error?: string; errorDetail?: { message?: string }; status?: string };
      try {
        event = JSON.parse(json);
      } catch {
        return;
      }
      if (event.error) failure = event.errorDetail?.message ?? event.error;
      // Errors are thrown below, to be reported once by the caller.
      const text = event.stream;
      if (text) for (const line of text.split('\n')) if (line.trim()) onLine(line.trimEnd());
    };
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(handle);
    });
    stream.on('error', reject);
    stream.on('end', () => {
      handle(pending);
      if (failure) reject(new BuildFailedError(failure));
      else resolve();
    });
  });
}

/** Non-TTY container logs come in 8-byte-header frames (stream type, size). */
function demuxToLines(buffer: Buffer): string[] {
  const chunks: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    chunks.push(buffer.subarray(offset + 8, offset + 8 + size).toString('utf8'));
    offset += 8 + size;
  }
  return chunks.join('').split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);
}
