import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import Docker from 'dockerode';
import { orEmpty } from '../../src/runtime/docker/api.js';

import { allPids, killAll, procStat } from '../../src/core/proc.js';
import { Nginx } from '../../src/proxy/nginx.js';
import { parseJson } from './json.js';
import { freePort } from './ports.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

export interface HttpsAnswer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** Whether the certificate nginx showed chains to the CA the request trusted. */
  authorized: boolean;
  serial: string;
  /** The common name of the certificate nginx showed ('' when it showed none). */
  subject: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

/** Runs a program with arguments (no shell) and never throws on a non-zero exit. */
export function run(
  program: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; inputFile?: string } = {},
) {
  return new Promise<RunResult>((resolve) => {
    const child = execFile(
      program,
      args,
      { cwd: options.cwd, env: options.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, output: stdout + stderr });
      },
    );
    child.stdin?.on('error', () => {}); // the program may exit without reading its input
    if (options.inputFile) fs.createReadStream(options.inputFile).pipe(child.stdin!);
    else child.stdin?.end(options.input ?? '');
  });
}

export interface SshKey {
  privatePath: string;
  publicPath: string;
}

export async function makeKey(dir: string, name: string): Promise<SshKey> {
  const privatePath = path.join(dir, name);
  const made = await run('ssh-keygen', ['-t', 'ed25519', '-N', '', '-q', '-C', name, '-f', privatePath]);
  if (made.code !== 0) throw new Error(made.output);
  return { privatePath, publicPath: `${privatePath}.pub` };
}

/**
 * A real Slipway daemon for one test file: its own data dir, ports, instance name (so its
 * containers, images and locks are its own) and nginx, driven through real OpenSSH and git.
 */
export class SlipwayUnderTest {
  readonly dir: string;
  readonly instance = `swt${randomBytes(3).toString('hex')}`;
  readonly domain = 'slipway.test';
  sshPort = 0;
  httpPort = 0;
  httpsPort = 0;
  apiPort = 0;
  admin!: SshKey;
  private daemon?: ChildProcess;
  private daemonLog = '';
  /** Where the log of the daemon started last begins. */
  private lastStart = 0;

  /** Settings of this daemon on top of the harness's own (`SLIPWAY_WATCH_SECONDS`, …). */
  constructor(
    private readonly redisUrl: string,
    private readonly settings: NodeJS.ProcessEnv = {},
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-test-'));
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      SLIPWAY_DATA_DIR: path.join(this.dir, 'data'),
      SLIPWAY_SSH_PORT: String(this.sshPort),
      SLIPWAY_SSH_HOST: '127.0.0.1',
      SLIPWAY_HTTP_PORT: String(this.httpPort),
      SLIPWAY_HTTPS_PORT: String(this.httpsPort),
      SLIPWAY_API_PORT: String(this.apiPort),
      SLIPWAY_DOMAIN: this.domain,
      SLIPWAY_REDIS_URL: this.redisUrl,
      SLIPWAY_INSTANCE: this.instance,
      SLIPWAY_DRAIN_SECONDS: '1',
      SLIPWAY_STOP_TIMEOUT_SECONDS: '2',
      // A short watch after each swap keeps the suite quick; the fault tests use the default.
      SLIPWAY_WATCH_SECONDS: '1',
      ...this.settings,
    };
  }

  async start(): Promise<void> {
    await this.choosePorts();
    this.admin = await makeKey(this.dir, 'admin');
    // A port found free can still be taken before the daemon binds it (a test file beside
    // this one chose it too): then the daemon starts again on other ports.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startDaemon();
        break;
      } catch (error) {
        if (attempt === 3 || !String(error).includes('EADDRINUSE')) throw error;
        this.stopNginx();
        await this.choosePorts();
      }
    }
    // Through the running daemon: a CLI with no daemon to ask loads all of Slipway itself
    // (about 1.3 CPU-seconds, once per test file), one that asks the daemon only its client.
    const added = await this.cli(['ssh-keys:add', 'admin', this.admin.publicPath]);
    if (added.code !== 0) throw new Error(`ssh-keys:add failed: ${added.output}`);
  }

  private async choosePorts(): Promise<void> {
    this.sshPort = await freePort();
    this.httpPort = await freePort();
    this.httpsPort = await freePort();
    this.apiPort = await freePort();
  }

  private get nginxDir(): string {
    return path.join(this.dir, 'data', 'nginx');
  }

  /** SIGTERM to this instance's nginx master, at once (a graceful quit waits for every open connection). */
  private stopNginx(): void {
    const pidFile = path.join(this.nginxDir, 'nginx.pid');
    if (fs.existsSync(pidFile)) killAll([Number(fs.readFileSync(pidFile, 'utf8'))], 'SIGTERM');
  }

  async startDaemon(): Promise<void> {
    // Started as in production (bin/slipway, with its Node flags), with no settings file's values.
    this.daemon = spawn(path.join(ROOT, 'bin', 'slipway'), ['serve'], {
      env: { ...this.env, SLIPWAY_SETTINGS_FILE: '/dev/null' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const from = this.daemonLog.length; // only this start's lines count: the log keeps the last run's
    this.lastStart = from;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${this.daemonLog}`)), 60_000);
      const collect = (chunk: Buffer) => {
        this.daemonLog += chunk.toString();
        if (this.daemonLog.slice(from).includes('serving ssh on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.daemon!.stdout!.on('data', collect);
      this.daemon!.stderr!.on('data', collect);
      this.daemon!.once('exit', (code) => reject(new Error(`daemon exited with ${code}:\n${this.daemonLog}`)));
    });
  }

  /**
   * Resolves once the daemon started last has routed every app again to what runs now: it
   * serves SSH before that (see src/daemon.ts).
   */
  async routesRestored(timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => this.daemonLog.slice(this.lastStart).includes('routes restored'),
      (restored) => restored,
      timeoutMs,
    );
  }

  async stopDaemon(): Promise<void> {
    const daemon = this.daemon;
    if (!daemon || daemon.exitCode !== null) return;
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    daemon.kill('SIGTERM');
    await exited;
  }

  /**
   * SIGTERM, as `systemctl stop` sends it: the daemon's exit code, or 'running' when it has
   * not exited within `limitMs` (then it is killed, so nothing is left behind).
   */
  async terminateDaemon(limitMs: number): Promise<number | 'running'> {
    const daemon = this.daemon;
    if (!daemon || daemon.exitCode !== null) throw new Error('the daemon is not running');
    const exited = new Promise<number>((resolve) => daemon.once('exit', (code) => resolve(code ?? -1)));
    daemon.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      exited,
      new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), limitMs))),
    ]);
    clearTimeout(timer);
    if (outcome === 'running') await this.killDaemon();
    return outcome;
  }

  /** The running daemon's process id (benchmarks read its memory). */
  get daemonPid(): number | undefined {
    return this.daemon?.exitCode === null ? this.daemon.pid : undefined;
  }

  /** What a crash does: the daemon is gone at once, with nothing cleaned up. */
  async killDaemon(): Promise<void> {
    const daemon = this.daemon;
    if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return;
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    daemon.kill('SIGKILL');
    await exited;
  }

  /** What the daemon printed so far. */
  get log(): string {
    return this.daemonLog;
  }

  /** `slipway …` on the host, as root. */
  cli(args: string[], input?: string): Promise<RunResult> {
    return run(process.execPath, [CLI, ...args], { env: this.env, input });
  }

  sshArgs(key: SshKey): string[] {
    return [
      '-i',
      key.privatePath,
      '-p',
      String(this.sshPort),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'LogLevel=ERROR',
    ];
  }

  /** `ssh -p PORT git@127.0.0.1 <command…>` through real OpenSSH. */
  ssh(command: string[], options: { key?: SshKey; input?: string } = {}): Promise<RunResult> {
    return run('ssh', [...this.sshArgs(options.key ?? this.admin), 'git@127.0.0.1', ...command], {
      input: options.input,
    });
  }

  /** A `--format json` command over SSH, its output parsed as T; a failed command throws with its output. */
  async sshJson<T = unknown>(command: string[], options: { key?: SshKey } = {}): Promise<T> {
    const result = await this.ssh(command, options);
    if (result.code !== 0) throw new Error(`${command.join(' ')}: ${result.output}`);
    return parseJson<T>(result.stdout);
  }

  gitEnv(key: SshKey = this.admin): NodeJS.ProcessEnv {
    return {
      ...process.env,
      GIT_SSH_COMMAND: ['ssh', ...this.sshArgs(key).filter((a) => a !== '-p' && a !== String(this.sshPort))].join(' '),
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    };
  }

  remote(app: string): string {
    return `ssh://git@127.0.0.1:${this.sshPort}/${app}`;
  }

  /** A fresh git checkout of a fixture, committed, with `deploy` pointing at this Slipway. */
  async appRepo(fixture: string, app: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(this.dir, `${app}-src-`));
    fs.cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
    for (const args of [
      ['init', '-q', '-b', 'main'],
      ['add', '-A'],
      ['commit', '-qm', 'initial'],
      ['remote', 'add', 'deploy', this.remote(app)],
    ]) {
      const result = await run('git', args, { cwd: dir, env: this.gitEnv() });
      if (result.code !== 0) throw new Error(`git ${args.join(' ')}: ${result.output}`);
    }
    return dir;
  }

  async commit(dir: string, message: string): Promise<void> {
    const result = await run('git', ['commit', '-qam', message], { cwd: dir, env: this.gitEnv() });
    if (result.code !== 0) throw new Error(result.output);
  }

  /** Replaces `from` with `to` in one file of the repository `dir`, and commits that. */
  async changeFile(dir: string, file: string, from: string, to: string): Promise<void> {
    const target = path.join(dir, file);
    fs.writeFileSync(target, fs.readFileSync(target, 'utf8').replace(from, to));
    await this.commit(dir, `${file}: ${to}`);
  }

  push(dir: string, options: { key?: SshKey; args?: string[] } = {}): Promise<RunResult> {
    return run('git', ['push', ...(options.args ?? ['deploy', 'main'])], { cwd: dir, env: this.gitEnv(options.key) });
  }

  /** GET through Slipway's nginx with the app's Host header. */
  async get(host: string, urlPath = '/'): Promise<{ status: number; body: string }> {
    const { status, body } = await this.getWithHeaders(host, urlPath);
    return { status, body };
  }

  getWithHeaders(
    host: string,
    urlPath = '/',
  ): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const request = http.get(
        { host: '127.0.0.1', port: this.httpPort, path: urlPath, headers: { host }, agent: false },
        (response) => {
          let body = '';
          response.on('data', (d) => (body += d));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
        },
      );
      request.on('error', reject);
    });
  }

  /**
   * A request over HTTPS through Slipway's nginx with this SNI name and Host (GET unless
   * `options.method`): trusting only `options.ca` when given, else any certificate. Rejects when
   * the handshake fails. Says what came back and which certificate nginx showed.
   */
  overHttps(
    host: string,
    urlPath = '/',
    options: { ca?: string; method?: string; body?: string; headers?: http.OutgoingHttpHeaders } = {},
  ): Promise<HttpsAnswer> {
    return new Promise((resolve, reject) => {
      const request = https.request(
        {
          host: '127.0.0.1',
          port: this.httpsPort,
          method: options.method ?? 'GET',
          path: urlPath,
          servername: host,
          headers: { host, ...options.headers },
          ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
          agent: false,
        },
        (response) => {
          const socket = response.socket as TLSSocket;
          const certificate = socket.getPeerCertificate();
          let body = '';
          response.on('data', (d) => (body += d));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              body,
              headers: response.headers,
              authorized: socket.authorized,
              serial: certificate.serialNumber,
              // getPeerCertificate() is {} when there is none, which Node's types do not say.
              // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
              subject: String(certificate.subject?.CN ?? ''),
            }),
          );
        },
      );
      request.on('error', reject);
      request.end(options.body);
    });
  }

  appHost(app: string): string {
    return `${app}.${this.domain}`;
  }

  /** Names of this instance's containers for an app, as `docker ps` shows them. */
  async containers(app: string): Promise<{ name: string; state: string }[]> {
    const found = await docker.listContainers({
      all: true,
      filters: { label: [`slipway.instance=${this.instance}`, `slipway.app=${app}`] },
    });
    return found.map((c) => ({ name: c.Names[0]!.replace(/^\//, ''), state: c.State }));
  }

  /** Names of this instance's networks for an app (its own, on the local scheduler). */
  async networks(app: string): Promise<string[]> {
    const found = await docker.listNetworks({
      filters: { label: [`slipway.instance=${this.instance}`, `slipway.app=${app}`] },
    });
    return found.map((n) => n.Name);
  }

  /**
   * Removes everything this daemon started: each step runs even when one before it failed
   * (the engine may be the thing a test broke), and nginx goes first, at once (SIGTERM: a
   * graceful quit waits for every open connection, an SSE stream's too).
   */
  async destroy(): Promise<void> {
    const failures: unknown[] = [];
    const step = async (work: () => unknown) => {
      try {
        await work();
      } catch (error) {
        failures.push(error);
      }
    };
    await step(() => this.stopDaemon());
    const nginxDir = this.nginxDir;
    const tempDir = path.join('/var/cache/slipway-nginx', this.instance);
    this.stopNginx();
    // Workers a killed master left behind (the fault tests) would hold these ports for ever.
    await step(() =>
      new Nginx({
        bin: 'nginx',
        dir: nginxDir,
        tempDir,
        httpPort: this.httpPort,
        httpsPort: this.httpsPort,
        ipv6: false,
        modulesDir: '',
        apiPort: this.apiPort,
        proxySecret: '0'.repeat(64),
        dashboardDomain: `slipway.${this.domain}`,
        dashboardTls: () => undefined,
        certsDir: path.join(this.dir, 'data', 'certs'),
        lock: (fn) => fn(),
      }).clearOrphanedWorkers(),
    );
    const mine = { filters: { label: [`slipway.instance=${this.instance}`] } };
    await step(async () => {
      const containers = await docker.listContainers({ all: true, ...mine });
      await Promise.all(
        containers.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => {}),
        ),
      );
    });
    await step(() => this.removeImages());
    await step(async () => {
      for (const network of await docker.listNetworks(mine))
        await docker
          .getNetwork(network.Id)
          .remove()
          .catch(() => {});
    });
    await step(async () => {
      for (const volume of orEmpty((await docker.listVolumes(mine)).Volumes, []))
        await docker
          .getVolume(volume.Name)
          .remove()
          .catch(() => {});
    });
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.rmSync(tempDir, { recursive: true, force: true });
    if (failures.length > 0) throw new AggregateError(failures, `removing test instance ${this.instance}`);
  }

  /**
   * The images of this instance: its tags (`swt…/app-…`) and the untagged layers a failed
   * build keeps (they carry the build's labels), newest first, as a child must go before the
   * image it was built on. Removing an untagged image removes its untagged parents with it.
   */
  private async removeImages(): Promise<void> {
    const tagged = (await docker.listImages())
      .flatMap((i) => i.RepoTags ?? [])
      .filter((t) => t.startsWith(`${this.instance}/`));
    for (const tag of tagged)
      await docker
        .getImage(tag)
        .remove()
        .catch(() => {});
    const labelled = await docker.listImages({ filters: { label: [`slipway.instance=${this.instance}`] } });
    for (const image of labelled.sort((a, b) => b.Created - a.Created))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {});
  }
}

/** Polls until `check` passes or the time is up; returns its last value. */
export async function eventually<T>(
  check: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await check();
  while (!accept(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    value = await check();
  }
  return value;
}

/** The processes whose parent is `pid` (nginx's workers, for the fault tests). */
export const childrenOf = (pid: number): number[] => allPids().filter((child) => procStat(child)?.parent === pid);

export { killAll };
