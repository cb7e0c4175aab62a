import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { readIfExists } from '../core/files.js';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { allPids, isRunning, killAll, procStat } from '../core/proc.js';
import { runProgram, sleep } from '../core/process.js';
import type { TlsFiles } from './certs.js';
import type { NginxSettings } from './nginx-properties.js';
import type { Listener, StreamMapping } from './ports.js';
import { parseBackends, renderApp, renderBackends, renderMain, renderStatus, renderStreams, type AppBackends, type Backend, type MainConfig } from './render.js';

export type { Backend } from './render.js';

/** Serializes config changes across every Slipway process on the host. */
export type ConfigLock = <T>(fn: () => Promise<T>) => Promise<T>;

export interface AppRoute {
  app: string;
  domains: string[];
  /** Where nginx listens for it, and which container port each listener's traffic goes to. */
  listeners: Listener[];
  /** Its TCP and UDP mappings. */
  streams: StreamMapping[];
  backends: Backend[];
  /** Right after a swap: the previous release's backends, where a request that failed on a new one is retried. */
  fallback?: Backend[];
  tls: TlsFiles | undefined;
  nginx: NginxSettings;
  /** Takes no traffic: its domains answer 502 (no backends are asked). */
  parked: boolean;
}

/** Where apps' traffic goes: the deploy pipeline routes and unroutes through this alone. */
export interface Router {
  /** Routes an app's domains to its backends; true when that took a reload. */
  route(route: AppRoute): Promise<boolean>;
  unroute(app: string): Promise<boolean>;
  /**
   * Stops sending an app's traffic to one backend, if it still gets any; the rest keep theirs.
   * `unreachable`: it no longer answers (its host is down or cut off), so the connections to it
   * are dropped too: a request waiting on one fails over to another backend now.
   */
  withdraw(app: string, backend: Backend, options?: { unreachable?: boolean }): Promise<void>;
}

/**
 * Slipway's own nginx instance. Its config (main file, one server block per app) changes
 * only when domains do, each change tested with `nginx -t` before a reload. Which
 * containers serve an app is data: a Lua balancer reads it from a shared dict, which the
 * daemon updates through a root-only socket (and a file nginx loads on start), so a
 * deploy swaps containers with no reload and no reset connections. The master outlives
 * the daemon, so apps keep serving while Slipway restarts.
 */
export class Nginx implements Router {
  private readonly mainConf: string;
  private readonly appsDir: string;
  private readonly backendsFile: string;
  private readonly socketPath: string;

  constructor(
    private readonly options: Omit<MainConfig, 'dashboardTls' | 'acmeDir' | 'unavailableSocket'> & {
      bin: string;
      lock: ConfigLock;
      /** Read whenever the main config is written (ensureRunning), so a new certificate is taken up then. */
      dashboardTls: () => TlsFiles | undefined;
    },
  ) {
    this.mainConf = path.join(options.dir, 'nginx.conf');
    this.appsDir = path.join(options.dir, 'apps');
    this.backendsFile = path.join(options.dir, 'backends.txt');
    this.socketPath = path.join(options.dir, 'run', 'status.sock');
  }

  /** Writes the main config and starts the master, or reloads a running one if the config changed. */
  async ensureRunning(): Promise<void> {
    await this.options.lock(async () => {
      for (const sub of ['apps', 'streams', 'logs']) fs.mkdirSync(path.join(this.options.dir, sub), { recursive: true });
      fs.mkdirSync(this.options.tempDir, { recursive: true, mode: 0o755 });
      fs.mkdirSync(this.acmeDir, { recursive: true, mode: 0o755 });
      fs.mkdirSync(path.join(this.options.dir, 'run'), { recursive: true, mode: 0o700 });
      // Root only (the master reads it; workers need not): it holds the API's proxy secret.
      const main = renderMain({ ...this.options, dashboardTls: this.options.dashboardTls() ?? null, acmeDir: this.acmeDir, unavailableSocket: this.unavailableSocket });
      const mainChanged = writeIfChanged(this.mainConf, main, 0o600);
      if (!fs.existsSync(this.statusConf)) this.writeStatus(newGeneration());
      if (this.masterPid() === undefined) {
        this.clearOrphanedWorkers();
        await this.start();
      }
      else if (mainChanged) await this.testAndReload();
    });
  }

  /**
   * Routes an app's domains to its backends. The backends go first, so a new server block
   * never points at nothing; the block itself is rewritten (with a reload) only if its
   * domains changed. Returns whether nginx was reloaded.
   */
  async route(route: AppRoute): Promise<boolean> {
    return this.options.lock(async () => {
      await this.setBackends(route.app, { peers: route.backends, fallback: route.fallback ?? [] });
      const server = renderApp({
        app: route.app,
        listeners: route.listeners,
        ipv6: this.options.ipv6,
        domains: route.domains,
        tls: route.tls ?? null,
        logsDir: this.logsDir,
        nginx: route.nginx,
        parked: route.parked,
        acmeDir: this.acmeDir,
      });
      const hosts = route.parked ? [] : [...new Set(route.backends.map((b) => b.host))];
      const streams = renderStreams({ app: route.app, ipv6: this.options.ipv6, streams: route.streams, hosts });
      return this.replaceFiles({ [this.appFile(route.app)]: server, [this.streamFile(route.app)]: streams });
    });
  }

  /** Stops routing an app: its server block goes (a reload), then its backends. */
  async unroute(app: string): Promise<boolean> {
    return this.options.lock(async () => {
      const reloaded = await this.replaceFiles({ [this.appFile(app)]: undefined, [this.streamFile(app)]: undefined });
      await this.setBackends(app, { peers: [], fallback: [] });
      return reloaded;
    });
  }

  async withdraw(app: string, backend: Backend, options: { unreachable?: boolean } = {}): Promise<void> {
    await this.options.lock(async () => {
      const current = parseBackends(readIfExists(this.backendsFile) ?? '')[app] ?? { peers: [], fallback: [] };
      const rest = current.peers.filter((b) => b.host !== backend.host || b.port !== backend.port);
      if (rest.length < current.peers.length) await this.setBackends(app, { ...current, peers: rest });
    });
    if (options.unreachable) await dropConnections(backend);
  }

  /** What nginx says is wrong with its whole configuration, or undefined when it would load it. */
  async validate(): Promise<string | undefined> {
    const test = await runProgram(this.options.bin, [...this.baseArgs(), '-t', '-q']);
    return test.code === 0 ? undefined : test.stderr.trim();
  }

  /** Whether the master runs and answers on its status socket. */
  async healthy(): Promise<boolean> {
    return this.masterPid() !== undefined && (await request(this.socketPath, 'GET', '/generation')) !== undefined;
  }

  /** The running master's workers, with their start times: what to clear should the master die. */
  workers(): ProcessRef[] {
    return childWorkers(this.masterPid());
  }

  /**
   * Brings nginx back after its master died: workers it left behind still hold the ports and
   * route to whatever they knew, so they go first; then a master starts with the current
   * config and backends. A master that is only slow to answer is left alone.
   */
  async recover(orphans: ProcessRef[]): Promise<void> {
    await this.options.lock(async () => {
      if (this.masterPid() !== undefined) return;
      killAll(orphans.filter((worker) => procStat(worker.pid)?.startTicks === worker.ticks).map((worker) => worker.pid));
      this.clearOrphanedWorkers();
      await this.start();
    });
  }

  /** Workers of a master that died unwatched (the daemon was down too, or the master had just reloaded) still hold the ports. */
  clearOrphanedWorkers(): void {
    killAll(orphanedWorkersOn([this.options.httpPort, this.options.httpsPort]));
  }

  /** Where nginx's own and each app's logs are written, unless nginx:set names other paths. */
  get logsDir(): string {
    return path.join(this.options.dir, 'logs');
  }

  /** Where the balancer sends an app's requests while it has no container: 503 and Retry-After. */
  private get unavailableSocket(): string {
    return path.join(this.options.tempDir, 'unavailable.sock');
  }

  /** ACME challenge responses: beside the temp dirs, which nginx's unprivileged workers can reach. */
  get acmeDir(): string {
    return path.join(this.options.tempDir, 'acme-challenge');
  }

  private get statusConf() {
    return path.join(this.options.dir, 'status.conf');
  }

  private appFile(app: string) {
    return path.join(this.appsDir, `${app}.conf`);
  }

  private streamFile(app: string) {
    return path.join(this.options.dir, 'streams', `${app}.conf`);
  }

  /** The file is what nginx loads on start; the socket updates the running workers at once. */
  private async setBackends(app: string, backends: AppBackends): Promise<void> {
    const all = parseBackends(readIfExists(this.backendsFile) ?? '');
    all[app] = backends;
    const text = renderBackends(all);
    writeAtomically(this.backendsFile, text);
    // A master that died is started again, and loads the file: a route is never reported taken when it was not.
    if (this.masterPid() === undefined) return this.start();
    const answer = await request(this.socketPath, 'POST', '/backends', text);
    if (answer?.status !== 200) throw new Error(`nginx did not take the new backends: ${answer?.body ?? 'no answer'}`);
  }

  /**
   * Writes these files (undefined: removes it) and reloads nginx once if any changed; if
   * nginx refuses the result, every one of them is put back as it was.
   */
  private async replaceFiles(changes: Record<string, string | undefined>): Promise<boolean> {
    const previous = Object.fromEntries(Object.keys(changes).map((file) => [file, readIfExists(file)]));
    const changed = Object.keys(changes).filter((file) => previous[file] !== changes[file]);
    if (changed.length === 0) return false;
    const write = (file: string, content: string | undefined) => (content === undefined ? fs.rmSync(file, { force: true }) : writeAtomically(file, content));
    for (const file of changed) write(file, changes[file]);
    try {
      await this.testAndReload();
    } catch (error) {
      for (const file of changed) write(file, previous[file]);
      throw error;
    }
    return true;
  }

  private async testAndReload(): Promise<void> {
    const generation = newGeneration();
    this.writeStatus(generation);
    const problem = await this.validate();
    if (problem) throw new UserError(`nginx rejected the configuration: ${problem}`);
    const pid = this.masterPid();
    if (pid === undefined) return this.start();
    process.kill(pid, 'SIGHUP');
    await this.waitForGeneration(generation);
  }

  private async start(): Promise<void> {
    const generation = newGeneration();
    this.writeStatus(generation);
    // Left by an nginx that did not stop cleanly: it could not listen on them again.
    for (const socket of [this.socketPath, this.unavailableSocket]) fs.rmSync(socket, { force: true });
    const started = await runProgram(this.options.bin, this.baseArgs());
    if (started.code !== 0) throw new Error(`nginx failed to start: ${started.stderr.trim()}`);
    await this.waitForGeneration(generation);
  }

  private baseArgs(): string[] {
    const dir = this.options.dir;
    return ['-p', dir, '-c', this.mainConf, '-e', path.join(dir, 'logs', 'error.log')];
  }

  private writeStatus(generation: string): void {
    writeAtomically(this.statusConf, renderStatus({ dir: this.options.dir, generation }));
  }

  /**
   * A reload is asynchronous. It is done when a new worker answers with the new generation
   * and no old worker still accepts connections: until an old worker handles its shutdown
   * message it may take a new connection and serve the old config. Old workers retitle
   * themselves "worker process is shutting down" as they close their listening sockets.
   */
  private async waitForGeneration(generation: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    let loaded = false;
    while (Date.now() < deadline) {
      loaded ||= (await request(this.socketPath, 'GET', '/generation'))?.body === generation;
      if (loaded && acceptingWorkers(this.masterPid()) <= os.cpus().length) return;
      await sleep(10);
    }
    throw new Error('nginx did not load the new configuration within 10 s (see its error.log)');
  }

  private masterPid(): number | undefined {
    const text = readIfExists(path.join(this.options.dir, 'nginx.pid'));
    const pid = Number(text?.trim());
    return Number.isInteger(pid) && pid > 0 && isRunning(pid) ? pid : undefined;
  }
}

/**
 * Closes this host's TCP connections to a backend that stopped answering (the kernel's socket
 * destroy, `ss -K`): nginx's idle keep-alive ones, and those with a request on the way, which
 * would otherwise wait for proxy_read_timeout. nginx sees an error on each and retries an
 * idempotent request on the next backend (proxy_next_upstream error); the balancer no longer
 * has this one to give. Best effort: without ss or the kernel's support they time out as before.
 */
async function dropConnections(backend: Backend): Promise<void> {
  await runProgram('ss', ['-K', '-t', '-n', 'dst', backend.host, 'dport', '=', String(backend.port)]).catch(() => undefined);
}

const newGeneration = () => randomBytes(8).toString('hex');

/** A process, told apart from a later one with the same pid by its start time. */
export interface ProcessRef {
  pid: number;
  ticks: string;
}

/** Workers of the master that still accept connections (`worker_processes auto` runs one per CPU). */
function acceptingWorkers(masterPid: number | undefined): number {
  return childWorkers(masterPid).length;
}

/** The master's children that are accepting workers (not ones shutting down after a reload). */
function childWorkers(masterPid: number | undefined): ProcessRef[] {
  if (masterPid === undefined) return [];
  return nginxWorkers((parent) => parent === masterPid);
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return ''; // gone, or not ours to read
  }
}

/**
 * Accepting nginx workers on the host whose parent passes `parentWanted`, with their parent.
 * The parent is read first (one small read per process), the command line only for those.
 */
function nginxWorkers(parentWanted: (parent: number) => boolean = () => true): (ProcessRef & { parent: number })[] {
  return allPids().flatMap((pid) => {
    const stat = procStat(pid);
    if (!stat || !parentWanted(stat.parent) || cmdline(pid) !== 'nginx: worker process') return [];
    return [{ pid, parent: stat.parent, ticks: stat.startTicks }];
  });
}

/** Socket inodes listening on these TCP ports (IPv4 and IPv6), from /proc/net. */
function listeningInodes(ports: number[]): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (readIfExists(table) ?? '').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const port = parseInt(fields[1]?.split(':')[1] ?? '', 16);
      if (fields[3] === '0A' && ports.includes(port)) inodes.add(fields[9]!); // 0A: LISTEN
    }
  }
  return inodes;
}

/**
 * nginx workers whose master is gone (their parent is now init) and that still listen on
 * these ports: they would keep a new master from binding them, and route to stale backends.
 */
function orphanedWorkersOn(ports: number[]): number[] {
  const inodes = listeningInodes(ports);
  if (inodes.size === 0) return [];
  return nginxWorkers()
    .filter(({ parent }) => !cmdline(parent).startsWith('nginx: master process'))
    .flatMap(({ pid }) => {
    try {
      const sockets = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      return sockets.some((target) => inodes.has(target.replace(/^socket:\[(\d+)\]$/, '$1'))) ? [pid] : [];
    } catch {
      return []; // gone meanwhile
    }
  });
}


function writeAtomically(file: string, content: string, mode = 0o644): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content, { mode });
  fs.renameSync(temp, file);
}

function writeIfChanged(file: string, content: string, mode?: number): boolean {
  if (readIfExists(file) === content) return false;
  writeAtomically(file, content, mode);
  return true;
}

function request(socketPath: string, method: string, urlPath: string, body?: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, method, path: urlPath, timeout: 2000, agent: false }, (response) => {
      let text = '';
      response.on('data', (d) => (text += d));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}
