/**
 * The JSON the HTTP API answers, as types alone: the server's queries are declared to produce
 * them, and the dashboard's browser code (src/dashboard/client) reads them. No imports and no
 * values, so the browser's type-check takes in nothing of the daemon.
 */

export type DeployStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export type ReleaseStatus = 'pending' | 'succeeded' | 'failed';
/** What made the release: a build, a config change, or a rollback to an earlier one. */
export type ReleaseKind = 'deploy' | 'config' | 'rollback';

/** A deploy as `builds:list --format json` and `GET /apps/:app/deploys` show it. */
export interface DeployJson {
  id: string;
  app: string;
  kind: string;
  status: DeployStatus;
  release: number | null;
  rev: string | null;
  error: string | null;
  requested_by: string;
  started_at: string;
  finished_at: string | null;
  /** Milliseconds from the daemon receiving it to each phase; the hook's is before, so negative. */
  timings_ms: Record<string, number>;
}

/** A release as `releases --format json` and `GET /apps/:app/releases` show it. */
export interface ReleaseJson {
  version: number;
  current: boolean;
  status: ReleaseStatus;
  kind: ReleaseKind;
  description: string;
  rev: string | null;
  image: string;
  config_keys: string[];
  created_by: string;
  created_at: string;
}

/** What the dashboard's apps page shows of an app, and what an app page watches to know it should look again. */
export interface AppSummary {
  name: string;
  deployed: boolean;
  stopped: boolean;
  /** Put to sleep after its sleep-after without a request: no containers, woken by the next request. */
  sleeping: boolean;
  /** The release now serving, if any. */
  release: number | null;
  /** The newest deploy, running or not. */
  deploy: Pick<DeployJson, 'id' | 'kind' | 'status' | 'release' | 'started_at' | 'finished_at'> | null;
  /** The domains it answers on, space-separated (as `domains:report` has them). */
  vhosts: string;
  /** Containers, and whether they run: `true`, `false` or `mixed` (as `ps:report` has it). */
  processes: number;
  running: 'true' | 'false' | 'mixed';
}

/** `GET /events`' `app-removed` event. */
export interface AppRemoved {
  name: string;
}

/** A deploy log stream's `end` event: how the deploy ended. */
export interface DeployEnd {
  ok: boolean;
  message?: string;
}

/** `GET /apps/:app/config`: values are masked unless revealed. */
export interface ConfigJson {
  masked: boolean;
  config: Record<string, string>;
}

/** One container (a task, on a swarm) of an app, as `GET /apps/:app/processes` lists it. */
export interface InstanceJson {
  /** `web.1` */
  name: string;
  process: string;
  index: number;
  release: number;
  state: 'running' | 'restarting' | 'stopped';
  /** The container's (or task's) id. */
  id: string;
  /** The swarm node it runs on; null on one host. */
  node: string | null;
}

/** `GET /apps/:app/processes`: counts per process type, and each container (during a swap, the old ones too). */
export interface ProcessesJson {
  formation: Record<string, number>;
  deployed: boolean;
  stopped: boolean;
  /** Asleep (as `ps:report` says): its containers are gone until a request wakes it. */
  sleeping: boolean;
  /** Whether its containers run: `true` (all), `false` (none) or `mixed`. */
  running: 'true' | 'false' | 'mixed';
  instances: InstanceJson[];
}

/** An app's state in one word: never deployed, stopped by a user, asleep until a request, or how many of its containers run. */
export type AppState = 'undeployed' | 'stopped' | 'sleeping' | 'running' | 'partial' | 'down';

/** An app as `GET /apps` lists it. */
export interface AppJson {
  name: string;
  state: AppState;
  /** The release now serving, if any. */
  release: number | null;
  /** The newest deploy, running or not. */
  deploy: AppSummary['deploy'];
  /** Desired containers per process type, and how many containers there are and run now. */
  processes: { formation: Record<string, number>; total: number; running: number };
  /** The domains it answers on. */
  domains: string[];
}

/** `GET /apps/:app`: the list's fields, and more. */
export interface AppDetailJson extends AppJson {
  created_at: string;
  /** Deploys of new code are refused until apps:unlock. */
  locked: boolean;
  /** The serving release in full. */
  current_release: ReleaseJson | null;
  urls: string[];
}

/** `GET /apps/:app/domains`: the app's own domains, and the global ones every app gets a name under. */
export interface DomainsJson {
  domains: string[];
  global: string[];
  urls: string[];
}

/** `GET /apps/:app/checks`: which process types skip or disable their checks at a deploy. */
export interface ChecksJson {
  /** Process types deployed without checks, stopping the old containers first; `_all_` is every type. */
  disabled: string[];
  /** Process types swapped to without checks; `_all_` is every type. */
  skipped: string[];
  /** The web process's mode. */
  web: 'enabled' | 'disabled' | 'skipped';
  /** How long old containers keep serving after a swap. */
  wait_to_retire_seconds: number;
}

/** `POST /apps/:app/checks/run`: each running container's checks, in order. */
export interface ChecksRunJson {
  /** Every container passed. */
  ok: boolean;
  instances: { name: string; ok: boolean; reason: string | null }[];
}

/** `GET /apps/:app/certs`: the app's TLS certificate, when it has one. */
export interface CertsJson {
  enabled: boolean;
  certificate: {
    hostnames: string[];
    subject: string;
    issuer: string;
    starts_at: string;
    expires_at: string;
    self_signed: boolean;
  } | null;
}

/** A key as `GET /keys` lists it. */
export interface KeyJson {
  name: string;
  fingerprint: string;
  admin: boolean;
}

/** A swarm node as `GET /nodes` lists it. */
export interface NodeJson {
  id: string;
  hostname: string;
  address: string;
  role: 'manager' | 'worker';
  leader: boolean;
  /** `ready`, `down`, `unknown`, `disconnected`. */
  state: string;
  /** `active`, `pause`, `drain`. */
  availability: string;
  labels: Record<string, string>;
  engine_version: string;
  /** This instance's app tasks on the node: running there, or on their way there. */
  tasks: NodeTaskJson[];
}

/** An app's task on a node: `shop web.2` of release 7, `running` (or `preparing`, `starting`, …). */
export interface NodeTaskJson {
  app: string;
  process: string;
  index: number;
  release: number;
  state: string;
}

/** One page of a list: `?limit=&cursor=`, where cursor is the page before's `next_cursor` (null on the last page). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** One running container's use, as `resource:usage --format json` shows it. */
export interface UsageJson {
  /** `web.1` */
  process: string;
  release: number;
  /** 100 is one CPU; null when its engine cannot be asked. */
  cpu_percent: number | null;
  memory_bytes: number | null;
  memory_limit_bytes: number | null;
}

/** A database service as `postgres:list --format json` shows it; `GET /services` has them by type. */
export interface ServiceJson {
  name: string;
  status: string;
  /** The apps it is linked to. */
  links: string[];
}

/** A service as `GET /services` lists it: its type too. */
export interface ServiceItemJson extends ServiceJson {
  type: string;
}

/** One backup as `postgres:backups --format json` shows it: a local dump or a bucket attempt. */
export interface BackupJson {
  /** What backup-restore takes (bucket backups); local ones are named by dir/file. */
  id: string;
  where: 'local' | 's3';
  /** The local backup directory, or the bucket. */
  dir: string;
  /** The local file, or the object's key. */
  file: string;
  bytes: number;
  created_at: string;
  sha256: string | null;
  status: 'ok' | 'failed';
  error: string | null;
}

/** One NDJSON line of `POST /commands`: a line of output, then the exit code. */
export type CommandOutput = { stream: 'stdout' | 'stderr'; line: string } | { exit: number };

/** The body of every error answer. */
export interface ErrorJson {
  error: string;
}
