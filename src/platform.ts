import type { Redis } from 'ioredis';
import { DockerEngine } from './runtime/docker.js';
import { Scheduler } from './runtime/scheduler.js';
import { Nginx } from './proxy/nginx.js';
import { DeployQueue } from './queue/deploy-queue.js';
import { Locks } from './queue/locks.js';
import { DeployLogs } from './queue/logs.js';
import { connectRedis } from './queue/redis.js';
import type { Settings } from './settings.js';
import { openState, type State } from './state/index.js';

/**
 * The services every command and job works with. Network clients are created on first use,
 * so a local command that only touches the database (ssh-keys:add) needs no Redis.
 */
export class Platform {
  readonly state: State;
  readonly docker: DockerEngine;
  readonly scheduler: Scheduler;
  private redisClient?: Redis;
  private deployQueue?: DeployQueue;

  constructor(readonly settings: Settings) {
    this.state = openState(settings.dbPath);
    this.docker = new DockerEngine(settings.dockerSocket);
    this.scheduler = new Scheduler(this.docker, settings);
  }

  get redis(): Redis {
    this.redisClient ??= connectRedis(this.settings.redisUrl);
    return this.redisClient;
  }

  get locks(): Locks {
    return new Locks(this.redis, this.settings.instance);
  }

  get logs(): DeployLogs {
    return new DeployLogs(this.redis, this.settings.instance);
  }

  get queue(): DeployQueue {
    this.deployQueue ??= new DeployQueue(this.settings.redisUrl, this.settings.instance);
    return this.deployQueue;
  }

  get nginx(): Nginx {
    return new Nginx({
      bin: this.settings.nginxBin,
      dir: this.settings.nginxDir,
      httpPort: this.settings.httpPort,
      httpsPort: this.settings.httpsPort,
      ipv6: this.settings.ipv6,
      modulesDir: this.settings.nginxModulesDir,
      lock: (fn) => this.locks.withLock('nginx', 60_000, fn),
    });
  }

  async close(): Promise<void> {
    await this.deployQueue?.close();
    if (this.redisClient) await this.redisClient.quit().catch(() => this.redisClient?.disconnect());
    this.state.close();
  }
}
