import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { readIfExists, writeAtomically } from '../core/files.js';
import { isRunning, killAll, procStat } from '../core/proc.js';
import { runProgram, sleep } from '../core/process.js';
import { childWorkers, orphanedWorkersOn, type ProcessRef } from './nginx-workers.js';
import { renderStatus } from './render.js';
import { socketRequest } from './socket-request.js';

export interface NginxProcessOptions {
  bin: string;
  /** nginx's prefix: its pid file, status config and logs are here. */
  dir: string;
  mainConf: string;
  /** Unix sockets nginx listens on besides its status socket: cleared before a start. */
  sockets: string[];
  /** Ports the master listens on, where workers of a dead master may linger. */
  ports: number[];
}

/**
 * The nginx master's life: start, test and reload, and tell a loaded configuration apart
 * from one still being taken up. Each (re)load writes a new generation into the status
 * config; a worker that answers with it on the status socket runs the new configuration.
 * The caller serializes calls (the config lock).
 */
export class NginxProcess {
  private readonly statusConf: string;
  private readonly statusSocket: string;
  /** The backends text the running master last took (its shared dict outlives reloads, not the master). */
  private delivered?: { master: number; text: string };

  constructor(private readonly options: NginxProcessOptions) {
    this.statusConf = path.join(options.dir, 'status.conf');
    this.statusSocket = path.join(options.dir, 'run', 'status.sock');
  }

  /** The status config the main config includes: written once, before the first start. */
  ensureStatus(): void {
    if (!fs.existsSync(this.statusConf)) this.writeStatus(newGeneration());
  }

  running(): boolean {
    return this.masterPid() !== undefined;
  }

  /** What nginx says is wrong with its whole configuration, or undefined when it would load it. */
  async validate(): Promise<string | undefined> {
    const test = await runProgram(this.options.bin, [...this.baseArgs(), '-t', '-q']);
    return test.code === 0 ? undefined : test.stderr.trim();
  }

  /** Whether the master runs and answers on its status socket. */
  async healthy(): Promise<boolean> {
    return this.running() && (await socketRequest(this.statusSocket, 'GET', '/generation')) !== undefined;
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
    if (this.running()) return;
    killAll(orphans.filter((worker) => procStat(worker.pid)?.startTicks === worker.ticks).map((worker) => worker.pid));
    await this.start();
  }

  /** Workers of a master that died unwatched (the daemon was down too, or the master had just reloaded) still hold the ports. */
  clearOrphanedWorkers(): void {
    killAll(orphanedWorkersOn(this.options.ports));
  }

  /**
   * Hands the running workers the balancer's backends; a master that died is started again, and
   * loads them from their file. Unless the caller's file changed, the text this master already
   * took is not sent again: with a thousand apps every body is large, and most routes (a restart
   * re-routing each app) change nothing.
   */
  async sendBackends(text: string, options: { unlessTaken: boolean }): Promise<void> {
    const master = this.masterPid();
    if (master === undefined) return this.start();
    if (options.unlessTaken && this.delivered?.master === master && this.delivered.text === text) return;
    const answer = await socketRequest(this.statusSocket, 'POST', '/backends', text);
    if (answer?.status !== 200) throw new Error(`nginx did not take the new backends: ${answer?.body ?? 'no answer'}`);
    this.delivered = { master, text };
  }

  /**
   * Hands the workers an app's certificate chain and key (PEM), before the map serves the app
   * over HTTPS; false when nginx has no room left for it. A master that is not running is
   * started first (it loads the others from their files).
   */
  async sendCertificate(app: string, pem: string): Promise<boolean> {
    if (!this.running()) await this.start();
    const answer = await socketRequest(this.statusSocket, 'POST', `/certs?${new URLSearchParams({ app })}`, pem);
    if (answer?.status === 507) return false;
    if (answer?.status !== 200) throw new Error(`nginx did not take the certificate: ${answer?.body ?? 'no answer'}`);
    return true;
  }

  /** The per-app counters the workers keep (templates/nginx/lua/metrics.lua), as `key value` lines; undefined when nginx does not answer. */
  async readTraffic(): Promise<string | undefined> {
    const answer = await socketRequest(this.statusSocket, 'GET', '/metrics');
    return answer?.status === 200 ? answer.body : undefined;
  }

  /**
   * Takes (removes) up to `max` of the app's router lines waiting in the workers
   * (templates/nginx/lua/router_log.lua), and has it recorded for another minute; undefined
   * when nginx does not answer.
   */
  async takeRouterLog(app: string, max: number): Promise<string | undefined> {
    const query = new URLSearchParams({ app, max: String(max) });
    const answer = await socketRequest(this.statusSocket, 'GET', `/router-log?${query}`);
    return answer?.status === 200 ? answer.body : undefined;
  }

  /** Tests the configuration on disk and has the master load it (starts one if none runs). */
  async testAndReload(): Promise<void> {
    const generation = newGeneration();
    this.writeStatus(generation);
    const problem = await this.validate();
    if (problem) throw new UserError(`nginx rejected the configuration: ${problem}`);
    const pid = this.masterPid();
    if (pid === undefined) return this.start();
    process.kill(pid, 'SIGHUP');
    await this.waitForGeneration(generation);
  }

  /**
   * Starts a master when none runs. Workers a dead master left still hold the ports, so they go
   * first: a command that finds nginx gone (a route change, a certificate) before the
   * supervisor does would otherwise fail on "Address already in use".
   */
  async start(): Promise<void> {
    this.clearOrphanedWorkers();
    const generation = newGeneration();
    this.writeStatus(generation);
    // Left by an nginx that did not stop cleanly: it could not listen on them again.
    for (const socket of [this.statusSocket, ...this.options.sockets]) fs.rmSync(socket, { force: true });
    const started = await runProgram(this.options.bin, this.baseArgs());
    if (started.code !== 0) throw new Error(`nginx failed to start: ${started.stderr.trim()}`);
    await this.waitForGeneration(generation);
  }

  private baseArgs(): string[] {
    const dir = this.options.dir;
    return ['-p', dir, '-c', this.options.mainConf, '-e', path.join(dir, 'logs', 'error.log')];
  }

  private writeStatus(generation: string): void {
    writeAtomically(this.statusConf, renderStatus({ dir: this.options.dir, generation }));
  }

  /**
   * A reload is asynchronous. It is done when a new worker answers with the new generation
   * and no old worker still accepts connections: until an old worker handles its shutdown
   * message it may take a new connection and serve the old config. Old workers retitle
   * themselves "worker process is shutting down" as they close their listening sockets;
   * `worker_processes auto` runs one accepting worker per CPU.
   */
  private async waitForGeneration(generation: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    let loaded = false;
    while (Date.now() < deadline) {
      loaded ||= (await socketRequest(this.statusSocket, 'GET', '/generation'))?.body === generation;
      if (loaded && childWorkers(this.masterPid()).length <= os.cpus().length) return;
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

const newGeneration = () => randomBytes(8).toString('hex');
