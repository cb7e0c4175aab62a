import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import Handlebars from 'handlebars';
import { readIfExists, writeAtomically } from '../core/files.js';
import { sleep } from '../core/process.js';
import type { ClusterCa } from './ca.js';
import { RegistryGarbage } from './garbage.js';

const templateFile = new URL('../../templates/registry/config.yml.hbs', import.meta.url);
const templates = Handlebars.create();
templates.registerHelper('json', (value: unknown) => new Handlebars.SafeString(JSON.stringify(value)));
const renderConfig = templates.compile(fs.readFileSync(templateFile, 'utf8'), { strict: true });

const USER = 'slipway';
/** The manifest types Docker pushes: asked for by name, or the registry answers with another digest. */
const MANIFEST_TYPES =
  'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json';
const READY_TIMEOUT_MS = 15_000;

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
  private readonly garbage: RegistryGarbage;

  constructor(private readonly options: RegistryOptions) {
    this.garbage = new RegistryGarbage({ dir: options.dir, bin: options.bin, config: this.file.config });
  }

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
    void next
      .catch(() => undefined)
      .then(() => startsInFlight.get(this.options.dir) === next && startsInFlight.delete(this.options.dir));
    return next;
  }

  private async startUnlessRunning(): Promise<void> {
    const config = await this.writeConfig();
    if (this.runningPid() === undefined) this.start(config);
    await this.waitUntilReady();
  }

  /** Why the registry cannot take a push now, or undefined when it answers. */
  async problem(): Promise<string | undefined> {
    const status = await this.request('GET', '/v2/', {}, false).then(
      (r) => r.status,
      (error: Error) => error.message,
    );
    if (status === 401 || status === 200) return undefined;
    return `The image registry at ${this.options.address} does not answer (${typeof status === 'number' ? `status ${status}` : status})`;
  }

  /** Runs `push` once no garbage collection runs, and keeps one from starting until it is done. */
  whilePushing<T>(push: () => Promise<T>): Promise<T> {
    return this.garbage.whilePushing(push);
  }

  /** Frees the layers of pruned images when some are due and no push is in flight: the number of blobs deleted, or undefined when nothing was due. */
  collectGarbageIfDue(): Promise<number | undefined> {
    return this.garbage.collectIfDue();
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
      writeAtomically(htpasswd, `${USER}:${bcrypt.hashSync(secret, 10)}\n`, 0o600);
      writeAtomically(password, secret, 0o600);
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
      writeAtomically(hostFile, host);
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
      writeAtomically(file.config, config, 0o600);
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
      const head = await this.request('HEAD', `/v2/${repository}/manifests/${encodeURIComponent(tag)}`, {
        accept: MANIFEST_TYPES,
      });
      const digest = head.headers['docker-content-digest'];
      if (head.status !== 200 || typeof digest !== 'string') continue;
      const removed = await this.request('DELETE', `/v2/${repository}/manifests/${digest}`);
      if (removed.status === 202 || removed.status === 404) deleted.push(tag);
    }
    if (deleted.length > 0) this.garbage.markDue();
    return deleted;
  }

  /** One request with the cluster CA as the only trusted root, as Slipway's user unless `authenticated` is false. */
  private request(method: string, urlPath: string, headers: Record<string, string> = {}, authenticated = true) {
    const ca = fs.readFileSync(this.options.ca.certFile);
    const auth = authenticated
      ? { authorization: `Basic ${Buffer.from(`${USER}:${this.password()}`).toString('base64')}` }
      : {};
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
      (resolve, reject) => {
        const request = https.request(
          `https://${this.options.address}${urlPath}`,
          { method, ca, timeout: 3000, headers: { ...headers, ...auth } },
          (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
          },
        );
        request.on('timeout', () => request.destroy(new Error('no answer within 3 s')));
        request.on('error', reject);
        request.end();
      },
    );
  }
}
