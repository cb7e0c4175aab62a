import { parseTraffic, type AppTraffic } from './traffic.js';
import { createHmac } from 'node:crypto';
import { parseRouterLog, type RouterLine } from './router-log.js';
import fs from 'node:fs';
import path from 'node:path';
import { readIfExists, writeAtomically, writeIfChanged } from '../core/files.js';
import { runProgram } from '../core/process.js';
import { selfSignedCertificate, type TlsFiles } from './certs.js';
import { NginxProcess } from './nginx-process.js';
import type { ProcessRef } from './nginx-workers.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import { BackendsTable } from './backends-table.js';
import { renderApp, renderMain, renderStreams, type AppBackends, type Backend, type MainConfig } from './render.js';
import type { AppRoute, Router } from './router.js';
import { routedByMap } from './host-map.js';

export type { AppRoute, Backend, Router } from './router.js';
export type { ProcessRef } from './nginx-workers.js';

/** Serializes config changes across every Slipway process on the host. */
export type ConfigLock = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Slipway's own nginx instance. Its config (main file, one server block per app) changes
 * only when domains do, each change tested with `nginx -t` before a reload. Which
 * containers serve an app is data: a Lua balancer reads it from a shared dict, which the
 * daemon updates through a root-only socket (and a file nginx loads on start), so a
 * deploy swaps containers with no reload and no reset connections. The master outlives
 * the daemon, so apps keep serving while Slipway restarts. This class owns the config
 * files; NginxProcess runs the master.
 */
export class Nginx implements Router {
  private readonly mainConf: string;
  private readonly appsDir: string;
  private readonly backendsFile: string;
  private readonly process: NginxProcess;
  private readonly backends = new BackendsTable();
  /** This process's queue for the config lock (see locked). */
  private readonly lockQueue = new KeyedMutex();

  constructor(
    private readonly options: Omit<
      MainConfig,
      | 'dashboardTls'
      | 'acmeDir'
      | 'unavailableSocket'
      | 'wakeSocket'
      | 'wakeToken'
      | 'sharedErrorLog'
      | 'mapLogsDir'
      | 'placeholderTls'
    > & {
      bin: string;
      lock: ConfigLock;
      /** Read whenever the main config is written (ensureRunning), so a new certificate is taken up then. */
      dashboardTls: () => TlsFiles | undefined;
    },
  ) {
    this.mainConf = path.join(options.dir, 'nginx.conf');
    this.appsDir = path.join(options.dir, 'apps');
    this.backendsFile = path.join(options.dir, 'backends.txt');
    this.process = new NginxProcess({
      bin: options.bin,
      dir: options.dir,
      mainConf: this.mainConf,
      sockets: [this.unavailableSocket],
      ports: [options.httpPort, options.httpsPort],
    });
  }

  /** Writes the main config and starts the master, or reloads a running one if the config changed. */
  async ensureRunning(): Promise<void> {
    await this.locked(async () => {
      for (const sub of ['apps', 'streams', 'logs'])
        fs.mkdirSync(path.join(this.options.dir, sub), { recursive: true });
      fs.mkdirSync(this.options.tempDir, { recursive: true, mode: 0o755 });
      fs.mkdirSync(this.acmeDir, { recursive: true, mode: 0o755 });
      fs.mkdirSync(this.mapLogsDir, { recursive: true, mode: 0o755 });
      fs.mkdirSync(path.join(this.options.dir, 'run'), { recursive: true, mode: 0o700 });
      await this.ensurePlaceholderTls();
      // Root only (the master reads it; workers need not): it holds the API's proxy secret.
      const main = renderMain({
        ...this.options,
        dashboardTls: this.options.dashboardTls() ?? null,
        acmeDir: this.acmeDir,
        unavailableSocket: this.unavailableSocket,
        wakeSocket: this.wakeSocket,
        wakeToken: this.wakeToken,
        sharedErrorLog: this.sharedErrorLog,
        mapLogsDir: this.mapLogsDir,
        placeholderTls: this.placeholderTls,
      });
      const mainChanged = writeIfChanged(this.mainConf, main, 0o600);
      this.process.ensureStatus();
      if (!this.process.running()) await this.process.start();
      else if (mainChanged) await this.process.testAndReload();
    });
  }

  /**
   * Routes an app's domains to its backends. The backends go first, so a new server block
   * never points at nothing. An app the shared map routes (host-map.ts) has its domains put in
   * the map with them (its certificate handed to nginx first) and no block of its own: no
   * reload. Any other app's block is rewritten (with a reload) only if it changed; its domains
   * stay in the map as they were until the block is loaded, so none answers 404 meanwhile, and
   * then are marked as the block's. Returns whether nginx was reloaded.
   */
  async route(route: AppRoute): Promise<boolean> {
    return this.locked(async () => {
      // Over HTTPS only once nginx holds the certificate: with no room left for it, a block of its own.
      const mapped =
        routedByMap(route, this.options) &&
        (route.tls === undefined || (await this.process.sendCertificate(route.app, readPems(route.tls))));
      const backends = { peers: route.backends, fallback: route.fallback ?? [], sleeping: route.sleeping };
      const previous = this.readBackends().get(route.app);
      if (mapped) this.ensureAccessLog(route.app);
      const hosts = mapped
        ? { domains: route.domains, parked: route.parked, tls: route.tls !== undefined }
        : { domains: previous?.domains, parked: previous?.parked, tls: previous?.tls, block: previous?.block };
      await this.setBackends(route.app, { ...backends, ...hosts });
      const server = mapped
        ? undefined
        : renderApp({
            app: route.app,
            listeners: route.listeners,
            ipv6: this.options.ipv6,
            domains: route.domains,
            tls: route.tls ?? null,
            logsDir: this.logsDir,
            nginx: route.nginx,
            parked: route.parked,
            acmeDir: this.acmeDir,
            mapLogsDir: this.mapLogsDir,
            sharedErrorLog: this.sharedErrorLog,
          });
      const peers = route.parked ? [] : [...new Set(route.backends.map((b) => b.host))];
      const streams = renderStreams({ app: route.app, ipv6: this.options.ipv6, streams: route.streams, hosts: peers });
      const reloaded = await this.replaceFiles({
        [this.appFile(route.app)]: server,
        [this.streamFile(route.app)]: streams,
      });
      // Loaded: its domains stay in the map only for the map to know which names are more exact.
      const listed = previous?.block === true && previous.domains?.join(' ') === route.domains.join(' ');
      if (!mapped && !listed) await this.setBackends(route.app, { ...backends, domains: route.domains, block: true });
      return reloaded;
    });
  }

  /** Stops routing an app: its server block goes (a reload), then its backends. */
  async unroute(app: string): Promise<boolean> {
    return this.locked(async () => {
      const reloaded = await this.replaceFiles({ [this.appFile(app)]: undefined, [this.streamFile(app)]: undefined });
      await this.setBackends(app, { peers: [], fallback: [] });
      return reloaded;
    });
  }

  /** Every app's requests since nginx started; empty when nginx does not answer. */
  async traffic(): Promise<AppTraffic[]> {
    return parseTraffic((await this.process.readTraffic()) ?? '');
  }

  /**
   * The app's router lines since the last call (at most `max`), and how many nginx dropped
   * meanwhile; asking is what keeps nginx recording them (for a minute after each call).
   */
  async routerLog(app: string, max: number): Promise<{ dropped: number; lines: RouterLine[] }> {
    return parseRouterLog((await this.process.takeRouterLog(app, max)) ?? '');
  }

  async withdraw(app: string, backend: Backend, options: { unreachable?: boolean } = {}): Promise<void> {
    await this.locked(async () => {
      const current = this.readBackends().get(app) ?? { peers: [], fallback: [] };
      const rest = current.peers.filter((b) => b.host !== backend.host || b.port !== backend.port);
      if (rest.length < current.peers.length) await this.setBackends(app, { ...current, peers: rest });
    });
    if (options.unreachable) await dropConnections(backend);
  }

  /** What nginx says is wrong with its whole configuration, or undefined when it would load it. */
  validate(): Promise<string | undefined> {
    return this.process.validate();
  }

  /** Whether the master runs and answers on its status socket. */
  healthy(): Promise<boolean> {
    return this.process.healthy();
  }

  /** The running master's workers, with their start times: what to clear should the master die. */
  workers(): ProcessRef[] {
    return this.process.workers();
  }

  /** Starts the master again after it died, clearing the workers it left (see NginxProcess.recover). */
  async recover(orphans: ProcessRef[]): Promise<void> {
    await this.locked(() => this.process.recover(orphans));
  }

  /** Workers of a master that died unwatched (the daemon was down too, or the master had just reloaded) still hold the ports. */
  clearOrphanedWorkers(): void {
    this.process.clearOrphanedWorkers();
  }

  /** Where nginx's own and each app's logs are written, unless nginx:set names other paths. */
  get logsDir(): string {
    return path.join(this.options.dir, 'logs');
  }

  /** Where the shared map's server writes the access logs of the apps it routes (see ensureAccessLog). */
  get mapLogsDir(): string {
    return path.join(this.options.tempDir, 'logs');
  }

  /** The access log of an app while the shared map routes it. */
  mapAccessLog(app: string): string {
    return path.join(this.mapLogsDir, `${app}-access.log`);
  }

  /** The error log of the shared map's server: every app it routes writes its errors there. */
  get sharedErrorLog(): string {
    return path.join(this.logsDir, 'shared-error.log');
  }

  /** The shared HTTPS server's certificate for nginx's config check, never served (root's alone, as the run dir is). */
  private get placeholderTls(): { certFile: string; keyFile: string } {
    const run = path.join(this.options.dir, 'run');
    return { certFile: path.join(run, 'placeholder.crt'), keyFile: path.join(run, 'placeholder.key') };
  }

  private async ensurePlaceholderTls(): Promise<void> {
    const files = this.placeholderTls;
    if (fs.existsSync(files.certFile) && fs.existsSync(files.keyFile)) return;
    const made = await selfSignedCertificate('placeholder.invalid');
    writeAtomically(files.keyFile, made.key, 0o600);
    writeAtomically(files.certFile, made.cert, 0o600);
  }

  /** Where the balancer sends an app's requests while it has no container: 503 and Retry-After. */
  private get unavailableSocket(): string {
    return path.join(this.options.tempDir, 'unavailable.sock');
  }

  /**
   * Where the daemon listens for nginx asking it to wake a sleeping app (deploy/sleep.ts):
   * beside the temp dirs, which nginx's unprivileged workers can reach.
   */
  get wakeSocket(): string {
    return path.join(this.options.tempDir, 'wake.sock');
  }

  /**
   * What nginx shows the wake socket to say it is nginx: derived from the proxy secret, which
   * only root reads, and never sent anywhere else (the proxy secret itself goes to the API).
   */
  get wakeToken(): string {
    return createHmac('sha256', this.options.proxySecret).update('wake').digest('hex');
  }

  /** ACME challenge responses: beside the temp dirs, which nginx's unprivileged workers can reach. */
  get acmeDir(): string {
    return path.join(this.options.tempDir, 'acme-challenge');
  }

  private appFile(app: string) {
    return path.join(this.appsDir, `${app}.conf`);
  }

  private streamFile(app: string) {
    return path.join(this.options.dir, 'streams', `${app}.conf`);
  }

  /**
   * The config lock, taken by one of this process's callers at a time: the others wait their
   * turn here rather than each asking for it again and again (a restart routes every app at
   * once, and a thousand callers polling the lock cost more than the routes themselves).
   */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.lockQueue.run('config', () => this.options.lock(fn));
  }

  /** The backends file's content, parsed only when it is not what this process last read or wrote. */
  private readBackends(): BackendsTable {
    this.backends.load(readIfExists(this.backendsFile) ?? '');
    return this.backends;
  }

  /**
   * The access log of an app the shared map routes: nginx's workers open it (its path names
   * the app through a variable), so it is theirs, in a directory they can reach (the data dir
   * may be root's alone); they may not create files there, so the daemon makes each.
   * Their user owns the temp dirs the master makes for them.
   */
  private ensureAccessLog(app: string): void {
    const file = this.mapAccessLog(app);
    const worker = fs.statSync(path.join(this.options.tempDir, 'proxy'), { throwIfNoEntry: false });
    fs.closeSync(fs.openSync(file, 'a', 0o644));
    if (worker && fs.statSync(file).uid !== worker.uid) fs.chownSync(file, worker.uid, worker.gid);
  }

  /** The file is what nginx loads on start; the socket updates the running workers at once. */
  private async setBackends(app: string, backends: AppBackends): Promise<void> {
    const current = readIfExists(this.backendsFile) ?? '';
    this.backends.load(current);
    const text = this.backends.set(app, backends);
    // Another process may have written (and sent) other backends since: resent then, whatever this one sent last.
    const unchanged = text === current;
    if (!unchanged) writeAtomically(this.backendsFile, text);
    // A master that died is started again, and loads the file: a route is never reported taken when it was not.
    await this.process.sendBackends(text, { unlessTaken: unchanged });
  }

  /**
   * Writes these files (undefined: removes it) and reloads nginx once if any changed; if
   * nginx refuses the result, every one of them is put back as it was.
   */
  private async replaceFiles(changes: Record<string, string | undefined>): Promise<boolean> {
    const previous = Object.fromEntries(Object.keys(changes).map((file) => [file, readIfExists(file)]));
    const changed = Object.keys(changes).filter((file) => previous[file] !== changes[file]);
    if (changed.length === 0) return false;
    const write = (file: string, content: string | undefined) =>
      content === undefined ? fs.rmSync(file, { force: true }) : writeAtomically(file, content);
    for (const file of changed) write(file, changes[file]);
    try {
      await this.process.testAndReload();
    } catch (error) {
      for (const file of changed) write(file, previous[file]);
      throw error;
    }
    return true;
  }
}

/** A certificate chain and its key as one PEM text, read by the daemon (they are root's alone). */
function readPems(tls: TlsFiles): string {
  return fs.readFileSync(tls.certFile, 'utf8') + fs.readFileSync(tls.keyFile, 'utf8');
}

/**
 * Closes this host's TCP connections to a backend that stopped answering (the kernel's socket
 * destroy, `ss -K`): nginx's idle keep-alive ones, and those with a request on the way, which
 * would otherwise wait for proxy_read_timeout. nginx sees an error on each and retries an
 * idempotent request on the next backend (proxy_next_upstream error); the balancer no longer
 * has this one to give. Best effort: without ss or the kernel's support they time out as before.
 */
async function dropConnections(backend: Backend): Promise<void> {
  await runProgram('ss', ['-K', '-t', '-n', 'dst', backend.host, 'dport', '=', String(backend.port)]).catch(
    () => undefined,
  );
}
