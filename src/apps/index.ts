import { EXIT_APP_MISSING, UserError } from '../core/errors.js';
import { parseAppName } from '../core/names.js';
import { ensureRepo, removeRepo } from '../git/repos.js';
import type { Platform } from '../platform.js';
import { appLockName } from '../queue/locks.js';
import { cacheVolume } from '../build/index.js';
import { imageRepository } from '../deploy/images.js';
import { unrouteApp } from '../deploy/routes.js';
import type { AppRecord } from '../state/index.js';

const DESTROY_WAIT_MS = 10 * 60_000;

/** The app by name, or Dokku's "does not exist" (exit 20) for a valid name that is not there. */
export function requireApp(platform: Platform, name: string | undefined): AppRecord {
  const app = platform.state.apps.get(parseAppName(name));
  if (!app) throw new UserError(`App ${name} does not exist`, EXIT_APP_MISSING);
  return app;
}

export async function createApp(platform: Platform, name: string | undefined): Promise<AppRecord> {
  const app = parseAppName(name);
  if (!platform.state.apps.create(app, platform.settings.defaultBranch)) throw new UserError('Name is already taken');
  await ensureRepo(platform.settings.reposDir, app);
  return platform.state.apps.get(app)!;
}

/**
 * Removes an app and everything it owns: containers, nginx routing, images, repository,
 * history. Waits for a deploy in progress, so nothing is left half-deployed.
 */
export async function destroyApp(platform: Platform, app: AppRecord, onWait: () => void): Promise<void> {
  const lock = await platform.locks.acquire(appLockName(app.name), DESTROY_WAIT_MS, onWait);
  try {
    await platform.scheduler.discard(await platform.scheduler.containers(app.name));
    await unrouteApp(platform, app.name);
    // By tag, not id: identical builds share image ids with other apps.
    const repository = imageRepository(platform.settings.instance, app.name);
    for (const image of await platform.docker.listImages(repository)) {
      for (const tag of image.tags.filter((t) => t.startsWith(`${repository}:`))) await platform.docker.removeImage(tag);
    }
    await platform.docker.removeVolume(cacheVolume(platform.settings.instance, app.name));
    removeRepo(platform.settings.reposDir, app.name);
    platform.state.apps.delete(app.name);
  } finally {
    await lock.release();
  }
}
