import fs from 'node:fs';
import { isLocked } from '../apps/index.js';
import { buildFromSource } from '../builder/index.js';
import {
  adoptImage,
  buildImageTag,
  exposedPorts,
  imageExists,
  pruneReleaseImages,
  releaseImage,
  removeImage,
  tagRelease,
} from '../builder/images.js';
import { releaseMetaSchema, type ReleaseMeta } from '../model/release.js';
import { ConflictError, errorMessage, UnavailableError, UserError } from '../core/errors.js';
import { format } from '../core/output.js';
import { withTimeout } from '../core/process.js';
import type { Platform } from '../platform.js';
import type { AfterUnlock, DeployJob } from '../queue/deploy-queue.js';
import type { DeployResult } from '../queue/logs.js';
import type { ReleaseRecord } from '../state/index.js';
import { DeployLog } from './log.js';
import { appLockName, oneOffsLockName } from '../queue/locks.js';
import { configForRollback } from '../services/index.js';
import { parkApp } from './routes.js';
import { deployBranchOf, keepsGitDir, revEnvVarOf } from '../git/settings.js';
import { archiveCommit } from '../git/archive.js';
import { repoPath } from '../git/repos.js';
import { deployRelease } from './release.js';
import { compareWithRunning } from './compare.js';
import { isSleeping, isStopped, markSleeping, markStopped } from './desired.js';

const STOP_WAIT_MS = 10 * 60_000;
/** How long a deploy may take to reach the queue before its requester is told Redis is away. */
const QUEUE_TIMEOUT_MS = 5000;
const RESTART_VERBS = {
  restart: 'Restarting',
  scale: 'Scaling',
  reconcile: 'Bringing back what was released:',
  restore: 'Restoring',
} as const;

/** The deploys apps:lock holds back; restarts and config changes of the running code go on. */
const CHANGES_CODE = new Set<DeployJob['kind']>(['git', 'image', 'rollback']);

/** Queues a deploy and follows its log until it is live or has failed. */
export async function requestDeploy(
  platform: Platform,
  job: DeployJob,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<DeployResult> {
  if (CHANGES_CODE.has(job.kind) && isLocked(platform, job.app)) {
    if (job.kind === 'git') await fs.promises.rm(job.tarPath, { force: true });
    throw new ConflictError(
      `${job.app} currently has a deploy lock in place. Exiting... Run 'apps:unlock ${job.app}' to release the existing deploy lock`,
    );
  }
  try {
    await withTimeout(queueDeploy(platform, job), QUEUE_TIMEOUT_MS, () => new Error('no answer'));
  } catch (error) {
    // Told it failed, the requester must never see it run later: a job that reaches the
    // queue after all finds its deploy failed, and the worker drops it.
    const message = `The job queue (Redis at ${platform.settings.redisUrl}) cannot be reached: ${errorMessage(error)}`;
    platform.state.deploys.finish(job.deployId, { status: 'failed', error: message, log: format.error(message) });
    if (job.kind === 'git') await fs.promises.rm(job.tarPath, { force: true });
    throw new UnavailableError(message);
  }
  const result = await platform.logs.follow(job.deployId, onLine, signal);
  return result ?? { ok: false, message: 'the client went away; the deploy goes on in the background' };
}

/** Records a deploy and puts it on the queue; nobody follows it (the reconciler's restarts). */
export async function queueDeploy(platform: Platform, job: DeployJob): Promise<void> {
  const rev = job.kind === 'git' ? job.rev : null;
  if (!platform.state.deploys.get(job.deployId)) {
    platform.state.deploys.create({
      id: job.deployId,
      app: job.app,
      kind: job.kind,
      rev,
      requestedBy: job.requestedBy,
    });
    if (job.kind === 'git' && job.hookStartedAt !== undefined)
      platform.state.deploys.mark(job.deployId, 'hook', job.hookStartedAt);
  }
  await platform.queue.enqueue(job);
}

/**
 * The worker's side: runs one job under the app's lock and reports its outcome to the
 * follower as soon as it is known. Returns the retirement of the old release, which the
 * worker runs after releasing the lock; the deploy record closes when that is done.
 */
export async function runDeployJob(platform: Platform, job: DeployJob): Promise<AfterUnlock> {
  const { deploys } = platform.state;
  const log = new DeployLog(platform.logs, job.deployId, (phase) => deploys.mark(job.deployId, phase));
  if (deploys.get(job.deployId)?.status !== 'queued') return async () => {}; // its requester was told it failed
  deploys.setStatus(job.deployId, 'running');
  deploys.mark(job.deployId, 'started');
  const told = deployFields(job);
  platform.events.publish('deploy.started', told);
  let retire: () => Promise<void>;
  try {
    retire = await runJob(platform, job, log);
  } catch (error) {
    const message = describeFailure(error);
    log.error(message);
    await platform.logs.result(job.deployId, { ok: false, message });
    deploys.finish(job.deployId, { status: 'failed', error: message, log: log.text() });
    platform.events.publish('deploy.failed', {
      ...told,
      release: deploys.get(job.deployId)?.release ?? null,
      error: message,
    });
    await platform.logs.end(job.deployId);
    return async () => {};
  }
  deploys.setStatus(job.deployId, 'succeeded');
  await platform.logs.result(job.deployId, { ok: true });
  tellSucceeded(platform, job, told);
  return async () => {
    let error: string | undefined;
    try {
      await retire();
      const kept = await pruneReleaseImages(platform, job.app, platform.settings.keepReleases);
      await platform.schedulerFor(job.app).keepOnlyImages(job.app, kept);
    } catch (failure) {
      // The new release serves; only the clean-up of the old one went wrong.
      error = describeFailure(failure);
      log.error(`Retiring the old containers failed: ${error}`);
    }
    deploys.finish(job.deployId, { status: 'succeeded', error, log: log.text() });
    await platform.logs.end(job.deployId);
  };
}

/** What every deploy event says about its job. */
function deployFields(job: DeployJob) {
  return {
    app: job.app,
    deploy: job.deployId,
    kind: job.kind,
    by: job.requestedBy,
    rev: job.kind === 'git' ? job.rev : null,
  };
}

/** A restart the reconciler asked for that put processes back is the app recovering, besides a deploy. */
function tellSucceeded(platform: Platform, job: DeployJob, told: ReturnType<typeof deployFields>): void {
  const release =
    platform.state.deploys.get(job.deployId)?.release ?? platform.state.releases.current(job.app)?.version;
  platform.events.publish('deploy.succeeded', { ...told, release: release ?? null });
  if (job.kind === 'restart' && job.reason === 'reconcile' && release !== undefined)
    platform.events.publish('app.recovered', { app: job.app, release });
}

function describeFailure(error: unknown): string {
  return error instanceof UserError ? error.message : `Internal error: ${errorMessage(error)}`;
}

async function runJob(platform: Platform, job: DeployJob, log: DeployLog): Promise<() => Promise<void>> {
  const { releases, config } = platform.state;
  switch (job.kind) {
    case 'git':
      return deployFromGit(platform, job, log);
    case 'image':
      return deployFromImage(platform, job, log);
    case 'config': {
      const current = currentRelease(platform, job.app);
      return releaseAndDeploy(platform, log, {
        ...current,
        kind: 'config',
        config: config.get(job.app),
        description: job.description,
        createdBy: job.requestedBy,
      });
    }
    case 'rollback': {
      const target = releases.get(job.app, job.version);
      if (!target || target.status !== 'succeeded')
        throw new UserError(`Release v${job.version} of ${job.app} cannot be rolled back to`);
      // Heroku's rollback restores config too (but no service link that is gone); the app's config follows once it is live.
      const restored = configForRollback(platform, job.app, target.config);
      return releaseAndDeploy(
        platform,
        log,
        {
          ...target,
          config: restored,
          kind: 'rollback',
          description: `Rollback to v${target.version}`,
          createdBy: job.requestedBy,
        },
        () => config.replace(job.app, restored),
      );
    }
    case 'restart': {
      const current = currentRelease(platform, job.app);
      if (job.reason === 'restore') await rebuildMissingImage(platform, current, log);
      const pending = config.get(job.app);
      if (JSON.stringify(pending) !== JSON.stringify(current.config)) {
        // Config changed with --no-restart since this release: a restart applies it, as in Dokku.
        return releaseAndDeploy(platform, log, {
          ...current,
          kind: 'config',
          config: pending,
          description: 'Apply config changes made with --no-restart',
          createdBy: job.requestedBy,
        });
      }
      if (job.reason === 'reconcile' && (await nothingToBringBack(platform, current))) {
        log.step(`Nothing to bring back: every process of ${job.app} v${current.version} runs again`);
        return async () => {};
      }
      log.step(`${RESTART_VERBS[job.reason]} ${job.app} at v${current.version}`);
      return deployRelease(platform, current, log);
    }
  }
}

/**
 * A restored host has the state but not the images: the release's image is built again
 * from the app's repository at the release's commit, under the release's own tag, so the
 * app comes back at the same version (no new release).
 */
async function rebuildMissingImage(platform: Platform, release: ReleaseRecord, log: DeployLog): Promise<void> {
  if (await imageExists(platform, release.image)) return;
  const { app, rev, version } = release;
  if (!rev)
    throw new UserError(
      `The image of ${app} v${version} is not on this host and was not built from git: deploy ${app} again`,
    );
  const { settings } = platform;
  log.step(`Building ${app} v${version} again from ${rev.slice(0, 7)} (its image is not on this host)`);
  const tarPath = archiveCommit({
    gitDir: repoPath(settings.reposDir, app),
    rev,
    buildsDir: settings.buildsDir,
    app,
    keepGitDir: keepsGitDir(platform, app) ? { branch: deployBranchOf(platform, app) } : undefined,
  });
  const buildTag = buildImageTag(settings.instance, app, log.deployId).ref;
  try {
    await buildFromSource(platform, { app, rev, tarPath }, buildTag, log);
  } finally {
    await fs.promises.rm(tarPath, { force: true });
  }
  await tagRelease(platform, app, buildTag, version);
}

/**
 * A restart the reconciler asked for is done with when it comes to run: the engine restarted
 * the processes itself meanwhile (they were asked for as they went down with their engine), or
 * the app was stopped. A restart deploy then would only hold the app's lock and replace them.
 */
async function nothingToBringBack(platform: Platform, release: ReleaseRecord): Promise<boolean> {
  if (isStopped(platform.state, release.app) || isSleeping(platform.state, release.app)) return true;
  return (await compareWithRunning(platform, release.app, release)).missing.length === 0;
}

function currentRelease(platform: Platform, app: string): ReleaseRecord {
  const current = platform.state.releases.current(app);
  if (!current) throw new UserError(`${app} has not been deployed yet`);
  return current;
}

type NewRelease = Parameters<Platform['state']['releases']['create']>[0];

/** How one new release goes live: what it records, and what happens around its deploy. */
interface ReleaseSteps {
  release: NewRelease;
  /** The step line that announces it, once its version is known. */
  heading: (version: number) => string;
  /** Before it deploys, once its version is known (tagging a built image as vN). */
  prepare?: (release: ReleaseRecord) => Promise<void>;
  onLive?: () => void;
  /** After it was marked failed (removing an image no release will use). */
  onFailed?: (release: ReleaseRecord) => Promise<void>;
}

/**
 * Records a new release (vN), names it on the deploy and puts it live; a release that does
 * not go live, whichever step fails, is marked failed.
 */
async function release(platform: Platform, log: DeployLog, steps: ReleaseSteps): Promise<() => Promise<void>> {
  const { state } = platform;
  const created = state.releases.create(steps.release);
  state.deploys.setRelease(log.deployId, created.version);
  try {
    await steps.prepare?.(created);
    log.step(steps.heading(created.version));
    const retire = await deployRelease(platform, created, log);
    steps.onLive?.();
    return retire;
  } catch (error) {
    state.releases.setStatus(created.app, created.version, 'failed');
    await steps.onFailed?.(created);
    throw error;
  }
}

/** A new release (vN) of an image an earlier release made: a config change, a rollback. */
async function releaseAndDeploy(
  platform: Platform,
  log: DeployLog,
  next: Omit<NewRelease, 'image'> & { image: string },
  onLive?: () => void,
) {
  const { image } = next;
  if (!(await imageExists(platform, image)))
    throw new UserError(`The image ${image} is gone; deploy again with git push`);
  return release(platform, log, {
    release: { ...next, image: () => image },
    heading: (version) => `Releasing ${next.app} (v${version}): ${next.description}`,
    onLive,
  });
}

/** Where a deploy's image is built before it becomes release vN. */
const buildTagFor = (platform: Platform, job: DeployJob) =>
  buildImageTag(platform.settings.instance, job.app, job.deployId);

async function deployFromGit(platform: Platform, job: Extract<DeployJob, { kind: 'git' }>, log: DeployLog) {
  const { app } = job;
  const buildTag = buildTagFor(platform, job).ref;
  let meta: ReleaseMeta;
  try {
    meta = await buildFromSource(platform, job, buildTag, log);
  } finally {
    await fs.promises.rm(job.tarPath, { force: true });
  }
  return releaseBuiltImage(platform, log, {
    app,
    buildTag,
    rev: job.rev,
    meta,
    description: `Deploy ${job.rev.slice(0, 7)}`,
    createdBy: job.requestedBy,
  });
}

/** `git:from-image`: an image already on this host becomes the next release, as is. */
async function deployFromImage(platform: Platform, job: Extract<DeployJob, { kind: 'image' }>, log: DeployLog) {
  const target = buildTagFor(platform, job);
  await adoptImage(platform, job.image, target);
  log.step(`Deploying ${job.app} from image ${job.image}`);
  const meta = releaseMetaSchema.parse({ builder: 'image' });
  return releaseBuiltImage(platform, log, {
    app: job.app,
    buildTag: target.ref,
    rev: null,
    meta,
    description: `Deploy image ${job.image}`,
    createdBy: job.requestedBy,
  });
}

/** A freshly built image becomes release vN, tagged as such, and goes live; a failed release loses its tag. */
async function releaseBuiltImage(
  platform: Platform,
  log: DeployLog,
  built: {
    app: string;
    buildTag: string;
    rev: string | null;
    meta: ReleaseMeta;
    description: string;
    createdBy: string;
  },
) {
  const { app } = built;
  const { state } = platform;
  const meta = { ...built.meta, exposedPorts: await exposedPorts(platform, built.buildTag) };
  // The commit goes in the release's config, and in the app's once it is live (as Dokku's GIT_REV).
  const revVar = built.rev ? revEnvVarOf(platform, app) : '';
  const revConfig: Record<string, string> = revVar ? { [revVar]: built.rev! } : {};
  if (Object.keys(built.meta.formation).length > 0)
    state.apps.setFormation(app, { ...state.apps.get(app)!.formation, ...built.meta.formation });
  return release(platform, log, {
    release: {
      app,
      kind: 'deploy',
      image: (version) => releaseImage(platform.settings.instance, app, version),
      rev: built.rev,
      config: { ...state.config.get(app), ...revConfig },
      meta,
      description: built.description,
      createdBy: built.createdBy,
    },
    prepare: (created) => tagRelease(platform, app, built.buildTag, created.version),
    heading: (version) => `Releasing ${app} (v${version})...`,
    onLive: () => {
      if (revVar) state.config.set(app, revConfig);
    },
    onFailed: (created) => removeImage(platform, created.image).catch(() => {}),
  });
}

/**
 * ps:stop: the app stops taking traffic and its containers go, its running cron runs too;
 * it stays stopped (the reconciler keeps it so, and the cron clock starts nothing) until
 * ps:start or a deploy puts it live again. One-offs started by hand stay: a migration may
 * run while the app is stopped. A sleeping app is stopped too: no request wakes it then.
 */
export async function stopApp(platform: Platform, app: string): Promise<number> {
  return platform.locks.withLock(appLockName(app), STOP_WAIT_MS, async () => {
    markStopped(platform.state, app, true);
    markSleeping(platform.state, app, false);
    await parkApp(platform, app);
    const scheduler = platform.schedulerFor(app);
    // A cron start looks for a stopped app under this lock: none starts after this listing.
    const listed = await platform.locks.withLock(oneOffsLockName(app), STOP_WAIT_MS, () =>
      scheduler.instances(app, { oneOffs: true }),
    );
    const instances = listed.filter((i) => !i.oneOff || (i.process === 'cron' && i.running));
    await scheduler.retire(instances);
    return instances.length;
  });
}
