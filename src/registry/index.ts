import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import Handlebars from 'handlebars';
import { errorMessage } from '../core/errors.js';
import { readIfExists } from '../core/files.js';
import { everyUntilAborted, runProgram, sleep } from '../core/process.js';
import type { Settings } from '../settings.js';
import { GLOBAL_SCOPE, type State } from '../state/index.js';
import { ClusterCa } from './ca.js';
import type { Log } from '../core/log.js';

export { ClusterCa };

const templateFile = new URL('../../templates/registry/config.yml.hbs', import.meta.url);
const templates = Handlebars.create();
templates.registerHelper('json', (value: unknown) => new Handlebars.SafeString(JSON.stringify(value)));
const renderConfig = templates.compile(fs.readFileSync(templateFile, 'utf8'), { strict: true });

const USER = 'slipway';
/** The manifest types Docker pushes: asked for by name, or the registry answers with another digest. */
const MANIFEST_TYPES = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json';
const READY_TIMEOUT_MS = 15_000;

/**
 * Pushes in flight and a garbage collection running, per registry directory. Collection
 * deletes blobs no manifest references, so a push uploading layers meanwhile could lose
 * them: the two never overlap. Only this daemon pushes, so in-process counting is enough.
 */
const activity = new Map<string, { pushes: number; collecting?: Promise<unknown> }>();

/** What the Engine API takes as X-Registry-Auth for a push, and Swarm passes on to the nodes for their pulls. */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

export interface RegistryOptions {
  /** Where its configuration, certificate, password and images live. */
  dir: string;
  /** `host:port` the nodes reach it at; it listens there. */
  address: string;
  bin: string;
  ca: ClusterCa;
}

/** By registry directory: the start under way, which the next waits for. */
const startsInFlight = new Map<string, Promise<void>>();

/**
 * The cluster's image registry: Debian's docker-registry (the CNCF distribution registry),
 * run by Slipway as its own process, as nginx is, and left running when the daemon stops so
 * nodes can still pull. TLS from the cluster CA, one htpasswd user that only Slipway knows.
 */
export class ImageRegistry {
  constructor(private readonly options: RegistryOptions) {}

  get address(): string {
    return this.options.address;
  }

  /** Where an app's release images go: `<registry>/<instance>/<app>`. */
  repository(instance: string, app: string): string {
    return `${this.options.address}/${instance}/${app}`;
  }

  auth(): RegistryAuth {
    return { username: USER, password: this.password(), serveraddress: this.options.address };
  }

  /**
   * Starts it unless it runs (configured for this address); resolves once it answers. One
   * start at a time per registry: the supervisor and `scheduler-swarm:init` may both start it,
   * and two writing its certificate and key at once leave a key that fits neither.
   */
  ensureRunning(): Promise<void> {
    const previous = startsInFlight.get(this.options.dir) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.startUnlessRunning());
    startsInFlight.set(this.options.dir, next);
    void next.catch(() => undefined).then(() => startsInFlight.get(this.options.dir) === next && startsInFlight.delete(this.options.dir));
    return next;
  }

  private async startUnlessRunning(): Promise<void> {
    const config = await this.writeConfig();
    if (this.runningPid() === undefined) this.start(config);
    await this.waitUntilReady();
  }

  /** Why the registry cannot take a push now, or undefined when it answers. */
  async problem(): Promise<string | undefined> {
    const status = await this.request('GET', '/v2/', {}, false).then((r) => r.status, (error: Error) => error.message);
    if (status === 401 || status === 200) return undefined;
    return `The image registry at ${this.options.address} does not answer (${typeof status === 'number' ? `status ${status}` : status})`;
  }

  /** Runs `push` once no garbage collection runs, and keeps one from starting until it is done. */
  async whilePushing<T>(push: () => Promise<T>): Promise<T> {
    const current = this.activity();
    while (current.collecting) await current.collecting;
    current.pushes++;
    try {
      return await push();
    } finally {
      current.pushes--;
    }
  }

  /**
   * Frees the layers of pruned images when a prune left some and no push is in flight (it
   * waits for the next chance otherwise): the number of blobs deleted, or undefined when
   * nothing was due.
   */
  async collectGarbageIfDue(): Promise<number | undefined> {
    const current = this.activity();
    if (!fs.existsSync(this.file.garbage) || current.pushes > 0 || current.collecting) return undefined;
    const collecting = this.collectGarbage();
    current.collecting = collecting;
    try {
      return await collecting;
    } finally {
      current.collecting = undefined;
    }
  }

  private async collectGarbage(): Promise<number> {
    fs.rmSync(this.file.garbage, { force: true }); // a prune during the run marks it due again
    const result = await runProgram(this.options.bin, ['garbage-collect', this.file.config]);
    if (result.code !== 0) {
      fs.writeFileSync(this.file.garbage, '');
      throw new Error(`garbage-collect exited with code ${result.code}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')}`);
    }
    return (result.stdout + result.stderr).split('\n').filter((line) => line.includes('blob eligible for deletion')).length;
  }

  private activity() {
    let current = activity.get(this.options.dir);
    if (!current) activity.set(this.options.dir, (current = { pushes: 0 }));
    return current;
  }

  /** Stops it (tests, and `scheduler-swarm:init` moving it to another address). */
  stop(): void {
    const pid = this.runningPid();
    if (pid !== undefined) process.kill(pid, 'SIGTERM');
  }

  private get file() {
    const { dir } = this.options;
    return {
      config: path.join(dir, 'config.yml'),
      htpasswd: path.join(dir, 'htpasswd'),
      password: path.join(dir, 'password'),
      pid: path.join(dir, 'registry.pid'),
      log: path.join(dir, 'registry.log'),
      /** Present while pruned manifests may have left layers to free. */
      garbage: path.join(dir, 'garbage-due'),
      storage: path.join(dir, 'data'),
      tls: path.join(dir, 'tls'),
    };
  }

  /** The one password, made on first use; the htpasswd file holds only its bcrypt hash. */
  private password(): string {
    const { password, htpasswd } = this.file;
    if (!fs.existsSync(password)) {
      fs.mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
      const secret = randomBytes(24).toString('base64url');
      fs.writeFileSync(htpasswd, `${USER}:${bcrypt.hashSync(secret, 10)}\n`, { mode: 0o600 });
      fs.writeFileSync(password, secret, { mode: 0o600 });
    }
    return fs.readFileSync(password, 'utf8');
  }

  private async writeConfig(): Promise<string> {
    const file = this.file;
    this.password();
    const host = this.options.address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const hostFile = path.join(file.tls, 'host');
    fs.mkdirSync(file.tls, { recursive: true, mode: 0o700 });
    if (readIfExists(hostFile) !== host) {
      await this.options.ca.issueServerCertificate(host, file.tls, 'registry');
      fs.writeFileSync(hostFile, host);
      this.stop(); // it serves the old certificate until it starts again
    }
    const config = renderConfig({
      storageDir: file.storage,
      listen: this.options.address,
      certFile: path.join(file.tls, 'registry.crt'),
      keyFile: path.join(file.tls, 'registry.key'),
      htpasswdFile: file.htpasswd,
    });
    if (readIfExists(file.config) !== config) {
      fs.writeFileSync(file.config, config, { mode: 0o600 });
      this.stop();
    }
    return file.config;
  }

  private start(config: string): void {
    const { log, pid } = this.file;
    fs.mkdirSync(this.file.storage, { recursive: true });
    const out = fs.openSync(log, 'a');
    const child = spawn(this.options.bin, ['serve', config], { detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    child.unref();
    fs.writeFileSync(pid, String(child.pid));
  }

  /** Its pid while the process recorded is still that registry with this configuration. */
  private runningPid(): number | undefined {
    const pid = Number(readIfExists(this.file.pid)?.trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return cmdline.includes(this.file.config) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const problem = await this.problem();
      if (!problem) return;
      if (Date.now() > deadline) {
        const log = (readIfExists(this.file.log) ?? '').trim().split('\n').slice(-5).join('\n');
        throw new Error(`${problem}${log ? `\n${log}` : ''}`);
      }
      await sleep(100);
    }
  }

  /**
   * Deletes the tags of `repository` (`<instance>/<app>`) other than `keep`, by their manifests'
   * digests: what a later garbage collection frees. The tags it deleted.
   */
  async prune(repository: string, keep: Set<string>): Promise<string[]> {
    const listed = await this.request('GET', `/v2/${repository}/tags/list`);
    if (listed.status === 404) return [];
    if (listed.status !== 200) throw new Error(`listing ${repository} in the registry: status ${listed.status}`);
    const tags = (JSON.parse(listed.body) as { tags?: string[] | null }).tags ?? [];
    const deleted: string[] = [];
    for (const tag of tags.filter((t) => !keep.has(t))) {
      const head = await this.request('HEAD', `/v2/${repository}/manifests/${encodeURIComponent(tag)}`, { accept: MANIFEST_TYPES });
      const digest = head.headers['docker-content-digest'];
      if (head.status !== 200 || typeof digest !== 'string') continue;
      const removed = await this.request('DELETE', `/v2/${repository}/manifests/${digest}`);
      if (removed.status === 202 || removed.status === 404) deleted.push(tag);
    }
    if (deleted.length > 0) fs.writeFileSync(this.file.garbage, '');
    return deleted;
  }

  /** One request with the cluster CA as the only trusted root, as Slipway's user unless `authenticated` is false. */
  private request(method: string, urlPath: string, headers: Record<string, string> = {}, authenticated = true) {
    const ca = fs.readFileSync(this.options.ca.certFile);
    const auth = authenticated ? { authorization: `Basic ${Buffer.from(`${USER}:${this.password()}`).toString('base64')}` } : {};
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const request = https.request(`https://${this.options.address}${urlPath}`, { method, ca, timeout: 3000, headers: { ...headers, ...auth } }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      });
      request.on('timeout', () => request.destroy(new Error('no answer within 3 s')));
      request.on('error', reject);
      request.end();
    });
  }
}

/** Set by scheduler-swarm:init: where the nodes reach the registry. */
export const REGISTRY_PROPERTY = 'scheduler-swarm.registry';
const SUPERVISE_MS = 5000;

export const clusterCa = (settings: Settings) => new ClusterCa(path.join(settings.dataDir, 'cluster'));

/** The registry, once scheduler-swarm:init has said where it listens. */
export function clusterRegistry(settings: Settings, state: State): ImageRegistry | undefined {
  const address = state.properties.get(GLOBAL_SCOPE, REGISTRY_PROPERTY);
  if (!address) return undefined;
  return new ImageRegistry({ dir: path.join(settings.dataDir, 'registry'), address, bin: settings.registryBin, ca: clusterCa(settings) });
}

/**
 * The daemon keeps the registry running once the swarm is set up, as it keeps nginx, and
 * frees the layers of the images pruned since the last look.
 */
export function superviseRegistry(settings: Settings, state: State, log: Log, signal: AbortSignal): void {
  let busy = false;
  everyUntilAborted(SUPERVISE_MS, signal, () => {
    const registry = clusterRegistry(settings, state);
    if (!registry || busy) return;
    busy = true;
    keepServing(registry, log)
      .then(async (serving) => {
        if (!serving) return;
        const freed = await registry.collectGarbageIfDue().catch((error) => log(`collecting the image registry's garbage failed: ${errorMessage(error)}`));
        if (freed) log(`the image registry freed ${freed} blobs of pruned images`);
      })
      .finally(() => (busy = false));
  });
}

/** Whether it serves, after starting it again if it did not. */
async function keepServing(registry: ImageRegistry, log: Log): Promise<boolean> {
  const problem = await registry.problem();
  if (!problem) return true;
  log(`${problem}: starting it again`);
  try {
    await registry.ensureRunning();
    log('the image registry is serving again');
    return true;
  } catch (error) {
    log(`restarting the image registry failed: ${errorMessage(error)}`);
    return false;
  }
}
