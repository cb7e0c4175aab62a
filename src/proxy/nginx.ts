import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { runProgram, sleep } from '../core/process.js';
import { renderApp, renderMain, renderStatus, type AppRoute } from './render.js';

export type { AppRoute } from './render.js';

/** Serializes config changes across every Slipway process on the host. */
export type ConfigLock = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Slipway's own nginx instance: a main config it owns, one file per app under apps/,
 * every change tested with `nginx -t` before a reload, and a reload only when a file changed.
 * The master outlives the daemon, so apps keep serving while Slipway restarts.
 */
export class Nginx {
  private readonly mainConf: string;
  private readonly appsDir: string;

  constructor(
    private readonly options: { bin: string; dir: string; httpPort: number; lock: ConfigLock },
  ) {
    this.mainConf = path.join(options.dir, 'nginx.conf');
    this.appsDir = path.join(options.dir, 'apps');
  }

  /** Writes the main config and starts the master, or reloads a running one if the config changed. */
  async ensureRunning(): Promise<void> {
    await this.options.lock(async () => {
      for (const sub of ['apps', 'logs', 'tmp']) fs.mkdirSync(path.join(this.options.dir, sub), { recursive: true });
      const mainChanged = writeIfChanged(this.mainConf, renderMain(this.options));
      if (!fs.existsSync(this.statusConf)) this.writeStatus(newGeneration());
      if (this.masterPid() === undefined) await this.start();
      else if (mainChanged) await this.testAndReload();
    });
  }

  /** Points an app's domains at its backends; returns false when nothing changed. */
  async applyApp(route: AppRoute): Promise<boolean> {
    return this.replaceFile(this.appFile(route.app), renderApp(route));
  }

  async removeApp(app: string): Promise<boolean> {
    return this.replaceFile(this.appFile(app), undefined);
  }

  /** Stops the master; used by tests and uninstall, never by a daemon restart. */
  async stop(): Promise<void> {
    const pid = this.masterPid();
    if (pid === undefined) return;
    process.kill(pid, 'SIGQUIT');
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
  }

  private get statusConf() {
    return path.join(this.options.dir, 'status.conf');
  }

  private appFile(app: string) {
    return path.join(this.appsDir, `${app}.conf`);
  }

  private async replaceFile(file: string, content: string | undefined): Promise<boolean> {
    return this.options.lock(async () => {
      const previous = readIfExists(file);
      if (previous === content) return false;
      if (content === undefined) fs.rmSync(file, { force: true });
      else writeAtomically(file, content);
      try {
        await this.testAndReload();
      } catch (error) {
        if (previous === undefined) fs.rmSync(file, { force: true });
        else writeAtomically(file, previous);
        throw error;
      }
      return true;
    });
  }

  private async testAndReload(): Promise<void> {
    const generation = newGeneration();
    this.writeStatus(generation);
    const test = await runProgram(this.options.bin, [...this.baseArgs(), '-t', '-q']);
    if (test.code !== 0) throw new UserError(`nginx rejected the configuration: ${test.stderr.trim()}`);
    const pid = this.masterPid();
    if (pid === undefined) return this.start();
    process.kill(pid, 'SIGHUP');
    await this.waitForGeneration(generation);
  }

  private async start(): Promise<void> {
    const generation = newGeneration();
    this.writeStatus(generation);
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

  /** A reload is asynchronous: wait until the new workers answer with the new generation. */
  private async waitForGeneration(generation: string): Promise<void> {
    const socketPath = path.join(this.options.dir, 'status.sock');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if ((await readGeneration(socketPath)) === generation) return;
      await sleep(10);
    }
    throw new Error('nginx did not load the new configuration within 10 s (see its error.log)');
  }

  private masterPid(): number | undefined {
    const text = readIfExists(path.join(this.options.dir, 'nginx.pid'));
    const pid = Number(text?.trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  }
}

const newGeneration = () => randomBytes(8).toString('hex');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function writeAtomically(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content, { mode: 0o644 });
  fs.renameSync(temp, file);
}

function writeIfChanged(file: string, content: string): boolean {
  if (readIfExists(file) === content) return false;
  writeAtomically(file, content);
  return true;
}

function readGeneration(socketPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath, path: '/generation', timeout: 1000, agent: false }, (response) => {
      let body = '';
      response.on('data', (d) => (body += d));
      response.on('end', () => resolve(body));
    });
    request.on('error', () => resolve(undefined));
    request.on('timeout', () => request.destroy());
  });
}
