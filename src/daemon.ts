import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { errorMessage } from './core/errors.js';
import { closeWithin, stopSignalHandler, type ShutdownStep } from './core/shutdown.js';
import { lineLog } from './core/log.js';
import { requestDeploy, runDeployJob } from './deploy/index.js';
import { keepCronTime } from './cron/clock.js';
import { keepDraining } from './drains/index.js';
import { keepSampling } from './metrics/index.js';
import {
  allServiceKinds,
  cleanUpInterruptedBackups,
  keepBackupSchedules,
  keepBaseBackups,
  serviceBackupStores,
} from './services/index.js';
import { stateBackupSchedule, stateBackupStore } from './state-backup/index.js';
import { keepCertificatesFresh } from './letsencrypt/index.js';
import { keepConverging } from './deploy/reconcile.js';
import { keepAppsSleeping } from './deploy/sleep.js';
import { closeInterruptedWork } from './deploy/recovery.js';
import type { HeldLock } from './queue/locks.js';
import { superviseNginx } from './proxy/supervisor.js';
import { superviseRegistry } from './registry/index.js';
import { listenForPushes } from './git/push-socket.js';
import { serveHostCommands } from './host/server.js';
import { startApiServer } from './api/server.js';
import { Platform } from './platform.js';
import { startDeployWorker, type DeployWorker } from './queue/deploy-queue.js';
import type { Settings } from './settings.js';
import { startSshServer } from './ssh/server.js';
import { dispatchEvents } from './webhooks/index.js';
import { startWebhookWorker } from './webhooks/delivery.js';

const SHUTDOWN_GRACE_MS = 60_000;
/** How long a shutdown waits for what needs Redis, all of it together: a Redis gone never answers. */
const REDIS_CLOSE_MS = 10_000;
const log = lineLog();

/**
 * `slipway serve`: the SSH server, the hook socket and a deploy worker in one process.
 * nginx runs as its own master and is left running on shutdown, so apps keep serving
 * while the daemon restarts or upgrades.
 */
export async function serve(settings: Settings): Promise<void> {
  const platform = new Platform(settings);
  for (const dir of [settings.dataDir, settings.reposDir, settings.buildsDir, settings.runDir]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  await checkDependencies(platform);
  for (const name of await platform.locks.releaseOrphaned()) log(`released lock ${name} of a process that is gone`);
  const seat = await claimSeat(platform);
  await closeInterruptedWork(platform, log);
  // in the background: the start waits on no bucket
  void cleanUpInterruptedBackups([...serviceBackupStores(platform), stateBackupStore(platform)], log);
  for (const scheduler of platform.allSchedulers()) await scheduler.prepare();
  await platform.nginx.ensureRunning().catch((error) => {
    throw new Error(`nginx failed to start: ${errorMessage(error)}`);
  });
  const watching = new AbortController();
  superviseNginx(platform.nginx, log, watching.signal);
  superviseRegistry(settings, platform.state, log, watching.signal);
  // Every app is routed again at start, and the SSH server and the API do not wait for it: with
  // a thousand apps that takes seconds, and nothing they serve needs it done. nginx outlives the
  // daemon and kept routing meanwhile (its master loads the backends file should it start
  // again); what the restore corrects is an address the engine changed while the daemon was
  // away, which traffic is sent to until the restore, listening or not. A command or deploy
  // that changes an app's route takes the app's lock, as the restore of that app does, so one
  // never undoes the other; an app's deploy meanwhile routes its own new instances.
  const restored = keepConverging(platform, log, watching.signal);
  await keepAppsSleeping(platform, log, watching.signal);
  keepCronTime(platform, log, watching.signal);
  keepBackupSchedules(platform, log, watching.signal, () => stateBackupSchedule(platform, log));
  keepBaseBackups(platform, allServiceKinds, log, watching.signal);
  keepCertificatesFresh(platform, log, watching.signal);
  keepDraining(platform, log, watching.signal);
  keepSampling(platform, log, watching.signal);

  const hookToken = randomBytes(32).toString('hex');
  const pushes = await listenForPushes({
    socketPath: settings.hookSocket,
    token: hookToken,
    buildsDir: settings.buildsDir,
    handle: (push, print, signal) =>
      requestDeploy(
        platform,
        {
          kind: 'git',
          deployId: randomUUID(),
          app: push.app,
          rev: push.rev,
          tarPath: push.tarPath,
          requestedBy: push.user,
          hookStartedAt: push.hookStartedAt,
        },
        print,
        signal,
      ),
  });
  const deploys = startWorker(platform);
  const stopDispatching = dispatchEvents(platform, log);
  const deliveries = startWebhookWorker({
    redisUrl: settings.redisUrl,
    prefix: settings.instance,
    backoffBaseMs: settings.webhookBackoffMs,
    webhooks: platform.state.webhooks,
  });
  deliveries.on('error', (error) => log('webhook worker error', { level: 'error', err: error }));
  const ssh = await startSshServer(platform, { hookToken });
  const api = await startApiServer(platform, {
    host: '127.0.0.1',
    port: settings.apiPort,
    proxySecret: platform.proxySecret,
  });
  const hostCommands = await serveHostCommands(platform, settings.hostCommandSocket);
  log(
    `serving ssh on ${settings.sshHost}:${settings.sshPort}, http on port ${settings.httpPort}, apps under *.${settings.domain}, the API on 127.0.0.1:${api.port}`,
  );
  restored.then(
    () => log('routes restored: every app is routed to what runs now'),
    (error: unknown) => log(`restoring the routes failed: ${errorMessage(error)}`, { level: 'error' }),
  );
  onShutdown(async () => {
    watching.abort();
    ssh.close();
    pushes.close();
    hostCommands.close();
    return stopWorking(platform, deploys, {
      first: [['closing the API server', () => api.close()]],
      needingRedis: [
        ['closing the webhook worker', () => deliveries.close()],
        ['closing the webhook queue', stopDispatching],
        ['releasing the daemon seat', () => seat.release()],
      ],
    });
  });
}

/**
 * One daemon per instance: two on one Redis with the same SLIPWAY_INSTANCE would take each
 * other's jobs and fight over the same containers. The seat is a lock held for life; a
 * crashed holder's seat was released just before, as its other locks.
 */
async function claimSeat(platform: Platform): Promise<HeldLock> {
  const seat = await platform.locks.tryAcquire('daemon');
  if (seat) return seat;
  const { instance, redisUrl } = platform.settings;
  throw new Error(
    `another Slipway daemon already serves instance ${instance} on ${redisUrl}: stop it, or give this one its own SLIPWAY_INSTANCE`,
  );
}

/** `slipway worker`: only runs deploy jobs, for a host that wants more build slots. */
export async function work(settings: Settings): Promise<void> {
  const platform = new Platform(settings);
  await checkDependencies(platform);
  const deploys = startWorker(platform);
  // Its deploys' events are queued for webhooks here; the daemon delivers them.
  const stopDispatching = dispatchEvents(platform, log);
  log(`deploy worker running (concurrency ${settings.deployConcurrency})`);
  onShutdown(async () => {
    return stopWorking(platform, deploys, { needingRedis: [['closing the webhook queue', stopDispatching]] });
  });
}

/**
 * The end of a process that runs deploys: it takes no new job, lets the running deploys finish
 * (within SHUTDOWN_GRACE_MS, with what goes `first`), closes what needs Redis (within
 * REDIS_CLOSE_MS: a Redis gone would keep it waiting for ever), then the database. True when
 * all of it was done in time; what was given up is logged.
 */
async function stopWorking(
  platform: Platform,
  deploys: DeployWorker,
  steps: { first?: ShutdownStep[]; needingRedis: ShutdownStep[] },
): Promise<boolean> {
  const closingWorker = deploys.worker.close(); // takes no new job from here on
  void closingWorker.catch(() => {}); // its failure is told in its step below
  const clean = [
    await closeWithin(
      SHUTDOWN_GRACE_MS,
      [...(steps.first ?? []), ['finishing running deploys', () => deploys.deploysDone()]],
      log,
    ),
    await closeWithin(
      REDIS_CLOSE_MS,
      [
        ['closing the deploy worker', () => closingWorker],
        ...steps.needingRedis,
        ['closing the Redis connections', () => platform.closeRedis()],
      ],
      log,
    ),
  ].every(Boolean);
  platform.state.close();
  return clean;
}

function startWorker(platform: Platform): DeployWorker {
  const deploys = startDeployWorker({
    redisUrl: platform.settings.redisUrl,
    prefix: platform.settings.instance,
    concurrency: platform.settings.deployConcurrency,
    locks: platform.locks,
    logs: platform.logs,
    run: (job) => runDeployJob(platform, job),
  });
  deploys.worker.on('error', (error) => log('worker error', { level: 'error', err: error }));
  return deploys;
}

async function checkDependencies(platform: Platform): Promise<void> {
  try {
    await platform.engine.ping();
  } catch (error) {
    throw new Error(`Docker is not reachable at ${platform.settings.dockerSocket}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    await Promise.race([
      platform.redis.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 5000)),
    ]);
  } catch (error) {
    throw new Error(`Redis is not reachable at ${platform.settings.redisUrl}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** On SIGTERM or SIGINT: see stopSignalHandler. */
function onShutdown(stop: () => Promise<boolean>): void {
  const handler = stopSignalHandler(stop, log);
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
