import type { ProcessIo } from '../model/terminal.js';

/** A database service's container, as it should run. */
export interface ServiceSpec {
  /** `postgres`, `redis`: with the name, what identifies the service. */
  kind: string;
  name: string;
  /** How messages name the kind: `Postgres`. */
  title: string;
  image: string;
  env: Record<string, string>;
  /** Where the data volume is mounted. */
  dataPath: string;
  /** The port it listens on, and the host port it is published on when exposed. */
  port: number;
  exposedPort: number | null;
  /** The DNS name apps reach it by. */
  host: string;
  /** The networks of the apps linked to it (their schedulers name them): the only apps that can reach it. */
  appNetworks: string[];
  /** Where its archive volume is mounted (a second volume, apart from its data: WAL archive, base backups). */
  archivePath?: string;
  /** For this start only: another service's archive volume, read-only, to restore from (a fork). */
  restoreFrom?: { name: string; path: string };
  /** A command that exits 0 once it serves: listening alone is not enough (Postgres listens while it recovers). */
  ready?: { user: string; cmd: string[] };
}

/** A service as the runtime knows it: `running`, `exited`, … or `missing`. */
export type ServiceState = string;

/**
 * The engine seam for database services: each is one container on a volume of its own.
 * Like the Scheduler, it is the only way the services module reaches Docker.
 */
export interface ServiceRuntime {
  /** Runs the service's container and waits until it accepts connections. */
  start(spec: ServiceSpec, readyTimeoutMs: number): Promise<void>;
  state(kind: string, name: string): Promise<ServiceState>;
  restart(spec: ServiceSpec, readyTimeoutMs: number): Promise<void>;
  /** Puts the running service on exactly its own network and `spec.appNetworks`. */
  attach(spec: ServiceSpec): Promise<void>;
  /** Stops and removes the container (at once with `graceSeconds` 0); its volume stays. */
  remove(kind: string, name: string, graceSeconds: number): Promise<void>;
  /** Removes what the service kept besides its container (its volumes: its data, its archive), once the container is gone. */
  forget(kind: string, name: string): Promise<void>;
  /** A command in the running service (connect, export, import); its exit code. */
  exec(
    kind: string,
    name: string,
    command: { user: string; cmd: string[]; env?: Record<string, string> },
    io: ProcessIo,
  ): Promise<number>;
  logs(kind: string, name: string, tail: number): Promise<string[]>;
}
