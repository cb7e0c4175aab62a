import fs from 'node:fs';
import { errorMessage, UserError } from '../core/errors.js';
import type { Platform } from '../platform.js';
import type { DeployJob } from '../queue/deploy-queue.js';
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

/** The worker's side: runs one job, reports its outcome to the follower, records it. */
export async function runDeployJob(platform: Platform, job: DeployJob): Promise<void> {
  const log = new DeployLog(platform.logs, job.deployId);
  const { deploys } = platform.state;
  let wentLive = false;
  const live = async () => {
    wentLive = true;
    await platform.logs.result(job.deployId, { ok: true });
  };
  deploys.markRunning(job.deployId);
  try {
    await deployFromGit(platform, job, log, live);
    deploys.finish(job.deployId, { status: 'succeeded', log: log.text() });
  } catch (error) {
    const message = error instanceof UserError ? error.message : `Internal error: ${errorMessage(error)}`;
    log.error(message);
    if (wentLive) {
      // The new release serves; only the clean-up of the old one went wrong.
      deploys.finish(job.deployId, { status: 'succeeded', error: message, log: log.text() });
    } else {
      await platform.logs.result(job.deployId, { ok: false, message });
      deploys.finish(job.deployId, { status: 'failed', error: message, log: log.text() });
    }
  } finally {
    await platform.logs.end(job.deployId);
  }
}

async function deployFromGit(platform: Platform, job: DeployJob, log: DeployLog, live: () => Promise<void>) {
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
    await deployRelease(platform, release, log, live);
  } catch (error) {
    if (!wasLive(state, release.app, release.version)) {
      state.releases.setStatus(app, release.version, 'failed');
      await docker.removeImage(release.image).catch(() => {});
    }
    throw error;
  }
  await pruneReleaseImages(platform, app, KEEP_RELEASE_IMAGES);
}

function wasLive(state: Platform['state'], app: string, version: number): boolean {
  return state.releases.get(app, version)?.status === 'succeeded';
}
