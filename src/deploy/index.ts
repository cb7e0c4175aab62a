import fs from 'node:fs';
import { errorMessage, UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import type { AfterUnlock, DeployJob } from '../queue/deploy-queue.js';
import type { DeployResult } from '../queue/logs.js';
import { BuildFailedError } from '../runtime/docker.js';
import { imageRepository, pruneReleaseImages } from './images.js';
import { DeployLog } from './log.js';
import { deployRelease } from './release.js';

export { imageRepository } from './images.js';

const KEEP_RELEASE_IMAGES = 5;

/** Queues a deploy and follows its log until it is live or has failed. */
export async function requestDeploy(
  platform: Platform,
  job: DeployJob,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<DeployResult> {
  platform.state.deploys.create({ id: job.deployId, app: job.app, kind: job.kind, rev: job.rev, requestedBy: job.requestedBy });
  await platform.queue.enqueue(job);
  const result = await platform.logs.follow(job.deployId, onLine, signal);
  return result ?? { ok: false, message: 'the client went away; the deploy goes on in the background' };
}

/**
 * The worker's side: runs one job under the app's lock and reports its outcome to the
 * follower as soon as it is known. Returns the retirement of the old release, which the
 * worker runs after releasing the lock; the deploy record closes when that is done.
 */
export async function runDeployJob(platform: Platform, job: DeployJob): Promise<AfterUnlock> {
  const log = new DeployLog(platform.logs, job.deployId);
  const { deploys } = platform.state;
  deploys.markRunning(job.deployId);
  let retire: () => Promise<void>;
  try {
    retire = await deployFromGit(platform, job, log);
  } catch (error) {
    const message = describeFailure(error);
    log.error(message);
    await platform.logs.result(job.deployId, { ok: false, message });
    deploys.finish(job.deployId, { status: 'failed', error: message, log: log.text() });
    await platform.logs.end(job.deployId);
    return async () => {};
  }
  await platform.logs.result(job.deployId, { ok: true });
  return async () => {
    let error: string | undefined;
    try {
      await retire();
      await pruneReleaseImages(platform, job.app, KEEP_RELEASE_IMAGES);
    } catch (failure) {
      // The new release serves; only the clean-up of the old one went wrong.
      error = describeFailure(failure);
      log.error(`Retiring the old containers failed: ${error}`);
    }
    deploys.finish(job.deployId, { status: 'succeeded', error, log: log.text() });
    await platform.logs.end(job.deployId);
  };
}

function describeFailure(error: unknown): string {
  return error instanceof UserError ? error.message : `Internal error: ${errorMessage(error)}`;
}

async function deployFromGit(platform: Platform, job: DeployJob, log: DeployLog): Promise<() => Promise<void>> {
  const { app } = job;
  const { docker, state, settings } = platform;
  const repository = imageRepository(settings.instance, app);
  const buildTag = `${repository}:build-${job.deployId.slice(0, 8)}`;

  log.step(`Building ${app} from Dockerfile`);
  try {
    await docker.build(fs.createReadStream(job.tarPath), buildTag, (line) => log.detail(line));
  } catch (error) {
    if (!(error instanceof BuildFailedError)) throw error;
    log.error(error.message);
    throw new UserError('App build failed');
  } finally {
    await fs.promises.rm(job.tarPath, { force: true });
  }

  const release = state.releases.create({
    app,
    image: (version) => `${repository}:v${version}`,
    rev: job.rev,
    description: `Deploy ${job.rev.slice(0, 7)}`,
    createdBy: job.requestedBy,
  });
  state.deploys.setRelease(job.deployId, release.version);
  await docker.tagImage(buildTag, repository, `v${release.version}`);
  await docker.removeImage(buildTag);
  log.step(`Releasing ${app} (v${release.version})...`);

  try {
    return await deployRelease(platform, release, log);
  } catch (error) {
    state.releases.setStatus(app, release.version, 'failed');
    await docker.removeImage(release.image).catch(() => {});
    throw error;
  }
}
