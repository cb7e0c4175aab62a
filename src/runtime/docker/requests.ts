/**
 * Pure builders of Engine API requests: what to send for a container, a one-off or an exec,
 * with no I/O, so the exact bodies are unit-tested (as Kamal tests its `docker run` lines).
 */

/** A long-running container. */
export interface ContainerSpec {
  name: string;
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  network: string;
  /** The container's command; undefined runs the image's own. */
  cmd?: string[];
  /** Extra DNS names on the network. */
  aliases?: string[];
  /** Volumes and bind mounts: `source:/path[:ro]`. */
  binds?: string[];
  /** Container port published on a host port (all interfaces). */
  publish?: { containerPort: number; hostPort: number };
  /** Docker's restart policy; `unless-stopped` when absent. */
  restartPolicy?: { name: string; maximumRetryCount?: number };
  memoryBytes?: number;
  nanoCpus?: number;
  pidsLimit?: number;
}

/** A container that runs once and goes: a build, a release task, `run`. */
export interface OneOffSpec {
  name?: string;
  image: string;
  cmd: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  binds: string[];
  network?: string;
  pidsLimit?: number;
}

/**
 * How a one-off is wired: output only, the caller's terminal, nobody (detached), or a
 * standby: started ahead of its work, which is exec'd into it later, and gone by itself
 * (the engine removes it) once its command ends.
 */
export type OneOffIo = 'output' | 'terminal' | 'detached' | 'standby';

export interface CreateRequest {
  name: string | undefined;
  body: Record<string, unknown>;
}

const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } };

/** `KEY=value` lines, in the order given: the Engine API's form of an environment. */
export function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

/** The Engine API's label filter: `key=value` per label. */
export function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}

/** The create request of a long-running container; secrets go in the body, never the URL. */
export function containerRequest(spec: ContainerSpec): CreateRequest {
  const port = spec.publish && `${spec.publish.containerPort}/tcp`;
  return {
    name: spec.name,
    body: {
      Image: spec.image,
      Env: envList(spec.env),
      Labels: spec.labels,
      Cmd: spec.cmd,
      ExposedPorts: port && { [port]: {} },
      HostConfig: {
        NetworkMode: spec.network,
        RestartPolicy: spec.restartPolicy
          ? { Name: spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount }
          : { Name: 'unless-stopped' },
        Memory: spec.memoryBytes,
        NanoCpus: spec.nanoCpus,
        PidsLimit: spec.pidsLimit,
        Init: true,
        Binds: spec.binds,
        PortBindings: port && { [port]: [{ HostPort: String(spec.publish!.hostPort) }] },
        LogConfig: LOG_CONFIG,
      },
      NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: spec.aliases } } },
    },
  };
}

/** The create request of a one-off container; a terminal one gets a tty and the client's input. */
export function oneOffRequest(spec: OneOffSpec, io: OneOffIo, term?: string): CreateRequest {
  const terminal = io === 'terminal';
  return {
    name: spec.name,
    body: {
      Image: spec.image,
      Cmd: spec.cmd,
      Env: envList(terminal ? { ...spec.env, TERM: term ?? 'xterm' } : spec.env),
      Labels: spec.labels,
      Tty: terminal,
      ...(terminal && { OpenStdin: true, AttachStdin: true, AttachStdout: true, AttachStderr: true }),
      HostConfig: {
        Binds: spec.binds,
        NetworkMode: spec.network,
        Init: true,
        PidsLimit: spec.pidsLimit,
        ...(io === 'detached' && { LogConfig: LOG_CONFIG }),
        ...(io === 'standby' && { AutoRemove: true }),
      },
    },
  };
}

/** An exec in a running container: no shell, the caller's user and environment. */
export function execRequest(
  cmd: string[],
  options: { user?: string; env?: Record<string, string>; stdin: boolean; term?: string },
) {
  const env = options.term === undefined ? options.env : { ...options.env, TERM: options.term };
  return {
    Cmd: cmd,
    User: options.user,
    Env: env && envList(env),
    AttachStdin: options.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: options.term !== undefined,
  };
}
